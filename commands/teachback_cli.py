"""`norcrin-bot triage …`, `taught …`, `stats questions`: the secretariat's side of teach-back.

The shell user is the operator (an admin); `--as NAME` records who answered (default: the
operator). Answers are delivered at once (the asker's Slack DM or terminal inbox, the edit of the
secretariat's channel post); whatever fails stays queued for the worker.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.config import Settings
from bot.terminal import CliError, cli_tools
from commands.teachback import deliver_now
from commands.teachback_admin import (
    answer_item,
    dismiss_item,
    edit_taught,
    taught_json,
    triage_json,
)
from storage.directory import find_person_by_name
from storage.questions_log import TeachbackError, list_items, list_taught, retire, stats

OPERATOR = "operator"


def register_cli(sub: Any) -> None:
    triage = sub.add_parser("triage", help="questions the bot declined or that got a 👎")
    actions = triage.add_subparsers(dest="triage_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every triage item, oldest first")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.add_argument("--status", choices=["open", "answered", "dismissed"], default=None)
    listing.set_defaults(run=cmd_triage_list)
    answer = actions.add_parser("answer", help="answer an item (the asker is told; it is taught)")
    answer.add_argument("id")
    _target_args(answer, required=True)
    answer.add_argument("--as", dest="as_name", metavar="NAME", default=None,
                        help="who answers (default: operator)")
    answer.set_defaults(run=cmd_triage_answer)
    dismiss = actions.add_parser("dismiss", help="close an item without an answer")
    dismiss.add_argument("id")
    dismiss.add_argument("--as", dest="as_name", metavar="NAME", default=None)
    dismiss.set_defaults(run=cmd_triage_dismiss)

    taught = sub.add_parser("taught", help="taught answers: list, edit, retire")
    t_actions = taught.add_subparsers(dest="taught_command", required=True, metavar="ACTION")
    t_list = t_actions.add_parser("list", help="active taught answers (--all: retired too)")
    t_list.add_argument("--format", choices=["table", "json"], default="table")
    t_list.add_argument("--all", action="store_true")
    t_list.set_defaults(run=cmd_taught_list)
    retire = t_actions.add_parser("retire", help="stop giving a taught answer")
    retire.add_argument("id")
    retire.set_defaults(run=cmd_taught_retire)
    edit = t_actions.add_parser("edit", help="change a taught answer's target or wording")
    edit.add_argument("id")
    _target_args(edit, required=False)
    edit.add_argument("--question", default=None, help="the wording it answers")
    edit.add_argument("--as", dest="as_name", metavar="NAME", default=None)
    edit.set_defaults(run=cmd_taught_edit)

    stats = sub.add_parser("stats", help="usage statistics")
    s_actions = stats.add_subparsers(dest="stats_command", required=True, metavar="WHAT")
    questions = s_actions.add_parser("questions", help="questions asked, answered, declined, …")
    questions.add_argument("--since", default=None, help="YYYY-MM-DD (Oslo time)")
    questions.add_argument("--format", choices=["table", "json"], default="table")
    questions.set_defaults(run=cmd_stats_questions)


def _target_args(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--document", metavar="CODE")
    group.add_argument("--group", metavar="ID")
    group.add_argument("--person", metavar="NAME")
    group.add_argument("--text", metavar="TEXT")


def _target(args: argparse.Namespace) -> tuple[str, str] | None:
    for kind in ("document", "group", "person", "text"):
        value = getattr(args, kind)
        if value is not None:
            return kind, value
    return None


def _bot(args: argparse.Namespace, settings: Settings) -> Any:
    return cli_tools(args).open_bot(settings)


def _fail(exc: Exception) -> Any:

    return CliError(str(exc))


def _as_name(bot: Any, name: str | None) -> str:
    """The directory's spelling of `--as NAME` when it is a person, else the name as given."""
    if not name:
        return OPERATOR

    with bot.services.db.session() as session:
        person = find_person_by_name(session, name)
        return person.name if person else name.strip()


def _print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    Console(highlight=False).print(table)


def cmd_triage_list(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    with bot.services.db.session() as session:
        items = [triage_json(i) for i in list_items(session, args.status)]
    if args.format == "json":
        sys.stdout.write(json.dumps(items, ensure_ascii=False) + "\n")
        return 0
    _print_table("Triage", ["id", "status", "reason", "asked at", "asked by", "question"], [
        [str(i["id"]), i["status"], i["reason"], i["asked_at"][:16], i["asked_by"] or "",
         i["question"]] for i in items
    ])
    return 0


def cmd_triage_answer(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    kind, value = _target(args) or ("text", "")
    try:
        line, keys = answer_item(bot.services, args.id, kind, value, _as_name(bot, args.as_name))
    except TeachbackError as exc:
        raise _fail(exc) from None
    deliver_now(bot.services, keys)
    print(line)
    return 0


def cmd_triage_dismiss(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    try:
        line, keys = dismiss_item(bot.services, args.id, _as_name(bot, args.as_name))
    except TeachbackError as exc:
        raise _fail(exc) from None
    deliver_now(bot.services, keys)
    print(line)
    return 0


def cmd_taught_list(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    with bot.services.db.session() as session:
        rows = [taught_json(r) for r in list_taught(session, include_retired=args.all)]
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    _print_table("Taught answers", ["id", "question", "answer", "taught by", "taught at", "active"],
                 [[str(r["id"]), r["question"], f"{r['kind']}: {r['ref'] or r['text']}",
                   r["taught_by"], r["taught_at"][:16], "yes" if r["active"] else "retired"]
                  for r in rows])
    return 0


def cmd_taught_retire(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    try:
        with bot.services.db.session() as session:
            row = retire(session, args.id, bot.services.clock.now())
            print(f"taught answer {row.id} retired")
    except TeachbackError as exc:
        raise _fail(exc) from None
    return 0


def cmd_taught_edit(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    target = _target(args)
    if target is None and not args.question:
        raise _fail(ValueError("give --document, --group, --person, --text or --question"))
    try:
        line = edit_taught(
            bot.services, args.id, kind=target[0] if target else None,
            value=target[1] if target else None, question=args.question,
            by=_as_name(bot, args.as_name) if args.as_name else "",
        )
    except TeachbackError as exc:
        raise _fail(exc) from None
    print(line)
    return 0


def cmd_stats_questions(args: argparse.Namespace, settings: Settings) -> int:
    since = None
    if args.since:
        try:
            day = datetime.strptime(args.since, "%Y-%m-%d")
        except ValueError:
            raise _fail(ValueError(f"--since {args.since!r}: expected YYYY-MM-DD")) from None
        since = day.replace(tzinfo=settings.timezone)
    bot = _bot(args, settings)
    with bot.services.db.session() as session:
        result = stats(session, since)
    data = result.as_json()
    if args.format == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return 0

    console = Console(highlight=False)
    title = "Questions" + (f" since {data['since']}" if data["since"] else "")
    table = Table(title=title)
    table.add_column("")
    table.add_column("count", justify="right")
    for label, key in (("asked", "asked"), ("answered", "answered"), ("  of which taught",
                       "taught"), ("declined", "declined"), ("👍", "thumbs_up"),
                       ("👎", "thumbs_down"), ("open triage items", "open_triage")):
        table.add_row(label, str(data[key]))
    console.print(table)
    top = Table(title="Top unanswered wordings")
    top.add_column("question")
    top.add_column("times", justify="right")
    for row in data["top_unanswered"]:
        top.add_row(escape(row["question"]), str(row["count"]))
    console.print(top)
    return 0
