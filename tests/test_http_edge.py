"""The HTTP edge (`serve --http`) over real sockets: bursts, stalled clients, malformed framing,
replays — against the real bolt app and the fake Slack Web API."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from storage.forms import StatusCampaign
from tests.support.slack_harness import SIGNING_SECRET, SlackHarness, serve_slack
from tests.support.slack_signing import (
    FORM,
    JSON,
    app_mention_event,
    command_body,
    event_body,
    input_value,
    interaction_body,
    sign,
    view_submission_payload,
)

MARKER = "BODY-MARKER-7f3a"  # put in bodies; must never reach a log line


@pytest.fixture
def edge(make_bot: Any, sqlite_url: str, fake_slack: Any) -> Iterator[Any]:
    """A factory: the bot behind the edge with these extra settings (HTTP_* limits, admins)."""

    @contextmanager
    def start(**env: str) -> Iterator[SlackHarness]:
        bot = make_bot(sqlite_url, SLACK_API_URL=fake_slack.base_url, **env)
        with serve_slack(bot, fake_slack) as harness:
            yield harness

    return start


def _port(h: SlackHarness) -> int:
    return int(h.url.rsplit(":", 1)[1].split("/")[0])


def raw_request(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a new connection; everything the server sent until it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received and b"connection: close" not in received.lower():
                break
        return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def signed_headers(body: bytes, content_type: str = JSON) -> bytes:
    lines = [
        "POST /slack/events HTTP/1.1",
        "Host: bot",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in sign(SIGNING_SECRET, body).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_burst_of_100_events_on_new_connections_is_all_answered_once(edge):
    with edge() as slack:
        events = [
            app_mention_event(f"<@U0BOT> hvem leder AP{1 + i % 14}?", user=f"U{i % 9}",
                              channel=f"C{i % 4}", ts=f"1700001{i:03d}.000100")
            for i in range(100)
        ]
        barrier = threading.Barrier(100)
        results: list[int] = [0] * 100

        def send(i: int) -> None:
            barrier.wait()  # all 100 connect at once, each on its own new connection
            results[i] = slack.http.send_event(events[i]).status

        threads = [threading.Thread(target=send, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 100
        slack.fake.wait_for("chat.postMessage", count=100, timeout=30)
        slack.runtime.pool.shutdown(wait=True)
        posts = slack.fake.calls("chat.postMessage")
        assert sorted(p.params["thread_ts"] for p in posts) == sorted(e["ts"] for e in events)


def test_50_stalled_clients_are_closed_after_the_read_timeout_while_others_are_served(edge):
    # the production limits (10 s without a byte, 15 s for a body) shortened to keep the suite fast
    with edge(HTTP_READ_TIMEOUT="2", HTTP_BODY_TIMEOUT="3") as slack:
        port = _port(slack)
        body = event_body(app_mention_event("<@U0BOT> hvem leder AP8?"))
        stalled = []
        for i in range(50):
            sock = socket.create_connection(("127.0.0.1", port))
            if i % 3 == 0:  # headers that promise a body, and no body
                sock.sendall(signed_headers(body))
            elif i % 3 == 1:  # half a request line and headers, then nothing
                sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Le")
            else:  # a few bytes of the body, then nothing
                sock.sendall(signed_headers(body) + body[:10])
            sock.settimeout(0.05)
            stalled.append(sock)
        opened = time.monotonic()

        served = [slack.http.send_event(app_mention_event(f"<@U0BOT> wp {n}")) for n in (3, 8, 12)]
        assert [r.status for r in served] == [200, 200, 200]
        assert time.monotonic() - opened < 5  # served at once, beside the stalled ones

        closed_after: dict[int, float] = {}
        while len(closed_after) < 50 and time.monotonic() - opened < 30:
            for i, sock in enumerate(stalled):
                if i in closed_after:
                    continue
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    closed_after[i] = time.monotonic() - opened
                # a 408 first is fine; the close follows
        for sock in stalled:
            sock.close()
        assert len(closed_after) == 50, f"{50 - len(closed_after)} stalled clients still open"
        assert min(closed_after.values()) > 1.5  # not before the timeout
        assert max(closed_after.values()) < 15  # and soon after it, even on a busy machine
        slack.fake.wait_for("chat.postMessage", count=3)


def test_malformed_and_hostile_requests_get_4xx_and_log_no_body(edge, caplog):
    caplog.set_level(logging.INFO)
    with edge(HTTP_MAX_BODY="20000") as slack:
        port = _port(slack)

        def signed(body: bytes, content_type: str = JSON) -> int:
            return slack.http.post(body, content_type).status

        assert signed(b'{"type": "event_callback", "x": "' + MARKER.encode() + b'"') == 400
        assert signed(json.dumps([MARKER]).encode()) == 400
        bad_event = json.loads(event_body({"type": "app_mention", "text": MARKER}))
        bad_event["event"] = MARKER
        assert signed(json.dumps(bad_event).encode()) == 400
        assert signed(f"payload=%7B{MARKER}".encode(), FORM) == 400
        assert signed(b"payload=%5B1%5D", FORM) == 400
        assert signed(MARKER.encode() + b"\xff\xfe", FORM) == 400

        framing = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        assert status_of(raw_request(port, framing + b"Content-Length: abc\r\n\r\n{}")) == 400
        chunked = framing + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
        assert status_of(raw_request(port, chunked)) == 411
        # too large: refused from the headers alone, the body is never read
        assert status_of(raw_request(port, framing + b"Content-Length: 5000000\r\n\r\n")) == 413

        # five large unsigned bodies: 401, and the log grows by a line each, not by the body
        for _ in range(5):
            unsigned = urllib.request.Request(
                slack.url, data=(MARKER * 1000).encode()[:19000], method="POST",
                headers={"Content-Type": JSON},
            )
            try:
                urllib.request.urlopen(unsigned, timeout=5)
            except urllib.error.HTTPError as err:
                assert err.code == 401
        assert slack.http.send_event(app_mention_event(MARKER), stale=True).status == 401

        # well-formed but unknown: acked with 200 (a 404 would make Slack retry)
        unknown = slack.http.send_event({"type": "reaction_added", "user": "U1", "reaction": "x"})
        assert unknown.status == 200
        click = {"type": "block_actions", "user": {"id": "U1"}, "trigger_id": "1.2.abc",
                 "actions": [{"action_id": "nobody_listens", "value": MARKER}]}
        assert slack.http.send_interaction(click).status == 200

        slack.runtime.pool.shutdown(wait=True)
        assert slack.fake.calls("chat.postMessage") == []
    assert MARKER not in caplog.text
    assert len(caplog.text) < 10_000
    assert "rejected 401: invalid or stale Slack signature" in caplog.text


def test_requests_beyond_the_in_flight_cap_get_503(edge):
    with edge(HTTP_MAX_IN_FLIGHT="2", HTTP_BODY_TIMEOUT="3") as slack:
        body = event_body(app_mention_event("<@U0BOT> wp 8"))
        held = [socket.create_connection(("127.0.0.1", _port(slack))) for _ in range(2)]
        for sock in held:
            sock.sendall(signed_headers(body))  # two requests waiting for their bodies
        time.sleep(0.3)
        busy = slack.http.send_event(app_mention_event("<@U0BOT> wp 9"))
        assert busy.status == 503 and busy.headers.get("retry-after") == "1"
        time.sleep(3.5)  # the held ones hit the body deadline (408) and free their slots
        assert slack.http.send_event(app_mention_event("<@U0BOT> wp 9")).status == 200
        for sock in held:
            sock.close()


def test_replayed_slash_command_is_answered_once(edge):
    with edge() as slack:
        url = slack.fake.response_url("replay")
        body = command_body(text="wp 12", user_id="U3", response_url=url)
        first = slack.http.post(body, FORM)
        # Slack-style retries (same body, retry headers) and a re-signed replay later on
        retries = [slack.http.post(body, FORM, retry_num=n) for n in (1, 2)]
        resigned = slack.http.post(body, FORM, timestamp=int(time.time()) - 60)
        assert [r.status for r in (first, *retries, resigned)] == [200] * 4
        slack.fake.wait_for("response_url")
        other = slack.http.send_command(text="wp 8", user_id="U3", response_url=url)
        assert other.status == 200  # a new command (new trigger_id) is answered as usual
        slack.fake.wait_for("response_url", count=2)
        slack.runtime.pool.shutdown(wait=True)
        texts = [c.params["text"] for c in slack.fake.calls("response_url")]
        assert len(texts) == 2 and "Ellen Johnsen" in texts[0]


def test_replayed_view_submission_creates_one_campaign(edge):
    with edge(BOT_ADMINS="U0ADMIN") as slack:
        values = {
            "name": {"value": input_value("Høstmøtet")},
            "deadline": {"value": input_value(f"{time.gmtime().tm_year + 1}-03-31", "datepicker")},
            "opens": {"value": input_value("")},
            "groups": {"value": input_value(["AP8"], "multi_static_select")},
            "form": {"value": {"type": "static_select", "selected_option": None}},
        }
        body = interaction_body(view_submission_payload("U0ADMIN", "status_campaign_new", values))
        results = [slack.http.post(body, FORM, retry_num=n or None) for n in range(3)]
        # the first closes the modal; the replays are acked without effect (no "name taken")
        assert [(r.status, r.body) for r in results] == [(200, "")] * 3
        slack.runtime.pool.shutdown(wait=True)
        with slack.bot.services.db.session() as session:
            assert session.query(StatusCampaign).count() == 1


def test_health_and_ready(edge):
    with edge() as slack:
        base = slack.url.rsplit("/slack/events", 1)[0]
        for path in ("/health", "/ready"):
            with urllib.request.urlopen(base + path, timeout=5) as resp:
                assert resp.status == 200 and json.loads(resp.read()) == {"ok": True}
