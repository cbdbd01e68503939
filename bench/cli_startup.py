"""CLI start-up: `norcrin-bot ask "who leads AP8"` on a prepared database, against importing
slack_bolt, sqlalchemy, rich and apscheduler alone, interleaved in the same run. Prints the
medians and the ratio; see README "Figures".

Both run with byte-code caching on (as an installed package runs), after one warm-up each.

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


def norcrin_bot() -> list[str]:
    script = Path(sys.executable).with_name("norcrin-bot")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "integrations.runtime"]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["DATABASE_URL"] = f"sqlite:///{tmp}/cli.sqlite3"
        env.pop("NORCRIN_CACHE_DIR", None)
        ask = [*norcrin_bot(), "ask", "who leads AP8"]
        peer = [sys.executable, "-c", PEER]
        subprocess.run([*norcrin_bot(), "db", "upgrade"], env=env, cwd=ROOT, check=True)
        timed(ask, env)  # warm-up: byte code, caches
        timed(peer, env)
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(timed(ask, env))
            theirs.append(timed(peer, env))
    load = os.getloadavg()[0]
    ask_median, peer_median = statistics.median(ours), statistics.median(theirs)
    print(f"norcrin-bot ask (prepared SQLite database): median {ask_median:.2f} s")
    print(f"import slack_bolt, sqlalchemy, rich, apscheduler: median {peer_median:.2f} s")
    print(f"ratio {ask_median / peer_median:.2f}x over {args.rounds} rounds (load {load:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
