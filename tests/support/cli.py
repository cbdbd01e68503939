"""Run `norcrin-bot` commands as separate processes, cheaply.

Tests that drive the terminal through many commands (one process per command, so everything a
later command sees must have been persisted by an earlier one) spent most of the suite's time
starting interpreters and importing the same third-party libraries again. `run_cli` keeps that
contract but forks each command from a warm interpreter (`tests/support/cli_zygote.py`) that has
loaded the installed console-script entry point and nothing else of ours: the child sets the
command's environment, working directory and standard streams and runs the entry point's
`main()` on freshly imported modules, exactly as a new `norcrin-bot` process would.
`tests/test_cli.py` and the process tests (serve, worker, a killed chat) still start real
interpreters.
"""

from __future__ import annotations

import atexit
import io
import json
import locale
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_lock = threading.Lock()
_zygote: subprocess.Popen[str] | None = None


def _start() -> subprocess.Popen[str]:
    global _zygote
    if _zygote is None or _zygote.poll() is not None:
        _zygote = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("cli_zygote.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        atexit.register(_stop, _zygote)
    return _zygote


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(5)


def _reply(zygote: subprocess.Popen[str], timeout: float | None) -> dict[str, float]:
    assert zygote.stdout is not None
    ready, _, _ = select.select([zygote.stdout], [], [], timeout)
    if not ready:
        raise TimeoutError
    line = zygote.stdout.readline()
    if not line:
        raise RuntimeError("the CLI zygote died; see the test output for its traceback")
    return json.loads(line)


def _text(data: bytes) -> str:
    """Decoded as `subprocess.run(text=True)` does: locale encoding, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()


def run_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | str,
    stdin: str = "",
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(["norcrin-bot", *args], input=stdin, capture_output=True, text=True, …)`,
    forked from the warm interpreter; raises `subprocess.TimeoutExpired` like `run` does."""
    with _lock, tempfile.TemporaryDirectory(prefix="norcrin-cli-") as scratch:
        paths = {name: os.path.join(scratch, name) for name in ("stdin", "stdout", "stderr")}
        Path(paths["stdin"]).write_text(stdin, encoding="utf-8")
        zygote = _start()
        assert zygote.stdin is not None
        request = {"args": list(args), "env": dict(env), "cwd": str(cwd), **paths}
        zygote.stdin.write(json.dumps(request) + "\n")
        zygote.stdin.flush()
        pid = int(_reply(zygote, 30)["pid"])
        try:
            code = int(_reply(zygote, timeout)["returncode"])
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            _reply(zygote, 10)
            raise subprocess.TimeoutExpired(["norcrin-bot", *args], timeout) from None
        out, err = (_text(Path(paths[name]).read_bytes()) for name in ("stdout", "stderr"))
        return subprocess.CompletedProcess(["norcrin-bot", *args], code, out, err)
