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
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.base_url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "integrations.runtime", "serve", "--http", "--host", "127.0.0.1",
         "--port", "0", "--no-worker"],
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
        assert http.send_event(app_mention_event("<@U0BOT> hvem leder AP8?")).status == 200
        [post] = fake_slack.wait_for("chat.postMessage", timeout=10)
        assert "Cecilie Moe" in post.params["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "WARNING" not in stderr and "token" not in stderr.lower(), stderr
