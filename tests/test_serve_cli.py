"""`norcrin-bot serve --http` as operators run it: a real process, a real port, SIGTERM to stop,
and a start-up without misleading warnings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

from tests.support.slack_harness import SIGNING_SECRET
from tests.support.slack_signing import SlackClientHTTP, app_mention_event


def test_serve_http_answers_and_starts_without_warnings(sqlite_url, fake_slack):
    """As deployed (scheduled jobs and answer processes included): health and readiness, a
    signed event in and its answer out, a forged one refused, a clean SIGTERM, and no warning
    (nor anything about tokens) in the log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_"))}
    env.update(DATABASE_URL=sqlite_url, SLACK_BOT_TOKEN="xoxb-test-token",
               SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake_slack.base_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "integrations.runtime", "serve", "--http", "--host", "127.0.0.1",
         "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        url = json.loads(proc.stdout.readline())["listening"]
        base = url.removesuffix("/slack/events")
        for path in ("/health", "/ready"):
            with urllib.request.urlopen(base + path, timeout=5) as resp:
                assert resp.status == 200
        http = SlackClientHTTP(url, SIGNING_SECRET)
        event = app_mention_event("<@U0BOT> hvem leder AP8?", channel="C42", ts="1.000042")
        assert http.send_event(event).status == 200
        assert http.send_event(event, bad_signature=True).status == 401
        [post] = fake_slack.wait_for("chat.postMessage", timeout=20)
        assert post.params["channel"] == "C42" and "Cecilie Moe" in post.params["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "WARNING" not in stderr and "token" not in stderr.lower(), stderr
