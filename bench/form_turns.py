"""Cost of one direct message while a status form is open (p50/p95): an answer (parsed, saved,
echoed) and an aside ("hvem leder AP8?": answered, question asked again), on SQLite.

Usage: python bench/form_turns.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import FixedClock
from bot.config import load_settings
from bot.replies import Message, Person
from commands.status_campaigns import NewCampaign
from commands.status_delivery import launch_campaign
from integrations.runtime.wiring import build_bot


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"})
        bot = build_bot(settings, clock=FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
        launch_campaign(
            bot.services,
            NewCampaign(name="Bench", deadline="2026-03-31", opens="now", groups=["AP8"]),
            created_by="bench",
        )
        person = Person("console", "cecilie-moe", "cecilie-moe", "Cecilie Moe")

        def say(text: str) -> float:
            start = time.perf_counter()
            bot.handle(Message(text=text, sender=person))
            return time.perf_counter() - start

        say("status")
        answers, asides = [], []
        for _ in range(args.rounds):
            asides.append(say("hvem leder AP8?"))
            answers.append(say("Vi har hatt tre møter.\n- januar\n- februar"))
            say("tilbake")
        print(f"form answer (parse, save, echo): {_ms(answers)}")
        print(f"aside mid-form (answer + question again): {_ms(asides)}")
        bot.services.db.dispose()


if __name__ == "__main__":
    main()
