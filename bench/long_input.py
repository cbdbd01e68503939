"""CPU per answer for hostile long input: a 40,000-character message, single words of 1,000 and
4,000 characters, and 8 threads of long-word messages at once. One line per figure; see README
"Escaping and input limits". Every message holds fresh random words, so no cache hides the cost.

Usage: python bench/long_input.py [--rounds N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_settings
from bot.replies import Message, Person
from integrations.runtime.wiring import build_bot

LETTERS = "abcdefghijklmnoprstuvyæøå"


def letters(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(length))


def cpu_ms(bot, make_text, rounds: int) -> tuple[float, float]:
    """Median and worst CPU milliseconds (time.process_time) of one answer."""
    sender = Person("bench", "bench")
    timings = []
    for _ in range(rounds):
        text = make_text()
        started = time.process_time()
        bot.handle(Message(text=text, sender=sender))
        timings.append((time.process_time() - started) * 1000)
    return statistics.median(timings), max(timings)


def threaded(bot, rng: random.Random, threads: int, each: int) -> tuple[float, int]:
    """Wall seconds for `threads` x `each` long-word messages; how many were apologies."""
    texts = [[f"hvem leder AP8 {letters(rng, 300)}" for _ in range(each)] for _ in range(threads)]
    errors = [0]

    def run(batch: list[str]) -> None:
        for text in batch:
            (reply,) = bot.handle(Message(text=text, sender=Person("bench", "t")))
            errors[0] += reply.intent == "error"

    workers = [threading.Thread(target=run, args=(batch,)) for batch in texts]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, errors[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        bot = build_bot(load_settings({"DATABASE_URL": args.database_url
                                       or f"sqlite:///{tmp}/bench.sqlite3"}))
        bot.handle(Message(text="warm up", sender=Person("bench", "bench")))

        def long_message() -> str:
            filler = " ".join(letters(rng, rng.randint(3, 14)) for _ in range(6000))
            return ("hvem leder AP8? " + filler)[:40_000]

        for label, make in (
            ("40,000-character message", long_message),
            ("one 1,000-character word", lambda: letters(rng, 1000)),
            ("one 4,000-character word", lambda: letters(rng, 4000)),
        ):
            p50, worst = cpu_ms(bot, make, args.rounds)
            print(f"{label}: CPU p50 {p50:.1f} ms, max {worst:.1f} ms")
        seconds, errors = threaded(bot, rng, 8, 4 * args.rounds)
        total = 8 * 4 * args.rounds
        print(f"8 threads x {4 * args.rounds} long-word messages: {seconds:.2f} s, "
              f"{errors} of {total} apologies")
        bot.services.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
