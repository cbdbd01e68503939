"""CLI start-up, each command in a fresh interpreter, against peers in the same run (medians):

- `norcrin-bot ask "who leads AP8"` on a prepared SQLite database against importing slack_bolt,
  sqlalchemy, rich and apscheduler alone, interleaved round by round (the issue-12 figure);
- `norcrin-bot --help` and importing the composition root against a bare `python -c pass`;
- which heavy optional packages `--help` and `ask` import (none expected: slack_bolt, msgraph,
  azure, docx, alembic, apscheduler … stay behind the sub-commands that need them).

Byte-code caching is on for every run (as an installed package runs), after one warm-up each.

Usage: python bench/cli_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER = "import slack_bolt, sqlalchemy, rich, apscheduler"
HEAVY = ("slack_bolt", "slack_sdk", "msgraph", "kiota_http", "azure.identity", "docx", "alembic",
         "starlette", "hypercorn", "apscheduler", "feedparser", "httpx")


def run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_imports(argv: list[str], env: dict[str, str]) -> str:
    probe = (
        f"import sys, runpy; sys.argv = ['norcrin-bot', *{argv!r}]\n"
        "try:\n    runpy.run_module('integrations.runtime', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["DATABASE_URL"] = f"sqlite:///{tmp}/cli.sqlite3"
        commands = {
            "ask": ["-m", "integrations.runtime", "ask", "who leads AP8"],
            "imports": ["-c", PEER],
            "help": ["-m", "integrations.runtime", "--help"],
            "wiring": ["-c", "import integrations.runtime.wiring"],
            "bare": ["-c", "pass"],
        }
        subprocess.run([sys.executable, "-m", "integrations.runtime", "db", "upgrade"], cwd=ROOT,
                       env=env, check=True, stderr=subprocess.DEVNULL)
        for args in commands.values():  # warm-up: byte code, the glossary cache
            run(args, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, args in commands.items():
                times[name].append(run(args, env))
        median = {name: statistics.median(values) for name, values in times.items()}
        found = {argv[0]: heavy_imports(argv, env) for argv in (["--help"], ["ask", "x"])}
    print(f"norcrin-bot ask (prepared SQLite)   {median['ask'] * 1000:7.0f} ms  "
          f"({median['ask'] / median['imports']:.2f}x the imports below)")
    print(f"import {PEER[7:]:<28} {median['imports'] * 1000:7.0f} ms")
    print(f"norcrin-bot --help                  {median['help'] * 1000:7.0f} ms  "
          f"({median['help'] / median['bare']:.1f}x python -c pass)")
    print(f"import the composition root         {median['wiring'] * 1000:7.0f} ms  "
          f"({median['wiring'] / median['bare']:.1f}x python -c pass)")
    print(f"python -c pass                      {median['bare'] * 1000:7.0f} ms")
    for command, packages in found.items():
        print(f"heavy optional packages loaded by {command}: {packages or 'none'}")
    print(f"{rounds} rounds, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
