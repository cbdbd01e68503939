"""Answering off the ack path: `serve --http --workers N` runs N answer processes.

The edge process (`integrations.slack.http`) verifies the signature, writes the event to the
`inbox` table (`storage.inbox`: the unique event id is the de-duplication, the committed row the
durable hand-off) and acks. Answer processes, each with its own interpreter and GIL, claim rows
with a lease and feed them to their own bolt app, which runs the listener to the end before
`dispatch` returns (`process_before_response`, answers inline), so the row is marked done only
after the answer went out. A process killed mid-answer leaves its row leased; when the lease runs
out a live process answers it. The supervisor (`AnswerWorkers`, in the edge process) restarts a
process that exits and stops them all with SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import BoltRequest

from bot.config import Settings
from bot.core import Bot
from integrations.slack.app import build_slack_app
from storage import inbox

log = logging.getLogger("norcrin_bot.inbox")

LEASE = timedelta(seconds=30)  # longer than any answer; a dead worker's row waits this long
POLL = 0.02  # seconds between looks at an empty inbox
THREADS = 4  # rows one process answers at once (Slack API calls wait on the network)


def answer_process(open_bot: Callable[[Settings], Bot], settings: Settings, lease: float,
                   poll: float, threads: int) -> None:
    """The body of one answer process (spawned): answer inbox rows until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    bot = open_bot(settings)
    runtime = build_slack_app(bot, answer_inline=True)
    owner = f"{os.getpid()}@{os.uname().nodename}"[:64]
    db, clock = bot.services.db, bot.services.clock
    span = timedelta(seconds=lease)

    parent = os.getppid()

    def loop() -> None:
        last_purge = 0.0
        while not stop.is_set():
            if os.getppid() != parent:  # the edge died: take no more rows; its successor will
                stop.set()
                break
            with db.session() as session:
                item = inbox.claim(session, owner=owner, now=clock.now(), lease=span)
            if item is None:
                if time.monotonic() - last_purge > 600:
                    with db.session() as session:
                        inbox.purge(session, now=clock.now())
                    last_purge = time.monotonic()
                stop.wait(poll)
                continue
            request = BoltRequest(body=item.body, headers={"content-type": [item.content_type]},
                                  context={"inbox_key": item.key})
            try:
                runtime.app.dispatch(request)
            except Exception:
                log.exception("inbox item %d failed", item.id)
            with db.session() as session:
                if not inbox.done(session, item, owner=owner, now=clock.now()):
                    log.warning("inbox item %d was taken over before it was done", item.id)

    workers = [threading.Thread(target=loop, name=f"inbox-{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    bot.services.db.dispose()


class AnswerWorkers:
    """Supervises the answer processes: start N, restart any that exits, SIGTERM them on stop."""

    def __init__(self, open_bot: Callable[[Settings], Bot], settings: Settings, count: int, *,
                 lease: float = LEASE.total_seconds(), poll: float = POLL,
                 threads: int = THREADS) -> None:
        self._args = (open_bot, settings, lease, poll, threads)
        self._context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = [None] * count
        self.restarts = 0
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def _spawn(self, slot: int) -> None:
        process = self._context.Process(target=answer_process, args=self._args,
                                        name=f"answer-{slot}", daemon=False)
        process.start()
        self.processes[slot] = process

    def start(self) -> AnswerWorkers:
        for slot in range(len(self.processes)):
            self._spawn(slot)
        self._watch = threading.Thread(target=self._supervise, name="answer-supervisor",
                                       daemon=True)
        self._watch.start()
        return self

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            for slot, process in enumerate(self.processes):
                if process is not None and not process.is_alive() and not self._stopping.is_set():
                    log.warning("answer process %d (pid %s) exited with %s; restarting", slot,
                                process.pid, process.exitcode)
                    self.restarts += 1
                    self._spawn(slot)

    def stop(self, timeout: float = 20.0) -> None:
        self._stopping.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
        for process in self.processes:
            if process is not None and process.is_alive():
                process.terminate()  # SIGTERM: finish the rows in hand, then exit
        deadline = time.monotonic() + timeout
        for process in self.processes:
            if process is not None:
                process.join(max(0.1, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(5)
