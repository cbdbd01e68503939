"""`norcrin-bot serve --http` with Teams, as operators run it: a real process and port. With
Slack and Teams configured both routes are served; with Teams alone, Teams alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.slack_harness import SIGNING_SECRET
from tests.support.slack_signing import SlackClientHTTP, app_mention_event
from tests.support.teams_api import APP_PASSWORD, Activities, BotFrameworkStandIn, Member

KARI = Member("29:1kari", "Kari Nordmann", "aad-kari-0001", "kari@example.org", None)


@pytest.fixture
def stand_in() -> Iterator[BotFrameworkStandIn]:
    with BotFrameworkStandIn() as server:
        server.roster[KARI.id] = KARI
        yield server


def serve(env: dict[str, str]) -> subprocess.Popen[str]:
    full = {**os.environ, **env}
    for name in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        if name not in env:
            full.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "integrations.runtime", "serve", "--http", "--host", "127.0.0.1",
         "--port", "0", "--no-worker"],
        env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    return stderr


def ask_teams(base: str, stand_in: BotFrameworkStandIn) -> Any:
    activity = Activities(stand_in.service_url).personal_message(KARI, "hvem leder AP8?")
    token = stand_in.inbound_token()
    response = httpx.post(f"{base}/api/messages", json=activity,
                          headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert response.status_code == 200
    [sent] = stand_in.wait_for(1, timeout=15)
    return sent


def test_teams_beside_slack_on_one_edge(sqlite_url, fake_slack, stand_in):
    proc = serve({"DATABASE_URL": sqlite_url, "SLACK_BOT_TOKEN": "xoxb-test-token",
                  "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.base_url,
                  **stand_in.env()})
    try:
        assert proc.stdout is not None
        url = json.loads(proc.stdout.readline())["listening"]
        base = url.removesuffix("/slack/events")
        http = SlackClientHTTP(url, SIGNING_SECRET)
        assert http.send_event(app_mention_event("<@U0BOT> hvem leder AP8?")).status == 200
        [post] = fake_slack.wait_for("chat.postMessage", timeout=10)
        assert "Cecilie Moe" in post.params["text"]
        assert "Cecilie Moe" in ask_teams(base, stand_in).activity["summary"]
        unsigned = httpx.post(f"{base}/api/messages", json={"type": "message"}, timeout=5)
        assert unsigned.status_code == 401
    finally:
        stderr = stop(proc)
    assert "warning" not in stderr.lower(), stderr
    assert APP_PASSWORD not in stderr and "eyJ" not in stderr, stderr  # no secret, no token
    assert "hvem leder" not in stderr and "/v3/conversations" not in stderr, stderr


def test_teams_alone(sqlite_url, stand_in):
    proc = serve({"DATABASE_URL": sqlite_url, **stand_in.env()})
    try:
        assert proc.stdout is not None
        url = json.loads(proc.stdout.readline())["listening"]
        assert url.endswith("/api/messages")
        base = url.removesuffix("/api/messages")
        with urllib.request.urlopen(base + "/ready", timeout=5) as resp:
            assert resp.status == 200
        assert "Cecilie Moe" in ask_teams(base, stand_in).activity["summary"]
        assert httpx.post(f"{base}/slack/events", content=b"{}", timeout=5).status_code == 404
    finally:
        stderr = stop(proc)
    assert "Traceback" not in stderr, stderr
