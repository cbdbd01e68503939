"""`norcrin-bot directory show|conflicts|accept|reject`: the directory's facts and their sources.

Facts from a weaker source (a web snapshot, an import) never replace a report fact on import;
they wait here as conflicts until an admin accepts (the new value wins, its source records the
decision) or rejects them (the stronger fact stays).
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.config import Settings
from bot.terminal import CliError
from storage import directory
from storage.db import Database
from storage.provenance import (
    DecisionError,
    GroupHistory,
    conflict_as_json,
    conflicts,
    decide,
    describe,
)
from storage.search import rebuild_index


def register_cli(sub: Any) -> None:
    directory = sub.add_parser("directory", help="directory facts, their sources and conflicts")
    actions = directory.add_subparsers(dest="directory_command", required=True, metavar="ACTION")

    show = actions.add_parser("show", help="a person or group with the source of every fact")
    show.add_argument("name", help="a person's name/id or a group id (AP8, STYRET, AP5 …)")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.add_argument("--language", choices=["nb", "en"], default=None)
    show.set_defaults(run=cmd_show)

    conflicts = actions.add_parser("conflicts", help="weaker-source facts waiting for a decision")
    conflicts.add_argument("--all", action="store_true", help="decided ones too")
    conflicts.add_argument("--format", choices=["table", "json"], default="table")
    conflicts.set_defaults(run=cmd_conflicts)

    for name, accept in (("accept", True), ("reject", False)):
        decide = actions.add_parser(
            name,
            help="apply the proposed value" if accept else "keep the stronger fact",
        )
        decide.add_argument("conflict_id", type=int, metavar="CONFLICT_ID")
        decide.add_argument("--by", metavar="NAME", help="who decides (default: login name)")
        decide.set_defaults(run=cmd_decide, accept=accept)


def _database(settings: Settings) -> Any:
    db = Database(settings.database_url)
    db.prepare()
    return db


def cmd_show(args: Any, settings: Settings) -> int:
    language = args.language or settings.language
    db = _database(settings)
    with db.session() as session:
        key = args.name.strip()
        group_id = key.upper().replace(" ", "")
        if group_id.isdigit():
            group_id = f"AP{int(group_id)}"
        if directory.group(session, group_id) or session.get(GroupHistory, group_id):
            kind, ref = "group", group_id
        else:
            found = directory.find_person_by_name(session, key)
            if found is None:
                raise CliError(f"directory show {key!r}: no such person or group")
            kind, ref = "person", found.id
        if args.format == "json":
            data = _as_json(session, kind, ref)
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return 0
        heading, facts = directory.fact_sources(session, kind, ref, language)
    print(heading)
    for fact in facts:
        print(f"  • {fact}")
    return 0


def _as_json(session: Any, kind: str, ref: str) -> dict[str, Any]:
    if kind == "person":
        person = directory.person(session, ref)
        assert person is not None
        return {
            "kind": "person",
            "id": person.id,
            "name": person.name,
            "organisation": person.organisation_id,
            "source": person.provenance,
            "memberships": [
                {"group": m.group_id, "role": m.role, "note": m.note, "source": m.provenance}
                for m in sorted(person.memberships, key=lambda m: (m.group_id, m.role))
            ],
        }
    group = directory.group(session, ref)
    if group is None:
        old = session.get(GroupHistory, ref)
        assert old is not None
        return {
            "kind": "retired_group",
            "id": old.group_id,
            "event": old.event,
            "successor": old.successor_id,
            "year": old.year,
            "source": old.provenance,
        }
    return {
        "kind": "group",
        "id": group.id,
        "title": group.title("en"),
        "source": group.provenance,
        "history": [
            {"id": h.group_id, "event": h.event, "year": h.year, "source": h.provenance}
            for h in directory.group_history(session).values()
            if h.successor_id == group.id
        ],
        "memberships": [
            {
                "person": h.person.id,
                "role": h.role,
                "note": h.note,
                "source": next(
                    (
                        m.provenance
                        for m in h.person.memberships
                        if m.group_id == group.id and m.role == h.role
                    ),
                    None,
                ),
            }
            for h in directory.role_holders(session, group_ids=[group.id])
        ],
    }


def cmd_conflicts(args: Any, settings: Settings) -> int:
    db = _database(settings)
    with db.session() as session:
        rows = conflicts(session, include_decided=args.all)
        if args.format == "json":
            data = [conflict_as_json(c) for c in rows]
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return 0
        if not rows:
            print("No conflicts waiting for a decision.")
            return 0
        table = Table(title="Directory conflicts", show_lines=True)
        for column in ("ID", "Fact", "Current (source)", "Proposed (source)", "From", "Status"):
            table.add_column(column, overflow="fold")
        for c in rows:
            cells = (
                str(c.id),
                f"{c.entity} {c.entity_key}: {c.field}",
                f"{_value(c.current_value)}\n{describe(c.current_source, 'en')}",
                f"{_value(c.proposed_value)}\n{describe(c.proposed_source, 'en')}",
                f"{c.file or ''}" + (f", line {c.line}" if c.line else ""),
                c.status + (f" by {c.decided_by}" if c.decided_by else ""),
            )
            table.add_row(*(Text(cell) for cell in cells))  # data is text, never markup
    console = Console(highlight=False, soft_wrap=False)
    console.print(table)
    print("Decide with: norcrin-bot directory accept ID | directory reject ID")
    return 0


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def cmd_decide(args: Any, settings: Settings) -> int:
    db = _database(settings)
    by = args.by or getpass.getuser()
    try:
        with db.session() as session:
            conflict = decide(
                session, args.conflict_id, accept=args.accept, by=by, now=datetime.now(UTC)
            )
            rebuild_index(session)
            summary = f"{conflict.entity} {conflict.entity_key}: {conflict.field}"
    except DecisionError as exc:
        raise CliError(str(exc)) from None
    verb = "accepted: the proposed value now holds" if args.accept else "rejected: kept"
    print(f"Conflict {args.conflict_id} ({summary}) {verb}.")
    return 0
