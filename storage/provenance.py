"""Where each directory fact comes from, which source wins, and what waits for an admin.

A source is a small JSON mapping stored beside the fact (`people.provenance`,
`memberships.provenance`, `groups.provenance`, `group_history.provenance`):

- `{"kind": "report", "document": "annual-report-2024", "section": …, "lines": "272-276"}` — the
  network's annual report (line numbers of `seeds/001_24c3ba59667219ab.txt`);
- `{"kind": "document", "title": …, "file": …, "lines": …}` — another network document;
- `{"kind": "web", "url": …, "date": "YYYY-MM-DD"}` — a web page as read on a date;
- `{"kind": "import", "file": …, "by": …, "at": "YYYY-MM-DD"}` — an admin's import file.

Any source may say `"inferred": true` (read between the report's lines, not stated) and carry a
`comment`. Sources are ranked report > document > import > web: a weaker source never replaces
a fact of a stronger one; the difference is kept as a conflict until an admin accepts or rejects
it (`norcrin-bot directory conflicts|accept|reject`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, cast, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.i18n import t
from storage.models import Base, Group, Membership, Person
from storage.types import UTCDateTime, dialect_insert

REPORT_ID = "annual-report-2024"
REPORT_FILE = "seeds/001_24c3ba59667219ab.txt"
REPORT_TITLE = ("Årsrapport 2024 (framdriftsrapport)", "Annual report 2024 (progress report)")
KINDS = ("report", "document", "import", "web")
RANK = {"report": 4, "document": 3, "import": 2, "web": 1}
SOURCE_KEYS = (
    "kind",
    "document",
    "title",
    "section",
    "lines",
    "page",
    "url",
    "date",
    "file",
    "by",
    "at",
    "inferred",
    "comment",
    "decided_by",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SourceError(ValueError):
    """A source value that cannot be read; the message says what is accepted."""


class GroupHistory(Base):
    """A group that no longer exists: merged into, renamed to or closed (successor, year)."""

    __tablename__ = "group_history"

    group_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_nb: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    event: Mapped[str] = mapped_column(String(20))  # merged | renamed | closed
    successor_id: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    def name(self, language: str) -> str:
        return (self.name_en if language == "en" and self.name_en else self.name_nb) or ""


class DirectoryConflict(Base):
    """A weaker source disagreeing with a stronger one, held until an admin decides."""

    __tablename__ = "directory_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(20))  # person | membership | group
    entity_key: Mapped[str] = mapped_column(String(200), index=True)
    field: Mapped[str] = mapped_column(String(60))
    current_value: Mapped[Any] = mapped_column(JSON, default=None)
    current_source: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    proposed_value: Mapped[Any] = mapped_column(JSON, default=None)
    proposed_source: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    file: Mapped[str | None] = mapped_column(String(500))
    line: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConversationResults(Base):
    """What the bot last showed in one conversation (person × channel), for "source?"."""

    __tablename__ = "conversation_results"

    conversation: Mapped[str] = mapped_column(String(300), primary_key=True)
    results: Mapped[list[Any]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def parse_source(value: Any) -> dict[str, Any]:
    """A source from an import file: a mapping, JSON text, or a short form (`report`,
    `annual-report-2024`, `import`, `web`, `web:URL`, `web:URL@YYYY-MM-DD`)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise SourceError("is not valid JSON") from None
        elif text in ("report", REPORT_ID):
            return {"kind": "report", "document": REPORT_ID}
        elif text in ("import", "document"):
            return {"kind": text}
        elif text == "web" or text.startswith("web:"):
            rest = text[4:]
            source: dict[str, Any] = {"kind": "web"}
            url, _, date = rest.rpartition("@")
            if not url or not _DATE.match(date):
                url, date = rest, ""
            if url:
                source["url"] = url
            if date:
                source["date"] = date
            return _checked(source)
        else:
            raise SourceError(
                "must be report, import, web, web:URL[@YYYY-MM-DD] or a mapping with 'kind'"
            )
    if not isinstance(value, dict):
        raise SourceError("must be a mapping with 'kind' or a short form such as web:URL")
    return _checked({k: v for k, v in value.items() if k != "__line__"})


def _checked(source: dict[str, Any]) -> dict[str, Any]:
    kind = source.get("kind")
    if kind not in KINDS:
        raise SourceError(f"'kind' must be one of {', '.join(KINDS)}")
    unknown = sorted(set(source) - set(SOURCE_KEYS) - {"fields"})
    if unknown:
        raise SourceError(f"unknown key {unknown[0]!r} (known: {', '.join(SOURCE_KEYS)})")
    out: dict[str, Any] = {}
    for key in SOURCE_KEYS:
        value = source.get(key)
        if value in (None, "", False):
            continue
        if key == "inferred":
            out[key] = bool(value)
            continue
        text = str(value).strip()
        if len(text) > 500 or any(ord(c) < 32 for c in text):
            raise SourceError(f"'{key}' must be one line of at most 500 characters")
        if key == "url" and not re.match(r"^https?://\S+$", text):
            raise SourceError(f"'url' is not an http(s) URL: {text!r}")
        out[key] = text
    if kind == "report":
        out.setdefault("document", REPORT_ID)
    fields = source.get("fields")
    if isinstance(fields, dict) and fields:
        out["fields"] = {
            str(k): _checked({kk: vv for kk, vv in v.items() if kk != "__line__"})
            for k, v in fields.items()
            if isinstance(v, dict)
        }
    return out


def rank(source: dict[str, Any] | None) -> int:
    return RANK.get(str((source or {}).get("kind")), 0)


def outranks(current: dict[str, Any] | None, incoming: dict[str, Any] | None) -> bool:
    """True when `current` is stronger: `incoming` may not replace it without a decision."""
    return rank(current) > rank(incoming)


def field_source(provenance: dict[str, Any] | None, field_name: str) -> dict[str, Any] | None:
    """The source of one field of a record: its own entry under `fields`, else the record's."""
    if not provenance:
        return None
    own = (provenance.get("fields") or {}).get(field_name)
    if own:
        return dict(own)
    return {k: v for k, v in provenance.items() if k != "fields"}


def with_field_source(
    provenance: dict[str, Any] | None, field_name: str, source: dict[str, Any]
) -> dict[str, Any]:
    """A copy of `provenance` that records `source` for one field."""
    out = dict(provenance or {})
    fields = dict(out.get("fields") or {})
    fields[field_name] = {k: v for k, v in source.items() if k != "fields"}
    out["fields"] = fields
    return out


def describe(source: dict[str, Any] | None, language: str) -> str:
    """One line a person can check: document, section and lines, or URL and date, or file."""
    if not source:
        return t(language, "ukjent kilde", "unknown source")

    def say(nb: str, en: str) -> str:
        return t(language, nb, en)

    kind = source.get("kind")
    if kind == "report":
        text = say(*REPORT_TITLE)
        if source.get("section"):
            text += f", «{source['section']}»"
        if source.get("page"):
            text += f", {say('side', 'page')} {source['page']}"
        if source.get("lines"):
            text += f", {say('linje', 'lines')} {source['lines']} ({REPORT_FILE})"
    elif kind == "document":
        text = str(source.get("title") or source.get("file") or say("dokument", "document"))
        if source.get("lines"):
            text += f", {say('linje', 'lines')} {source['lines']}"
    elif kind == "web":
        text = say("nettside ", "web page ") + str(source.get("url") or "?")
        if source.get("date"):
            text += f" ({say('lest', 'as of')} {source['date']})"
    else:
        text = say("import av ", "import of ") + str(source.get("file") or "?")
        if source.get("by"):
            text += f" ({say('av', 'by')} {source['by']}"
            text += f", {source['at']})" if source.get("at") else ")"
    if source.get("inferred"):
        text += " — " + say("utledet, ikke uttrykkelig sagt", "inferred, not stated")
    if source.get("comment"):
        text += f" — {source['comment']}"
    if source.get("decided_by"):
        text += f" ({say('admin-beslutning av', 'admin decision by')} {source['decided_by']})"
    return text


def short_label(source: dict[str, Any] | None) -> str | None:
    """The old `people.source` column: the report's id or the source kind."""
    if not source:
        return None
    return str(source.get("document") if source.get("kind") == "report" else source.get("kind"))


def open_conflict(session: Session, now: datetime, **values: Any) -> bool:
    """Record a conflict unless the same proposal is already waiting; True when new."""
    existing = session.scalar(
        select(DirectoryConflict).where(
            DirectoryConflict.entity == values["entity"],
            DirectoryConflict.entity_key == values["entity_key"],
            DirectoryConflict.field == values["field"],
            DirectoryConflict.status == "open",
        )
    )
    if existing is not None and existing.proposed_value == values.get("proposed_value"):
        return False
    session.add(DirectoryConflict(created_at=now, status="open", **values))
    return True


def conflicts(session: Session, *, include_decided: bool = False) -> list[DirectoryConflict]:
    query = select(DirectoryConflict).order_by(DirectoryConflict.id)
    if not include_decided:
        query = query.where(DirectoryConflict.status == "open")
    return list(session.scalars(query))


def conversation_key(surface: str, channel: str | None, user_id: str) -> str:
    return f"{surface}:{channel or '-'}:{user_id}"[:300]


def remember_results(
    session: Session,
    conversation: str,
    results: Sequence[tuple[str, str]],
    language: str,
    now: datetime,
) -> None:
    """Keep what this conversation was last shown (ids only, never message text); one upsert,
    so two replicas answering the same person at once cannot collide. The same results again
    write nothing (the upsert's WHERE compares them), in the same one statement."""

    values = {
        "conversation": conversation,
        "results": [list(r) for r in results],
        "language": language,
        "updated_at": now,
    }
    statement = dialect_insert(session)(ConversationResults).values(**values)
    stored = ConversationResults.__table__.c.results
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["conversation"],
            set_={k: statement.excluded[k] for k in ("results", "language", "updated_at")},
            where=cast(stored, Text) != cast(statement.excluded.results, Text),
        )
    )


def last_results(session: Session, conversation: str) -> list[tuple[str, str]]:
    row = session.get(ConversationResults, conversation)
    return [(str(k), str(i)) for k, i in (row.results if row else [])]


class DecisionError(ValueError):
    """A conflict that does not exist or was already decided."""


def decide(
    session: Session, conflict_id: int, *, accept: bool, by: str, now: datetime
) -> DirectoryConflict:
    """An admin's decision: accepting applies the weaker source's value (its source then says
    who decided); rejecting keeps the stronger fact. Either way the conflict stays on record."""
    conflict = session.get(DirectoryConflict, conflict_id)
    if conflict is None:
        raise DecisionError(f"no conflict with id {conflict_id}")
    if conflict.status != "open":
        raise DecisionError(
            f"conflict {conflict_id} was already {conflict.status} by {conflict.decided_by}"
        )
    if accept:
        source = {**(conflict.proposed_source or {}), "decided_by": by}
        source.pop("fields", None)
        if conflict.entity in ("person", "group"):
            obj: Person | Group | None = (
                session.get(Person, conflict.entity_key)
                if conflict.entity == "person"
                else session.get(Group, conflict.entity_key)
            )
            if obj is None:
                raise DecisionError(f"{conflict.entity} {conflict.entity_key!r} no longer exists")
            setattr(obj, conflict.field, conflict.proposed_value)
            obj.provenance = with_field_source(obj.provenance, conflict.field, source)
        elif conflict.field == "holder":
            group_id, role = conflict.entity_key.split("/", 1)
            proposed = dict(conflict.proposed_value or {})
            for membership in session.scalars(
                select(Membership).where(
                    Membership.group_id == group_id,
                    Membership.role == role,
                    Membership.person_id.in_(list(conflict.current_value or [])),
                )
            ):
                session.delete(membership)
            session.add(
                Membership(
                    person_id=proposed["person"],
                    group_id=group_id,
                    role=role,
                    note=proposed.get("note"),
                    provenance=source,
                )
            )
        else:
            person_id, group_id, role = conflict.entity_key.split("/", 2)
            held = session.scalar(
                select(Membership).where(
                    Membership.person_id == person_id,
                    Membership.group_id == group_id,
                    Membership.role == role,
                )
            )
            if held is None:
                raise DecisionError(f"membership {conflict.entity_key!r} no longer exists")
            if conflict.field == "remove":
                session.delete(held)
            else:
                held.note, held.provenance = conflict.proposed_value, source
    conflict.status = "accepted" if accept else "rejected"
    conflict.decided_by, conflict.decided_at = by, now
    session.flush()
    return conflict


def conflict_as_json(conflict: DirectoryConflict) -> dict[str, Any]:
    return {
        "id": conflict.id,
        "entity": conflict.entity,
        "key": conflict.entity_key,
        "field": conflict.field,
        "current": {"value": conflict.current_value, "source": conflict.current_source},
        "proposed": {"value": conflict.proposed_value, "source": conflict.proposed_source},
        "file": conflict.file,
        "line": conflict.line,
        "status": conflict.status,
        "created_at": conflict.created_at.isoformat() if conflict.created_at else None,
        "decided_by": conflict.decided_by,
        "decided_at": conflict.decided_at.isoformat() if conflict.decided_at else None,
    }
