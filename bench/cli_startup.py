"""CLI start-up: wall time of `norcrin-bot --help` and of importing the composition root, each in
a fresh interpreter, against a bare `python -c pass` in the same run (the peer), median of N.
Also lists which heavy optional packages a `--help` imports (none expected: slack_bolt, msgraph,
azure, docx, alembic stay behind the sub-commands that need them).

Usage: python bench/cli_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("slack_bolt", "slack_sdk", "msgraph", "kiota_http", "azure.identity", "docx", "alembic",
         "starlette", "hypercorn")


def timed(args: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    bare = timed(["-c", "pass"], rounds)
    helped = timed(["-m", "integrations.runtime", "--help"], rounds)
    wiring = timed(["-c", "import integrations.runtime.wiring"], rounds)
    probe = (
        "import sys, runpy; sys.argv = ['norcrin-bot', '--help']\n"
        "try:\n    runpy.run_module('integrations.runtime', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                           text=True, check=True).stderr.strip()
    print(f"python -c pass (peer)          {bare * 1000:7.0f} ms")
    print(f"norcrin-bot --help             {helped * 1000:7.0f} ms  ({helped / bare:.1f}x peer)")
    print(f"import the composition root    {wiring * 1000:7.0f} ms  ({wiring / bare:.1f}x peer)")
    print(f"heavy optional packages loaded by --help: {found or 'none'}")


if __name__ == "__main__":
    main()
