"""The HTTP edge under a burst and under stalled clients, over real sockets (Hypercorn, the real
bolt app, the fake Slack Web API). Prints one line per figure; see README "Security".

Usage: python bench/http_edge.py [--burst 100] [--stalled 300]
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_settings
from integrations.runtime.wiring import build_bot
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import SIGNING_SECRET, serve_slack
from tests.support.slack_signing import app_mention_event, event_body, sign


def burst(harness, n: int) -> None:
    events = [app_mention_event(f"<@U0BOT> hvem leder AP{1 + i % 14}?", channel=f"C{i % 5}",
                                ts=f"1700002{i:03d}.000100") for i in range(n)]
    barrier = threading.Barrier(n)
    took = [0.0] * n
    status = [0] * n

    def send(i: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        status[i] = harness.http.send_event(events[i]).status
        took[i] = time.perf_counter() - start

    start = time.perf_counter()
    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    harness.fake.wait_for("chat.postMessage", count=status.count(200), timeout=120)
    answered = time.perf_counter() - start
    took.sort()
    print(f"burst of {n} on new connections: {status.count(200)}/{n} acked 200, "
          f"{status.count(503)} got 503 (HTTP_MAX_IN_FLIGHT); ack p50 "
          f"{statistics.median(took) * 1000:.0f} ms, p95 {took[int(n * 0.95) - 1] * 1000:.0f} ms, "
          f"max {took[-1] * 1000:.0f} ms; all answered after {answered:.1f} s")


def stalled(harness, n: int, port: int) -> None:
    body = event_body(app_mention_event("<@U0BOT> wp 8"))
    head = (f"POST /slack/events HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in sign(SIGNING_SECRET, body).items())
            + "\r\n").encode()
    socks = []
    for i in range(n):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall([head, b"POST /slack/events HTTP/1.1\r\nHost:", head + body[:10]][i % 3])
        sock.settimeout(0.02)
        socks.append(sock)
    opened = time.monotonic()
    lat = []
    for k in range(5):
        start = time.perf_counter()
        harness.http.send_event(app_mention_event(f"<@U0BOT> wp {k + 1}"))
        lat.append((time.perf_counter() - start) * 1000)
    closed: dict[int, float] = {}
    while len(closed) < n and time.monotonic() - opened < 60:
        for i, sock in enumerate(socks):
            if i in closed:
                continue
            try:
                if not sock.recv(4096):
                    closed[i] = time.monotonic() - opened
            except TimeoutError:
                pass
            except OSError:
                closed[i] = time.monotonic() - opened
    for sock in socks:
        sock.close()
    times = sorted(closed.values())
    print(f"{n} stalled clients: {len(closed)} closed, first after {times[0]:.1f} s, last after "
          f"{times[-1]:.1f} s; meanwhile normal requests acked in max {max(lat):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--stalled", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlackAPI() as fake:
        settings = load_settings({
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.base_url,
        })
        bot = build_bot(settings)
        with serve_slack(bot, fake) as harness:
            port = int(harness.url.rsplit(":", 1)[1].split("/")[0])
            burst(harness, args.burst)
            fake.clear()
            stalled(harness, args.stalled, port)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"threads now {threading.active_count()}, peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
