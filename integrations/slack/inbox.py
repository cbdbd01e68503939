"""Answering off the ack path: `serve --http --workers N` runs N answer processes.

The edge process (`integrations.slack.http`) verifies the signature, writes the event to the
inbox (`storage.inbox`, on SQLite a file of its own so acks never wait on answer writes: the
unique event id is the de-duplication, the committed row the
durable hand-off) and acks. Answer processes, each with its own interpreter and GIL, claim rows
with a lease and feed them to their own bolt app, which runs the listener to the end before
`dispatch` returns (`process_before_response`, answers inline), so the row is marked done only
after the answer went out. A process killed mid-answer leaves its row leased; the supervisor
(`AnswerWorkers`, in the edge process), which restarts a process that exits and stops them all
with SIGTERM, frees a dead process's rows at once, so a live process answers them without waiting
for the lease (which still covers a process that hangs, or an edge that dies with its workers).
A process may die after Slack took its answer but before the row was done: the row's key and
attempt go into bolt's context, the answer's posts carry the key as message metadata, and a
later attempt looks for them before posting (`SlackRuntime.answer_once`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import timedelta
from functools import partial
from typing import Any

from slack_bolt import BoltRequest

from bot.config import Settings
from bot.core import Bot
from integrations.slack.app import build_slack_app
from integrations.slack.surface import INBOX_ATTEMPTS, INBOX_KEY, INBOX_STILL_MINE
from storage import inbox

log = logging.getLogger("norcrin_bot.inbox")

LEASE = timedelta(seconds=30)  # longer than any answer; a hung worker's row waits this long
POLL = 0.02  # seconds between looks at an empty inbox (when nothing rings the doorbell)
IDLE = 1.0  # with the edge's doorbell: looks at an idle inbox (rows of a lapsed lease)
THREADS = 4  # rows one process answers at once (Slack API calls wait on the network)
NICENESS = 10  # answer processes yield the CPU to the edge, so acks stay fast while answering


def owner_of(pid: int) -> str:
    """The name an answer process claims rows under."""
    return f"{pid}@{os.uname().nodename}"[:64]


def answer_process(open_bot: Callable[[Settings], Bot], settings: Settings, lease: float,
                   poll: float, threads: int, doorbell: Any = None) -> None:
    """The body of one answer process (forked by the fork server): answer inbox rows until
    SIGTERM. `doorbell` (a semaphore the edge releases after storing rows) lets an idle process
    sleep instead of polling the database every `poll` seconds."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    os.nice(NICENESS)  # the acking process comes first whenever both want a core
    stop = threading.Event()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    bot = open_bot(settings)
    runtime = build_slack_app(bot, answer_inline=True)
    owner = owner_of(os.getpid())
    db, clock = inbox.inbox_database(bot.services.db), bot.services.clock
    span = timedelta(seconds=lease)

    parent = os.getppid()
    work: queue.SimpleQueue[inbox.Claimed | None] = queue.SimpleQueue()
    free = threading.Semaphore(threads)  # rows in hand never exceed the answer threads
    claimed_at: dict[int, float] = {}  # row id -> when this process claimed it (monotonic)

    def claimer() -> None:
        """One claiming transaction per batch, not one per thread: fewer writers on the lock
        the edge's hand-off needs."""
        last_purge = 0.0
        while not stop.is_set() and os.getppid() == parent:  # orphaned: leave rows to the next
            if not free.acquire(timeout=poll):
                continue
            taken = 1
            while taken < threads and free.acquire(blocking=False):
                taken += 1
            with db.session() as session:
                items = inbox.claim(session, owner=owner, now=clock.now(), lease=span,
                                    limit=taken)
            for item in items:
                claimed_at[item.id] = time.monotonic()
                work.put(item)
            for _ in range(taken - len(items)):
                free.release()
            if not items:
                if time.monotonic() - last_purge > 600:
                    with db.session() as session:
                        inbox.purge(session, now=clock.now())
                    last_purge = time.monotonic()
                if doorbell is None:
                    stop.wait(poll)
                else:  # a ring during the claim above is counted: this returns at once
                    doorbell.acquire(timeout=IDLE)
        for _ in range(threads):
            work.put(None)

    def still_mine(item: inbox.Claimed) -> bool:
        """Renew the row's lease just before a post; False once another process took it over
        (this one hung past its lease), so the answer is not posted twice. Within the first half
        of the lease nobody can have taken it (only a dead owner's rows are freed early): no
        database write for the usual answer."""
        if time.monotonic() - claimed_at.get(item.id, float("-inf")) < lease / 2:
            return True
        try:
            with db.session() as session:
                return inbox.still_mine(session, item, owner=owner, now=clock.now(), lease=span)
        except Exception:  # the inbox is unreachable: post (twice rather than never)
            log.exception("inbox item %d: could not renew its lease; answering", item.id)
            return True

    def answerer() -> None:
        while (item := work.get()) is not None:
            # the key names the answer's posts; a later attempt looks for them before posting
            request = BoltRequest(body=item.body, headers={"content-type": [item.content_type]},
                                  context={INBOX_KEY: item.key, INBOX_ATTEMPTS: item.attempts,
                                           INBOX_STILL_MINE: partial(still_mine, item)})
            try:
                runtime.app.dispatch(request)
            except Exception:
                log.exception("inbox item %d failed", item.id)
            try:
                with db.session() as session:
                    if not inbox.done(session, item, owner=owner, now=clock.now()):
                        log.warning("inbox item %d was taken over before it was done", item.id)
            finally:
                claimed_at.pop(item.id, None)
                free.release()

    workers = [threading.Thread(target=claimer, name="inbox-claim")]
    workers += [threading.Thread(target=answerer, name=f"inbox-{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if db is not bot.services.db:
        db.dispose()
    bot.services.db.dispose()


class InboxWriter:
    """The edge's hand-off: concurrent acks wait for one shared commit (group commit), so a burst
    costs one transaction per batch instead of a queue of writers backing off on the database's
    lock. `put` returns once its row is committed: only then may the request be acked."""

    def __init__(self, db: Any, clock: Any, *, max_batch: int = 64,
                 on_stored: Callable[[], None] | None = None) -> None:
        self._db, self._clock, self._max = db, clock, max_batch
        self._on_stored = on_stored  # after each commit that stored a new row
        self._queue: queue.SimpleQueue[tuple[str, str, str, Future[bool]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, name="inbox-writer", daemon=True)
        self._thread.start()

    def put(self, event_id: str, content_type: str, body: str) -> bool:
        """Store one event; True if new, False if its id is there already (a retry)."""
        done: Future[bool] = Future()
        self._queue.put((event_id, content_type or "application/json", body, done))
        return done.result()

    def _write(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with self._db.session() as session:
                    now = self._clock.now()
                    new = [inbox.put(session, key=key, surface="slack", content_type=kind,
                                     body=body, now=now) for key, kind, body, _ in batch]
            except Exception as exc:
                for *_, done in batch:
                    done.set_exception(exc)  # not stored, so not acked: Slack retries
                continue
            if any(new) and self._on_stored is not None:
                self._on_stored()
            for (*_, done), fresh in zip(batch, new, strict=True):
                done.set_result(fresh)


class AnswerWorkers:
    """Supervises the answer processes: start N, restart any that exits (freeing the inbox rows it
    held, in `inbox_db`), SIGTERM them on stop. `ring()` wakes idle ones: new rows are stored."""

    def __init__(self, open_bot: Callable[[Settings], Bot], settings: Settings, count: int, *,
                 inbox_db: Any, lease: float = LEASE.total_seconds(), poll: float = POLL,
                 threads: int = THREADS) -> None:
        self._inbox_db = inbox_db
        # A fork server that has imported the bot once forks each answer process: N processes
        # (and every restart) cost one import, not N, and a replacement is up in milliseconds.
        # The server is a fresh interpreter, so no lock or thread of the edge is forked.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(
            sorted({answer_process.__module__, getattr(open_bot, "__module__", None) or ""} - {""})
        )
        # A semaphore, not an Event: a process killed while waiting on an Event's condition
        # leaves its notify waiting forever for that process; a semaphore has no owner.
        self._doorbell = self._context.BoundedSemaphore(count)
        for _ in range(count):
            self._doorbell.acquire()  # starts at 0; rings beyond one per process are dropped
        self._args = (open_bot, settings, lease, poll, threads, self._doorbell)
        self.processes: list[Any] = [None] * count
        self.restarts = 0
        self._stopping = threading.Event()
        self._watch: threading.Thread | None = None

    def ring(self) -> None:
        """New rows are in the inbox (or it is time to stop): wake every idle answer process."""
        for _ in self.processes:
            try:
                self._doorbell.release()
            except ValueError:  # already rung for every process
                break

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
                    self._release(process.pid)
                    self._spawn(slot)

    def _release(self, pid: int) -> None:
        try:
            with self._inbox_db.session() as session:
                freed = inbox.release(session, owner=owner_of(pid))
        except Exception:  # the lease still frees them: never let this stop the supervisor
            log.exception("could not free the rows of answer process %s", pid)
            return
        if freed:
            log.warning("freed %d inbox rows answer process %s held", freed, pid)
            self.ring()

    def stop(self, timeout: float = 20.0) -> None:
        self._stopping.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
        for process in self.processes:
            if process is not None and process.is_alive():
                process.terminate()  # SIGTERM: finish the rows in hand, then exit
        self.ring()  # so an idle claimer sees the stop now, not after its next look
        deadline = time.monotonic() + timeout
        for process in self.processes:
            if process is not None:
                process.join(max(0.1, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(5)
