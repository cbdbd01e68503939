"""The warm interpreter behind `tests.support.cli.run_cli` (run as a script, never imported).

It loads the installed `norcrin-bot` console-script entry point once — the bot's own modules and
the third-party packages they import, exactly as a new `norcrin-bot` process loads them before
`main()` — plus the third-party packages other commands import later; then, for each request line
on stdin, it forks a child that becomes the command: environment, working directory, streams and
`sys.argv` replaced, the entry point's `main()` run, exit handlers run, the exit code returned.
Loading the modules before the fork is the same as loading them in the child because no module
reads the environment, the working directory or the database when imported (settings are read by
`main()`; the glossary and the index load on first use) and nothing has run yet: every child
starts from freshly imported modules. It writes two lines per request: the child's pid, then its
exit code and CPU time.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from importlib.metadata import entry_points

WARM = (
    "alembic.command", "alembic.config", "alembic.runtime.migration",
    "apscheduler.schedulers.background", "apscheduler.triggers.cron", "dateutil.parser",
    "dateutil.rrule", "docx", "dotenv", "feedparser", "httpx", "platformdirs", "psycopg",
    "rapidfuzz.fuzz", "rapidfuzz.process", "rich.console", "rich.markup", "rich.table",
    "rich.text", "slack_bolt", "slack_sdk", "slack_sdk.models.blocks", "snowballstemmer",
    "sqlalchemy", "sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.sqlite",
    "sqlalchemy.orm", "yaml",
)


def _warm() -> Callable[[], object]:
    """The entry point's `main`, loaded as the console script loads it."""
    sys.path[0] = os.path.dirname(sys.executable)  # as for a console script in the venv
    for name in WARM:
        with contextlib.suppress(ImportError):  # if missing, the command finds out itself
            importlib.import_module(name)
    (entry,) = entry_points(group="console_scripts", name="norcrin-bot")
    main = entry.load()
    assert "tests" not in sys.modules, "the zygote must not import the test suite"
    assert threading.active_count() == 1, "the zygote must not start threads before forking"
    return main


def _streams(request: dict) -> None:
    encoding, errors = sys.stdout.encoding, sys.stdout.errors
    for fd, name, mode in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY | os.O_TRUNC),
                           (2, "stderr", os.O_WRONLY | os.O_TRUNC)):
        opened = os.open(request[name], mode | (os.O_CREAT if fd else 0))
        if opened != fd:
            os.dup2(opened, fd)
            os.close(opened)
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(
        io.FileIO(0, "r", closefd=False), encoding=encoding, errors=errors)
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding=encoding, errors=errors)
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding=encoding, errors="backslashreplace",
        line_buffering=True)


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter does with `SystemExit(code)`."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _child(request: dict, main: Callable[[], object]) -> None:
    code = 1
    try:
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        os.chdir(request["cwd"])
        _streams(request)
        sys.argv = ["norcrin-bot", *request["args"]]
        try:
            result = main()
            code = _exit_code(SystemExit(result))
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:
            traceback.print_exc()
            code = 1
        threading._shutdown()  # type: ignore[attr-defined]  # as at interpreter exit
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    finally:
        os._exit(code)


def serve() -> None:
    main = _warm()
    replies = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            sys.stdin.close()
            _child(request, main)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status, usage = os.wait4(pid, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status),
                                  "cpu": usage.ru_utime + usage.ru_stime}) + "\n")
        replies.flush()


if __name__ == "__main__":
    serve()
