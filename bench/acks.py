"""Ack latency and answer latency of `serve --http`, side by side with a bare slack-bolt app.

Each server is its own process behind the same HTTP edge (`integrations.web`: Hypercorn +
Starlette, Slack's signature checked over the raw bytes): the bare app acks `app_mention` and
says a fixed text; norcrin-bot is `norcrin-bot serve --http --workers N` (and, for reference,
`--workers 0`, which answers in the acking process). The same signed events go to each: a stream
of 600 mentions from 4 concurrent senders, then a burst from 16 senders at once. Ack = the HTTP
round trip; answer = until the answer's `chat.postMessage` reaches the local Slack Web API
stand-in. Prints p50/p95/p99 and the ratio against the bare app in this run.

Usage: python bench/acks.py [--database sqlite|postgres|both] [--events 600] [--burst 16x10]
       [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.slack_api import FakeSlackAPI  # noqa: E402
from tests.support.slack_harness import SIGNING_SECRET  # noqa: E402
from tests.support.slack_signing import SlackClientHTTP, app_mention_event  # noqa: E402

QUESTIONS = ("hvem leder AP8?", "who leads AP3?", "SOP for note to file", "hvem er i styret?",
             "kontaktperson for AP2", "what does AP12 do?")


def serve_bare(api_url: str) -> None:
    """The peer: a minimal bolt app on the same edge; prints its URL, runs until SIGTERM."""
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.config import HttpLimits
    from integrations.slack.http import EVENTS_PATH, slack_endpoint
    from integrations.web import WebServer, build_web_app

    client = WebClient(token="xoxb-bench", base_url=api_url.rstrip("/") + "/")
    app = App(client=client, signing_secret=SIGNING_SECRET, token_verification_enabled=False)

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Any) -> None:
        say(text="fixed answer", thread_ts=event.get("ts"))

    limits = HttpLimits()
    edge = build_web_app({EVENTS_PATH: slack_endpoint(SimpleNamespace(app=app),  # type: ignore[arg-type]
                                                      SIGNING_SECRET)}, limits=limits)
    server = WebServer(edge, limits, "127.0.0.1", 0).start()
    print(json.dumps({"listening": f"http://127.0.0.1:{server.port}{EVENTS_PATH}"}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()


@contextmanager
def process(args: list[str], env: dict[str, str]) -> Iterator[str]:
    """A server process; its log goes to a file: a pipe nobody reads fills up (64 KB) and then
    blocks every process writing a log line — which once showed as 30-s ack stalls."""
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
                                cwd=ROOT)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                proc.wait(10)
                log.seek(0)
                raise RuntimeError(log.read()[-2000:])
            yield json.loads(line)["listening"]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return at(0.50), at(0.95), at(0.99), ordered[-1] * 1000


def drive(url: str, fake: FakeSlackAPI, tag: str, senders: int, per_sender: int,
          *, together: bool) -> dict[str, Any]:
    """`senders` threads each send `per_sender` mentions back to back (`together`: all start at
    one barrier). Returns ack and answer latencies (seconds) and counts."""
    http = SlackClientHTTP(url, SIGNING_SECRET, timeout=30)
    sent: dict[str, float] = {}
    acks: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(senders)
    channel = f"C{tag}{os.getpid()}{int(time.time() * 1000) % 100000}"

    def sender(n: int) -> None:
        if together:
            barrier.wait()
        for k in range(per_sender):
            ts = f"{1700000000 + n}.{k:06d}"
            event = app_mention_event(f"<@U0BOT> {QUESTIONS[(n + k) % len(QUESTIONS)]}",
                                      channel=channel, ts=ts, user=f"U{n:04d}")
            start = time.time()
            try:
                status = http.send_event(event).status
            except OSError:  # no ack within the client's timeout: counted, not fatal
                status = 0
            took = time.time() - start
            with lock:
                if status == 200:  # only an acked event is owed an answer
                    sent[ts] = start
                acks.append(took)
                statuses.append(status)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.time() + 60
    answered: dict[str, float] = {}
    while time.time() < deadline:
        for call in fake.calls("chat.postMessage"):
            if call.params.get("channel") == channel and call.status == 200:
                answered.setdefault(str(call.params.get("thread_ts")), call.at)
        if len(answered) >= len(sent):
            break
        time.sleep(0.05)
    latencies = [answered[ts] - sent[ts] for ts in sent if ts in answered]
    doubled = sum(1 for c in fake.calls("chat.postMessage")
                  if c.params.get("channel") == channel) - len(answered)
    return {"acks": acks, "answers": latencies, "ok": statuses.count(200), "sent": len(statuses),
            "answered": len(answered), "doubled": doubled}


ROUNDS = 5


def merge(into: dict[str, dict[str, Any]], phase: str, result: dict[str, Any]) -> None:
    if phase not in into:
        into[phase] = result
        return
    for key, value in result.items():
        into[phase][key] = into[phase][key] + value


def report(name: str, phase: str, result: dict[str, Any], peer: dict[str, Any] | None) -> None:
    a50, a95, a99, amax = percentiles(result["acks"])
    e50, e95, e99, _ = percentiles(result["answers"] or [0.0])
    ratio = ""
    if peer is not None:
        ratio = f"; ack p95 ratio {a95 / max(percentiles(peer['acks'])[1], 0.001):.2f}"
    print(f"  {phase:<22} {name:<26} ack p50/p95/p99/max {a50:5.0f}/{a95:5.0f}/{a99:5.0f}/"
          f"{amax:5.0f} ms  answer p50/p95/p99 {e50:6.0f}/{e95:6.0f}/{e99:6.0f} ms  "
          f"acked {result['ok']}/{result['sent']} answered {result['answered']} "
          f"doubled {result['doubled']}{ratio}", flush=True)


def run(database: str, args: argparse.Namespace, fake: FakeSlackAPI) -> None:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_"))}
    base_env.update(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=fake.base_url, PYTHONPATH=str(ROOT))
    per_burst, burst_each = (int(x) for x in args.burst.split("x"))
    fake.clear()
    with tempfile.TemporaryDirectory() as tmp, database_url(database, tmp) as url:
        env = {**base_env, "DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "integrations.runtime", "db", "upgrade"], env=env,
                       check=True, capture_output=True, cwd=ROOT)
        servers = [
            ("bare slack-bolt", [sys.executable, __file__, "--serve-bare", fake.base_url]),
            (f"norcrin-bot --workers {args.workers}",
             [sys.executable, "-m", "integrations.runtime", "serve", "--http", "--host",
              "127.0.0.1", "--port", "0", "--no-worker", "--workers", str(args.workers)]),
            ("norcrin-bot --workers 0",
             [sys.executable, "-m", "integrations.runtime", "serve", "--http", "--host",
              "127.0.0.1", "--port", "0", "--no-worker", "--workers", "0"]),
        ]
        print(f"{database}: {args.events} events from 4 senders, then {per_burst} senders x "
              f"{burst_each} at once; load average before: {os.getloadavg()[0]:.1f}", flush=True)
        results: dict[str, dict[str, dict[str, Any]]] = {name: {} for name, _ in servers}
        with ExitStack() as stack:
            endpoints = [stack.enter_context(process(command, env)) for _, command in servers]
            time.sleep(5.0)  # answer processes up
            for index, endpoint in enumerate(endpoints):
                drive(endpoint, fake, f"W{index}", 2, 3, together=False)  # warm-up
            # In rounds, each server in turn, every answer in before the next: the machine's
            # load drifts (other jobs), and this way each server sees the same drift.
            for rnd in range(ROUNDS):
                for index, (name, _) in enumerate(servers):
                    stream = drive(endpoints[index], fake, f"S{index}r{rnd}", 4,
                                   args.events // 4 // ROUNDS, together=False)
                    burst = drive(endpoints[index], fake, f"B{index}r{rnd}", per_burst,
                                  max(1, burst_each // ROUNDS), together=True)
                    for phase, result in (("stream", stream), ("burst", burst)):
                        merge(results[name], phase, result)
        peer = results["bare slack-bolt"]
        for phase in ("stream", "burst"):
            for name, result in results.items():
                report(name, f"{phase}", result[phase],
                       None if name == "bare slack-bolt" else peer[phase])
        print(f"  load average after: {os.getloadavg()[0]:.1f}", flush=True)


@contextmanager
def database_url(kind: str, tmp: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    import psycopg

    admin_url = os.environ.get("NORCRIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"norcrin_bench_acks_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        server = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--burst", default="16x10", help="SENDERSxEACH (default 16x10)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--serve-bare", metavar="API_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    with FakeSlackAPI() as fake:
        for database in ("sqlite", "postgres") if args.database == "both" else (args.database,):
            run(database, args, fake)


if __name__ == "__main__":
    main()
