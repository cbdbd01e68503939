"""`norcrin-bot`: the command line (the composition root itself is `wiring.py`).

Every sub-command reads settings from the environment, so a wrong setting prints one clear line
(exit 2) instead of a traceback. Features add their own sub-commands through `Feature.cli`
(`commands.FEATURES`); the posting and worker machinery adds its own (`cli_posts`, `cli_worker`),
and Teams its `teams` command. Those are named in `CliCommands` and their modules imported only
when one of their commands runs: a call names its command first, so the parser is built with
the core commands and that one module's (every module's for `--help`, an unknown command or
anything unusual before the command).
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy.exc import OperationalError

from bot.config import ConfigError, Settings, load_settings
from bot.core import Bot
from bot.features import CliCommands
from bot.redact import install_log_masking
from bot.replies import Message, Person, Reply
from bot.terminal import CliError, CliTools
from commands import FEATURES
from integrations.console.render import render_reply
from integrations.runtime.wiring import build_bot
from storage.db import Database
from storage.directory import find_person_by_name

log = logging.getLogger("norcrin_bot")

Runner = Callable[[argparse.Namespace, Settings], int]
__all__ = ["CliError", "build_parser", "main", "open_bot"]

# The sub-commands of the posting, worker and Teams machinery, after the core ones below and
# before the features' (`--help` lists them in this order).
RUNTIME_CLI: tuple[CliCommands, ...] = (
    CliCommands(
        "integrations.runtime.cli_posts",
        (
            ("agenda", "meetings and agendas"),
            ("news", "news items for digests"),
            ("digest", "news digests"),
        ),
    ),
    CliCommands(
        "integrations.runtime.cli_worker",
        (
            ("schedule", "scheduled posts"),
            ("outbox", "show pending/sent/failed posts (or deliver, retry)"),
            ("worker", "run schedules and the outbox (no chat surface)"),
            ("graph", "Microsoft Graph set-up"),
        ),
    ),
    CliCommands("integrations.teams.cli", (("teams", "Microsoft Teams: the app package"),)),
)
CORE_COMMANDS = frozenset({"chat", "ask", "serve", "import", "export", "db"})


def _configure_logging(verbose: bool, default: int = logging.WARNING) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else default,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    install_log_masking()
    for noisy in ("httpx", "azure", "kiota", "alembic", "apscheduler.executors"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def open_bot(settings: Settings, **kwargs: Any) -> Bot:
    return build_bot(settings, **kwargs)


def print_reply(reply: Reply) -> None:
    """A reply as the terminal shows it (Rich, never markup from the data)."""
    Console(highlight=False).print(render_reply(reply))


def console_person(bot: Bot, name: str | None) -> Person:
    """The directory person `--user NAME` stands for (the local operator when no name)."""
    settings: Settings = bot.services.settings
    if not name:
        return Person(platform="console", user_id="operator", name="operator", is_admin=True)
    with bot.services.db.session() as session:
        person = find_person_by_name(session, name)
        if person is None:
            raise CliError(f"--user {name!r}: no such person in the directory.")
        admin_keys = {person.id, person.name, person.slack_user_id or ""}
        return Person(
            platform="console",
            user_id=person.id,
            person_id=person.id,
            name=person.name,
            is_admin=bool(admin_keys & settings.admins),
        )


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    # lazy: the terminal chat and its form-mode helpers load only for `chat`, not every call
    from integrations.console.chat import run_chat

    bot = open_bot(settings)
    person = console_person(bot, args.user)
    return run_chat(bot, person, pending=bot.services.console_pending)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    bot = open_bot(settings)
    sender = Person(platform="cli", user_id="cli", name="cli")
    questions = (
        [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    )
    for question in questions:
        replies = bot.handle(Message(text=question, sender=sender, surface="cli"))
        reply = replies[0]
        if args.json:
            sys.stdout.write(json.dumps(reply.as_json(), ensure_ascii=False) + "\n")
        else:
            print_reply(reply)
        sys.stdout.flush()
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from storage.loader import import_file  # lazy: the loader loads for import/export only

    db = Database(settings.database_url)
    db.prepare()
    with db.session() as session:
        summary = import_file(
            session,
            args.kind,
            Path(args.file),
            replace=args.replace,
            show_progress=True,
            max_bytes=settings.import_max_bytes,
            imported_by=args.by or getpass.getuser(),
            source=args.source,
            accept_conflicts=args.accept_conflicts,
        )
    print(f"Imported {args.kind} from {args.file}: {summary}.", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from storage.loader import export_text  # lazy: the loader loads for import/export only

    db = Database(settings.database_url)
    db.prepare()
    target = Path(args.file)
    suffix = target.suffix.lower() if args.file != "-" else f".{args.format}"
    with db.session() as session:
        text = export_text(session, args.kind, suffix)
    if args.file == "-":
        sys.stdout.write(text)
    else:
        target.write_text(text, encoding="utf-8")
        print(f"Exported {args.kind} to {target}.", file=sys.stderr)
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    db.prepare(load_defaults=not args.empty)
    if args.empty:
        db.keep_empty()  # remembered: later commands do not load the embedded data either
    print("database is up to date", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from integrations.slack.serve import serve  # lazy: heavy optional dependency (slack_bolt)

    return serve(args, settings, open_bot)


def cli_modules() -> tuple[CliCommands, ...]:
    """Every module that adds sub-commands, in `--help` order."""
    return (*RUNTIME_CLI, *(feature.cli for feature in FEATURES if feature.cli is not None))


def command_word(argv: Sequence[str]) -> str | None:
    """The sub-command `argv` runs, when it is plainly named: the first argument after any
    `-v`/`--verbose`, and a known command. None for anything else (`--help`, no command, an
    unknown one, an abbreviated option), which then gets the parser with every command."""
    for arg in argv:
        if arg in ("-v", "--verbose"):
            continue
        known = arg in CORE_COMMANDS or any(arg in group.names for group in cli_modules())
        return arg if known else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv` (for every command when `argv` is None): the core commands, and
    of the other modules' only the one that adds the command `argv` names (see `command_word`);
    it parses `argv` exactly as the full parser does."""
    wanted = None if argv is None else command_word(argv)
    parser = argparse.ArgumentParser(
        prog="norcrin-bot",
        description="NorCRIN's chat bot: people, work packages, SOPs, status forms, agendas.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(cli_tools=CliTools(open_bot=open_bot, print_reply=print_reply))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", help="talk to the bot in the terminal")
    chat.add_argument("--user", metavar="NAME", help="act as this directory person")
    chat.set_defaults(run=cmd_chat)

    ask = sub.add_parser("ask", help="answer one question (or one per stdin line)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("question", nargs="?", help="the question; omit to read stdin")
    ask.set_defaults(run=cmd_ask)

    serve = sub.add_parser("serve", help="serve Slack (Socket Mode, or HTTP with --http) and Teams")
    serve.add_argument("--http", action="store_true",
                       help="HTTP: Slack Events API, and Teams (POST /api/messages) if configured")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--no-worker", action="store_true", help="do not run scheduled jobs here")
    serve.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="HTTP: answer events in N separate processes (default: one per core; 0: in this one)",
    )
    serve.add_argument(
        "--lease", type=float, default=30.0, metavar="SECONDS",
        help="how long an answer process holds an event before another may take it (default 30)",
    )
    serve.set_defaults(run=cmd_serve)

    imp = sub.add_parser("import", help="import people or documents from YAML/CSV")
    imp.add_argument("kind", choices=["people", "documents"])
    imp.add_argument("file")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="people: drop memberships not in the file for the people in it",
    )
    imp.add_argument(
        "--source",
        metavar="SOURCE",
        help="source of records without their own: web:URL[@YYYY-MM-DD], report or import "
        "(default: this file, imported by --by)",
    )
    imp.add_argument("--by", metavar="NAME", help="who imports (default: the login name)")
    imp.add_argument(
        "--accept-conflicts",
        action="store_true",
        help="apply values that differ from a stronger source (recorded as your decision)",
    )
    imp.set_defaults(run=cmd_import)

    exp = sub.add_parser("export", help="export people or documents to YAML/CSV")
    exp.add_argument("kind", choices=["people", "documents"])
    exp.add_argument("file", help="target .yaml/.csv, or - for stdout")
    exp.add_argument("--format", choices=["yaml", "csv"], default="yaml", help="with -")
    exp.set_defaults(run=cmd_export)

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    db.add_argument("--empty", action="store_true", help="do not load the embedded data")
    db.set_defaults(run=cmd_db)

    for group in cli_modules():
        if wanted is None or wanted in group.names:
            importlib.import_module(group.module).register_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    _configure_logging(
        args.verbose, logging.INFO if args.command in ("serve", "worker") else logging.WARNING
    )
    try:
        settings = load_settings()
        return int(args.run(args, settings) or 0)
    except ConfigError as exc:
        print(f"norcrin-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"norcrin-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from storage.loader import DataFileError  # lazy: only on the way out with an error

        if isinstance(exc, DataFileError):
            print(f"norcrin-bot: {exc}", file=sys.stderr)
            return 1
        if isinstance(exc, OperationalError):
            reason = " ".join(str(exc.orig).split())  # one line, also for psycopg's hints
            print(f"norcrin-bot: cannot use the database: {reason}", file=sys.stderr)
            return 2
        log.debug("unexpected failure", exc_info=True)  # the traceback only with -v
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"norcrin-bot: unexpected error: {exc.__class__.__name__}: {first}"
            + ("" if args.verbose else " (run with -v for details)"),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
