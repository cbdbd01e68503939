"""Answer latency (p50/p95) on the embedded data and on a generated corpus ten times larger,
plus resident memory after start; then the same questions on SQLite and on a throw-away
PostgreSQL database side by side (p50/p95, the ratio, and SQL statements per answer counted at
the cursor). Prints one line per figure; see README "Figures".

Usage: python bench/ask_latency.py [--rounds N] [--database-url URL] [--compare-only]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event

from bot.config import load_settings
from bot.replies import Message, Person
from integrations.runtime.wiring import build_bot

PG_ADMIN_URL = os.environ.get("NORCRIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
QUESTIONS = [
    "who leads AP3?",
    "hvem er nestleder i AP11?",
    "who from OUS is in the SOP work package",
    "hvem leder studiesykepleierkurset",
    "prosjektøkonom i NorCRIN",
    "what does AP13 work on",
    "law group",
    "Ellen Johnsen",
    "note to file SOP",
    "CRF og PRO skjema",
    "query list template",
    "close-out monitoring report",
    "protocol version tracking log",
    "destruksjon av studiemedisin",
    "CV mal for utprøver",
    "annual safety report",
    "SOP for SUSAR reporting",
    "mal for protokoll",
    "hvem fra St. Olavs er med i statistikkgruppen",
    "informert samtykke",
    "Tanja Iglund",
    # everyday wording, topic contacts and questions the bot declines (issue 7)
    "how do we record which tasks the PI has handed to each person on the team?",
    "vi må endre protokollen midt i studien, hva gjør vi?",
    "who can I ask about our contract templates and the legal side of a trial?",
    "which people are alternates on the board?",
    "is Peter Hansen on the NorCRIN board?",
    "what's the weather going to be like in Bergen tomorrow?",
    "takk for hjelpen!",
]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generated_documents(factor: int) -> list[dict]:
    """The real catalogue, plus (factor-1) reworded copies with new codes and mixed topics."""
    catalogue = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "storage/data/sop_catalogue.yaml").read_text("utf-8")
    )["entries"]
    rng = random.Random(42)
    words = [w for e in catalogue for w in (e.get("title_en") or e.get("title_no") or "").split()]
    out = []
    for copy in range(1, factor):
        for entry in catalogue:
            title = (entry.get("title_en") or entry.get("title_no") or "x").split()
            extra = rng.sample(words, 3)
            out.append(
                {
                    "id": f"GEN {copy}.{len(out)}",
                    "title_en": " ".join(title + extra),
                    "kind": entry.get("kind") or "other",
                    "area": entry.get("area"),
                    "url": f"https://example.org/doc/{copy}/{len(out)}",
                    "summary": entry.get("summary_en"),
                }
            )
    return out


def measure(bot, rounds: int) -> tuple[float, float]:
    sender = Person("bench", "bench")
    timings = []
    for _ in range(rounds):
        for question in QUESTIONS:
            start = time.perf_counter()
            bot.handle(Message(text=question, sender=sender))
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def statements_per_answer(bot) -> tuple[float, int]:
    """Mean and most SQL statements one answer sends (each one a round trip on PostgreSQL)."""
    counts: list[int] = []
    current = [0]

    def count(*_args: object) -> None:
        current[0] += 1

    event.listen(bot.services.db.engine, "before_cursor_execute", count)
    try:
        for question in QUESTIONS:
            current[0] = 0
            bot.handle(Message(text=question, sender=Person("bench", "bench")))
            counts.append(current[0])
    finally:
        event.remove(bot.services.db.engine, "before_cursor_execute", count)
    return statistics.mean(counts), max(counts)


@contextmanager
def throwaway_postgres() -> Iterator[str | None]:
    """A new PostgreSQL database on NORCRIN_TEST_PG's server, dropped afterwards; None when the
    server is unreachable."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    name = f"norcrin_bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    server = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{server}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def side_by_side(rounds: int, sqlite_url: str) -> None:
    """The same questions on SQLite and PostgreSQL in one run, interleaved question by question
    so both see the same machine load: the ratio is the figure."""
    with throwaway_postgres() as pg_url:
        if pg_url is None:
            print(f"postgresql: not reachable at {PG_ADMIN_URL}; no side-by-side figures")
            return
        bots = {name: build_bot(load_settings({"DATABASE_URL": url}))
                for name, url in (("sqlite", sqlite_url), ("postgresql", pg_url))}
        sender = Person("bench", "bench")
        timings: dict[str, list[float]] = {name: [] for name in bots}
        statements = {}
        for name, bot in bots.items():
            for question in QUESTIONS:  # warm: snapshot, vocabulary, connections
                bot.handle(Message(text=question, sender=sender))
            statements[name] = statements_per_answer(bot)
        for _ in range(rounds):
            for question in QUESTIONS:
                for name, bot in bots.items():
                    start = time.perf_counter()
                    bot.handle(Message(text=question, sender=sender))
                    timings[name].append((time.perf_counter() - start) * 1000)
        figures = {}
        for name, values in timings.items():
            values.sort()
            figures[name] = (statistics.median(values), values[int(len(values) * 0.95) - 1])
            mean, most = statements[name]
            print(
                f"{name}: p50 {figures[name][0]:.1f} ms, p95 {figures[name][1]:.1f} ms, "
                f"SQL statements per answer {mean:.1f} (most {most})"
            )
            bots[name].services.db.dispose()
    (s50, s95), (g50, g95) = figures["sqlite"], figures["postgresql"]
    print(
        f"postgresql/sqlite: p50 {g50 / s50:.2f}x, p95 {g95 / s95:.2f}x "
        f"(load {os.getloadavg()[0]:.1f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--compare-only", action="store_true", help="only SQLite vs PostgreSQL side by side"
    )
    args = parser.parse_args()
    if args.compare_only:
        with tempfile.TemporaryDirectory() as tmp:
            side_by_side(args.rounds, f"sqlite:///{tmp}/compare.sqlite3")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        started = time.perf_counter()
        bot = build_bot(load_settings({"DATABASE_URL": url}))
        first_start = time.perf_counter() - started
        bot.handle(Message(text="warm up", sender=Person("bench", "bench")))
        print(f"first start (migrate + load + index): {first_start:.2f} s")
        print(f"resident memory after start: {rss_mb():.0f} MB")
        p50, p95 = measure(bot, args.rounds)
        label = f"embedded data ({len(QUESTIONS)} questions x {args.rounds})"
        print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")

        from storage.loader import import_text

        docs = generated_documents(10)
        with bot.services.db.session() as session:
            import_text(
                session, "documents", yaml.safe_dump(docs, allow_unicode=True), "generated.yaml"
            )
        p50, p95 = measure(bot, args.rounds)
        print(f"10x corpus ({len(docs) + 191} documents): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        print(f"resident memory after the 10x corpus: {rss_mb():.0f} MB")
        bot.services.db.dispose()
        side_by_side(args.rounds, f"sqlite:///{tmp}/compare.sqlite3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
