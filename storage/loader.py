"""Reading, validating and upserting directory and catalogue files (YAML or CSV).

Every record (and every membership inside one) keeps the line it came from, so an error can
name file, line and field. Callers run an import inside one `Database.session()`: the first bad
record raises `DataFileError` and the whole transaction rolls back, so a file is either imported
entirely or not at all. Files are untrusted: a size cap, no YAML aliases (a 1 KB "billion laughs"
file would expand to gigabytes), and CSV cells that a spreadsheet would run as formulas are
neutralised on export. Every directory fact keeps its source (`storage.provenance`); a weaker
source never overwrites a stronger one, it leaves a conflict for an admin.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from rich.progress import track
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.roles import ROLES, ROLES_BY_GROUP_KIND, SINGLE_HOLDER_ROLES
from storage.directory import fold_organisation_name, organisation_aliases, slugify
from storage.models import Document, Group, Membership, Organisation, Person
from storage.provenance import (
    REPORT_ID,
    DirectoryConflict,
    GroupHistory,
    SourceError,
    decide,
    field_source,
    open_conflict,
    outranks,
    parse_source,
    short_label,
)
from storage.search import rebuild_index

DOCUMENT_KINDS = ("sop", "attachment", "template", "checklist", "guidance", "other")
GROUP_KINDS = ("work_package", "working_group", "board", "committee", "council", "secretariat")
PERSON_FIELDS = ("id", "name", "aliases", "organisation", "email", "phone", "slack_user_id")
PEOPLE_CSV_COLUMNS = (
    *PERSON_FIELDS,
    "group",
    "role",
    "note",
    "source",
    "membership_source",
)
DEFAULT_MAX_IMPORT_BYTES = 10_000_000
HISTORY_EVENTS = ("merged", "renamed", "closed")
# A cell a spreadsheet would evaluate: =, +, -, @, tab or CR first (OWASP CSV injection).
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")


class DataFileError(Exception):
    """A record in an import file is invalid; the message names file, line and field."""

    def __init__(self, source: str, line: int | None, field_name: str | None, problem: str):
        self.source, self.line, self.field, self.problem = source, line, field_name, problem
        where = source + (f", line {line}" if line else "")
        what = f" field '{field_name}'" if field_name else ""
        super().__init__(f"{where}:{what} {problem}".replace(": ", ": ", 1))


@dataclass
class Record:
    """One item of an input file and the line it starts on."""

    data: dict[str, Any]
    line: int | None
    source: str
    section: str = "people"

    def error(self, field_name: str | None, problem: str) -> DataFileError:
        return DataFileError(self.source, self.line, field_name, problem)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    details: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def __str__(self) -> str:
        text = (
            f"{self.changed} changed ({self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged)"
        )
        if self.conflicts:
            text += (
                f"; {self.conflicts} held as conflicts with stronger sources "
                "(see `norcrin-bot directory conflicts`)"
            )
        return text


@dataclass
class ImportContext:
    """Who imports what, and the source facts without a `source` of their own get."""

    file: str
    default_source: dict[str, Any]
    now: datetime

    @classmethod
    def for_file(
        cls, file: str, *, imported_by: str | None = None, source: str | None = None
    ) -> ImportContext:
        now = datetime.now(UTC)
        default: dict[str, Any] = {"kind": "import"}
        if source:
            try:
                default = parse_source(source)
            except SourceError as exc:
                raise DataFileError(file, None, "--source", str(exc)) from None
        if default["kind"] in ("import", "web"):
            default.setdefault("file", Path(file).name)
            if imported_by:
                default.setdefault("by", imported_by)
            default.setdefault("at", now.date().isoformat())
        return cls(file=file, default_source=default, now=now)


@cache
def _line_loader() -> Any:
    """A YAML loader that remembers the line where each mapping starts and refuses aliases
    (built on first use: only imports and exports read YAML)."""
    import yaml  # lazy: heavy optional dependency (only `import`/`export` and first start)

    class LineLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases (*name) are not accepted in import files", mark
                )
            return super().compose_node(parent, index)

    def construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
        mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


def read_records(text: str, source: str, *, default_section: str) -> list[Record]:
    """Parse YAML (a list, or a mapping of sections) or CSV text into line-numbered records."""
    suffix = Path(source).suffix.lower()
    if suffix == ".csv":
        return _read_csv(text, source, default_section)
    if suffix not in (".yaml", ".yml"):
        raise DataFileError(source, None, None, "unsupported file type: use .yaml, .yml or .csv")
    import yaml  # lazy: heavy optional dependency

    try:
        data = yaml.load(text, Loader=_line_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(source, line, None, f"not valid YAML ({problem})") from None
    except RecursionError:
        raise DataFileError(source, None, None, "is nested too deeply to be a data file") from None
    if data is None:
        return []
    if isinstance(data, list):
        sections = {default_section: data}
    elif isinstance(data, dict):
        data.pop("__line__", None)
        data.pop("meta", None)
        if "entries" in data:
            data[default_section] = data.pop("entries")
        unknown = set(data) - {"organisations", "groups", "history", "people", "documents"}
        if unknown:
            raise DataFileError(
                source, None, sorted(unknown)[0], "unknown section (expected a list of records)"
            )
        sections = data
    else:
        raise DataFileError(source, 1, None, "expected a list of records")
    records: list[Record] = []
    for section, items in sections.items():
        if not isinstance(items, list):
            raise DataFileError(source, None, section, "must be a list of records")
        for item in items:
            if not isinstance(item, dict):
                raise DataFileError(source, None, section, "every item must be a mapping")
            line = item.pop("__line__", None)
            # Nested mappings (memberships) keep their own `__line__` for precise errors.
            records.append(Record(data=item, line=line, source=source, section=section))
    return records


def neutralise_cell(value: str) -> str:
    """A CSV cell a spreadsheet will show as text: a formula-looking cell gets a leading `'`
    (and so does one that already starts with `'` before such a character, so that
    `restore_cell` undoes exactly what this did)."""
    return "'" + value if _FORMULA.match(value) else value


def restore_cell(value: str) -> str:
    """Undo `neutralise_cell`: drop one `'` before `=`, `+`, `-`, `@`, tab or CR, nothing else."""
    return value[1:] if value.startswith("'") and _FORMULA.match(value) else value


def _read_csv(text: str, source: str, section: str) -> list[Record]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    if not reader.fieldnames:
        return []
    records = []
    for row in reader:
        if None in row:
            raise DataFileError(source, reader.line_num, None, "more values than columns")
        data = {
            k.strip(): (restore_cell(v).strip() if isinstance(v, str) else v)
            for k, v in row.items()
            if k
        }
        if not any(data.values()):
            continue
        records.append(Record(data=data, line=reader.line_num, source=source, section=section))
    return records


def _text(record: Record, name: str, *, required: bool = False, limit: int = 500) -> str | None:
    value = record.data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise record.error(name, "is required")
        return None
    if isinstance(value, (list, dict)):
        raise record.error(name, "must be text")
    text = str(value).strip()
    if len(text) > limit:
        raise record.error(name, f"is longer than {limit} characters")
    if any(ord(c) < 32 and c not in "\t\n" for c in text):
        raise record.error(name, "contains control characters")
    return text


def _list(record: Record, name: str) -> list[str]:
    value = record.data.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;|]", value) if v.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise record.error(name, "must be a list of text values")


def _url(record: Record, name: str) -> str | None:
    url = _text(record, name, limit=1000)
    if url and not re.match(r"^https?://[^\s]+$", url):
        raise record.error(name, f"is not an http(s) URL: {url!r}")
    return url


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _progress(items: list[Record], label: str, show: bool) -> Iterable[Record]:
    if not show or len(items) < 200:
        return items

    return track(items, description=label, transient=True)


def upsert_organisation(session: Session, record: Record, summary: ImportSummary) -> None:
    org_id = _text(record, "id", required=True, limit=40)
    assert org_id is not None
    kinds = ("university_hospital", "rhf", "pharmacy", "hospital", "network", "other")
    kind = _text(record, "kind") or "other"
    if kind not in kinds:
        raise record.error("kind", f"must be one of {', '.join(kinds)}")
    values = {
        "name_nb": _text(record, "name_nb") or _text(record, "name", required=True),
        "name_en": _text(record, "name_en"),
        "kind": kind,
        "aliases": _list(record, "aliases"),
    }
    _upsert(session, Organisation, org_id, values, summary)


def _dispute(
    session: Session, ctx: ImportContext, summary: ImportSummary, line: int | None, **values: Any
) -> None:
    """Hold a weaker source's proposal as a conflict for an admin (counted once per proposal)."""
    if open_conflict(session, ctx.now, file=ctx.file, line=line, **values):
        summary.conflicts += 1


def _source_of(record: Record | None, value: Any, ctx: ImportContext, field_name: str) -> dict:
    """The record's own source, or the file's default."""
    if value in (None, ""):
        return dict(ctx.default_source)
    try:
        return parse_source(value)
    except SourceError as exc:
        if record is None:
            raise DataFileError(ctx.file, None, field_name, str(exc)) from None
        raise record.error(field_name, str(exc)) from None


def _merge_fields(
    session: Session,
    ctx: ImportContext,
    summary: ImportSummary,
    where: Record,
    entity: str,
    obj: Any,
    values: dict[str, Any],
    source: dict[str, Any],
    record_fields: tuple[str, ...],
) -> bool:
    """Apply changed values unless a stronger source holds the field (then: a conflict).
    A field that was empty is filled whatever the source, and remembers that source."""
    changed = False
    provenance = dict(obj.provenance or {})
    own_fields = dict(provenance.get("fields") or {})
    record_level = False
    for name, value in values.items():
        current = getattr(obj, name)
        if current == value:
            continue
        held_by = field_source(obj.provenance, name)
        if current not in (None, "", []) and outranks(held_by, source):
            if value in (None, "", []):
                continue  # a weaker source that is silent about a field does not dispute it
            _dispute(
                session,
                ctx,
                summary,
                where.line,
                entity=entity,
                entity_key=obj.id,
                field=name,
                current_value=current,
                current_source=held_by,
                proposed_value=value,
                proposed_source=source,
            )
            continue
        setattr(obj, name, value)
        changed = True
        if name in record_fields and not own_fields.get(name):
            record_level = True
        else:
            own_fields[name] = {k: v for k, v in source.items() if k != "fields"}
    if changed:
        if record_level:
            provenance = {k: v for k, v in source.items() if k != "fields"}
        if own_fields:
            provenance["fields"] = own_fields
        obj.provenance = provenance
    return changed


def upsert_group(
    session: Session, record: Record, summary: ImportSummary, ctx: ImportContext
) -> None:
    group_id = (_text(record, "id", required=True, limit=40) or "").upper()
    kind = _text(record, "kind", required=True)
    if kind not in GROUP_KINDS:
        raise record.error("kind", f"must be one of {', '.join(GROUP_KINDS)}")
    values = {
        "kind": kind,
        "short": _text(record, "short"),
        "name_nb": _text(record, "name_nb", required=True),
        "name_en": _text(record, "name_en"),
        "purpose_nb": _text(record, "purpose_nb", limit=2000),
        "purpose_en": _text(record, "purpose_en", limit=2000),
        "topics_nb": _list(record, "topics_nb"),
        "topics_en": _list(record, "topics_en"),
        "status": _text(record, "status"),
        "parent_id": (_text(record, "parent") or "").upper() or None,
        "url": _url(record, "url"),
    }
    source = _source_of(record, record.data.get("source"), ctx, "source")
    group = session.get(Group, group_id)
    if group is None:
        session.add(Group(id=group_id, provenance=source, **values))
        summary.count("created")
    elif _merge_fields(
        session, ctx, summary, record, "group", group, values, source, tuple(values)
    ):
        summary.count("updated")
    else:
        summary.count("unchanged")


def upsert_history(
    session: Session, record: Record, summary: ImportSummary, ctx: ImportContext
) -> None:
    """A retired group: `{id, name_nb, name_en?, event: merged|renamed|closed, successor?,
    year?, source?}`."""
    group_id = (_text(record, "id", required=True, limit=40) or "").upper()
    event = _text(record, "event", required=True)
    if event not in HISTORY_EVENTS:
        raise record.error("event", f"must be one of {', '.join(HISTORY_EVENTS)}")
    successor = (_text(record, "successor", limit=40) or "").upper() or None
    if (
        successor
        and session.get(Group, successor) is None
        and session.get(GroupHistory, successor) is None
    ):
        raise record.error("successor", f"unknown group {successor!r}")
    if event != "closed" and not successor:
        raise record.error("successor", f"is required for a group that was {event}")
    year_text = _text(record, "year", limit=4)
    if year_text and not year_text.isdigit():
        raise record.error("year", "must be a year such as 2022")
    values = {
        "name_nb": _text(record, "name_nb", required=True),
        "name_en": _text(record, "name_en"),
        "event": event,
        "successor_id": successor,
        "year": int(year_text) if year_text else None,
        "provenance": _source_of(record, record.data.get("source"), ctx, "source"),
    }
    existing = session.get(GroupHistory, group_id)
    if existing is None:
        session.add(GroupHistory(group_id=group_id, **values))
        summary.count("created")
    elif _apply(existing, values):
        summary.count("updated")
    else:
        summary.count("unchanged")


def _upsert(
    session: Session, model: Any, key: str, values: dict[str, Any], summary: ImportSummary
) -> Any:
    obj = session.get(model, key)
    if obj is None:
        obj = model(id=key, **values)
        session.add(obj)
        summary.count("created")
    elif _apply(obj, values):
        summary.count("updated")
    else:
        summary.count("unchanged")
    return obj


def _organisation(record: Record, known: set[str], aliases: dict[str, str]) -> str | None:
    """An organisation id, name or alias the question parser understands ("ST. OLAVS")."""
    raw = _text(record, "organisation", limit=200)
    if not raw:
        return None
    if raw.upper() in known:
        return raw.upper()
    found = aliases.get(fold_organisation_name(raw))
    if found:
        return found
    raise record.error(
        "organisation",
        f"unknown organisation {raw!r}; valid ids: {', '.join(sorted(known))} "
        "(their names and aliases, e.g. 'Haukeland' or 'St. Olavs', work too)",
    )


MembershipItem = tuple[Record, dict[str, Any]]


def upsert_people(
    session: Session,
    records: list[Record],
    summary: ImportSummary,
    *,
    replace: bool,
    show: bool,
    ctx: ImportContext,
) -> None:
    """People with their memberships; CSV rows for the same person are merged."""
    merged: dict[str, tuple[Record, list[MembershipItem]]] = {}
    for record in records:
        name = _text(record, "name", required=True, limit=200)
        assert name is not None
        person_id = _text(record, "id", limit=80) or slugify(name)
        if not re.fullmatch(r"[a-z0-9][a-z0-9\-_.]*", person_id):
            raise record.error("id", "may only hold lower-case letters, digits and - _ .")
        memberships: list[MembershipItem] = []
        raw = record.data.get("memberships")
        if raw is not None:
            if not isinstance(raw, list):
                raise record.error("memberships", "must be a list of {group, role}")
            memberships.extend((record, m) for m in raw)
        elif record.data.get("group") or record.data.get("role"):
            memberships.append((record, record.data))
        if person_id in merged:
            first, existing = merged[person_id]
            if _text(first, "name") != name:
                raise record.error(
                    "id", f"{person_id!r} is already used for {_text(first, 'name')!r}"
                )
            existing.extend(memberships)
        else:
            merged[person_id] = (record, memberships)

    known_orgs = set(session.scalars(select(Organisation.id)))
    aliases = organisation_aliases(session)
    groups = {g.id: g for g in session.scalars(select(Group))}
    for person_id, (record, memberships) in _progress_items(merged, show):
        org = _organisation(record, known_orgs, aliases)
        email = _text(record, "email", limit=200)
        if email and not _EMAIL.match(email):
            raise record.error("email", f"is not an e-mail address: {email!r}")
        phone = _text(record, "phone", limit=60)
        if phone and not re.fullmatch(r"\+?[0-9 ()\-]{5,20}", phone):
            raise record.error("phone", f"is not a phone number: {phone!r}")
        source = _source_of(record, record.data.get("source"), ctx, "source")
        values = {
            "name": _text(record, "name"),
            "aliases": _list(record, "aliases"),
            "organisation_id": org,
            "email": email,
            "phone": phone,
            "slack_user_id": _text(record, "slack_user_id", limit=40),
        }
        person = session.get(Person, person_id)
        created = person is None
        changed = False
        if person is None:
            person = Person(id=person_id, provenance=source, source=short_label(source), **values)
            session.add(person)
        else:
            changed = _merge_fields(
                session,
                ctx,
                summary,
                record,
                "person",
                person,
                values,
                source,
                ("name", "aliases", "organisation_id"),
            )
            if changed:
                person.source = short_label(person.provenance)
        session.flush()
        changed |= _upsert_memberships(
            session, ctx, summary, person, memberships, groups, source, replace=replace
        )
        summary.count("created" if created else "updated" if changed else "unchanged")
    session.flush()


def _upsert_memberships(
    session: Session,
    ctx: ImportContext,
    summary: ImportSummary,
    person: Person,
    memberships: list[MembershipItem],
    groups: dict[str, Group],
    person_source: dict[str, Any],
    *,
    replace: bool,
) -> bool:
    changed = False
    wanted: set[tuple[str, str]] = set()
    for where, item in memberships:
        if not isinstance(item, dict):
            raise where.error("memberships", "every membership must be {group, role}")
        line = item.get("__line__") if item is not where.data else where.line
        at = Record(data=item, line=line or where.line, source=where.source)
        group = str(item.get("group") or "").strip().upper()
        role = str(item.get("role") or "").strip().lower().replace(" ", "_")
        if not group:
            raise at.error("group", "is required for a membership")
        if group not in groups:
            raise at.error("group", f"unknown group {group!r}")
        if role not in ROLES:
            raise at.error("role", f"unknown role {role!r} (one of {', '.join(ROLES)})")
        allowed = ROLES_BY_GROUP_KIND.get(groups[group].kind)
        if allowed is not None and role not in allowed:
            raise at.error(
                "role",
                f"{role!r} is not a role in a {groups[group].kind} "
                f"(one of {', '.join(sorted(allowed))})",
            )
        note = item.get("note")
        note_text = str(note).strip()[:300] if note not in (None, "") else None
        raw_source = item.get("membership_source") or (
            item.get("source") if item is not where.data else None
        )
        source = (
            _source_of(at, raw_source, ctx, "membership_source" if item is where.data else "source")
            if raw_source
            else dict(person_source)
        )
        wanted.add((group, role))
        existing = session.scalar(
            select(Membership).where(
                Membership.person_id == person.id,
                Membership.group_id == group,
                Membership.role == role,
            )
        )
        if existing is None:
            rivals = _stronger_holders(session, group, role, person.id, source)
            if rivals:
                _dispute(
                    session,
                    ctx,
                    summary,
                    at.line,
                    entity="membership",
                    entity_key=f"{group}/{role}",
                    field="holder",
                    current_value=[m.person_id for m in rivals],
                    current_source=rivals[0].provenance,
                    proposed_value={"person": person.id, "note": note_text},
                    proposed_source=source,
                )
                continue
            session.add(
                Membership(
                    person_id=person.id,
                    group_id=group,
                    role=role,
                    note=note_text,
                    provenance=source,
                )
            )
            summary.details["memberships"] = summary.details.get("memberships", 0) + 1
            changed = True
        elif existing.note != note_text:
            if existing.note and outranks(existing.provenance, source):
                if note_text is None:
                    continue  # silent, not disputing
                _dispute(
                    session,
                    ctx,
                    summary,
                    at.line,
                    entity="membership",
                    entity_key=f"{person.id}/{group}/{role}",
                    field="note",
                    current_value=existing.note,
                    current_source=existing.provenance,
                    proposed_value=note_text,
                    proposed_source=source,
                )
                continue
            existing.note, existing.provenance = note_text, source
            changed = True
    if replace:
        for membership in list(person.memberships):
            if (membership.group_id, membership.role) in wanted:
                continue
            if outranks(membership.provenance, person_source):
                _dispute(
                    session,
                    ctx,
                    summary,
                    None,
                    entity="membership",
                    entity_key=f"{person.id}/{membership.group_id}/{membership.role}",
                    field="remove",
                    current_value=membership.note,
                    current_source=membership.provenance,
                    proposed_value=None,
                    proposed_source=person_source,
                )
                continue
            session.delete(membership)
            changed = True
    return changed


def _stronger_holders(
    session: Session, group: str, role: str, person_id: str, source: dict[str, Any]
) -> list[Membership]:
    """Others holding a one-person role from a stronger source than the newcomer's."""
    if role not in SINGLE_HOLDER_ROLES:
        return []
    holders = session.scalars(
        select(Membership).where(
            Membership.group_id == group,
            Membership.role == role,
            Membership.person_id != person_id,
        )
    )
    return [m for m in holders if outranks(m.provenance, source)]


def _progress_items(
    merged: dict[str, tuple[Record, list[MembershipItem]]], show: bool
) -> Iterable[tuple[str, tuple[Record, list[MembershipItem]]]]:
    items = list(merged.items())
    if not show or len(items) < 200:
        return items

    return track(items, description="Importing people", transient=True)


def upsert_documents(
    session: Session, records: list[Record], summary: ImportSummary, *, show: bool
) -> None:
    seen: dict[str, int | None] = {}
    for record in _progress(records, "Importing documents", show):
        code = _text(record, "id", limit=120) or _text(record, "code", required=True, limit=120)
        assert code is not None
        if code in seen:
            raise record.error("id", f"{code!r} appears twice (first on line {seen[code]})")
        seen[code] = record.line
        kind = (_text(record, "kind") or "other").lower()
        if kind not in DOCUMENT_KINDS:
            raise record.error("kind", f"must be one of {', '.join(DOCUMENT_KINDS)}")
        title_no, title_en = _text(record, "title_no"), _text(record, "title_en")
        if not title_no and not title_en:
            raise record.error("title_no", "a document needs title_no or title_en")
        keywords = _list(record, "keywords")
        values = {
            "title_no": title_no,
            "title_en": title_en,
            "kind": kind,
            "area": _text(record, "area", limit=40),
            "series": _text(record, "series", limit=40),
            "phase": _text(record, "phase", limit=40),
            "url": _url(record, "url"),
            "summary": _text(record, "summary", limit=2000)
            or _text(record, "summary_en", limit=2000),
            "body": _text(record, "body", limit=200_000),
            "keywords": keywords,
        }
        _upsert(session, Document, code, values, summary)
    session.flush()


def import_text(
    session: Session,
    kind: str,
    text: str,
    source: str,
    *,
    replace: bool = False,
    show_progress: bool = False,
    section: str | None = None,
    context: ImportContext | None = None,
    reindex: bool = True,
) -> ImportSummary:
    """Import people (with organisations/groups/history sections) or documents; caller commits.
    `section` reads a plain list as that section (the embedded organisations and groups)."""
    ctx = context or ImportContext.for_file(source)
    summary = ImportSummary()
    records = read_records(text, source, default_section=section or kind)
    by_section: dict[str, list[Record]] = {}
    for record in records:
        by_section.setdefault(record.section, []).append(record)
    for record in by_section.pop("organisations", []):
        upsert_organisation(session, record, summary)
    session.flush()
    handlers: dict[str, Callable[[Session, Record, ImportSummary, ImportContext], None]] = {
        "groups": upsert_group,
        "history": upsert_history,
    }
    for name, handler in handlers.items():
        for record in by_section.pop(name, []):
            handler(session, record, summary, ctx)
        session.flush()
    if kind == "people":
        upsert_people(
            session,
            by_section.pop("people", []),
            summary,
            replace=replace,
            show=show_progress,
            ctx=ctx,
        )
    elif kind == "documents":
        upsert_documents(session, by_section.pop("documents", []), summary, show=show_progress)
    if by_section:
        name, items = next(iter(by_section.items()))
        raise items[0].error(None, f"a '{name}' section cannot be imported as {kind}")
    if reindex:
        rebuild_index(session)
    return summary


def read_limited(path: Path, max_bytes: int = DEFAULT_MAX_IMPORT_BYTES) -> str:
    """A file's text, refused before reading when it is larger than the import limit."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise DataFileError(str(path), None, None, "file not found") from None
    except IsADirectoryError:
        raise DataFileError(str(path), None, None, "is a directory, not a file") from None
    if len(data) > max_bytes:
        raise DataFileError(
            str(path),
            None,
            None,
            f"is larger than the import limit of {max_bytes:,} bytes (setting IMPORT_MAX_BYTES)",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), None, None, f"is not UTF-8 text ({exc.reason})") from None


def import_file(
    session: Session,
    kind: str,
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_IMPORT_BYTES,
    imported_by: str | None = None,
    source: str | None = None,
    accept_conflicts: bool = False,
    **options: Any,
) -> ImportSummary:
    text = read_limited(path, max_bytes)
    context = ImportContext.for_file(str(path), imported_by=imported_by, source=source)
    summary = import_text(session, kind, text, str(path), context=context, **options)
    if accept_conflicts and summary.conflicts:
        _decide_at_import(session, context, imported_by or "import --accept-conflicts")
    return summary


def _decide_at_import(session: Session, ctx: ImportContext, by: str) -> None:
    """`import --accept-conflicts`: the importing admin decides for this file's proposals now;
    they are recorded as accepted, like `directory accept`."""
    session.flush()
    waiting = session.scalars(
        select(DirectoryConflict.id).where(
            DirectoryConflict.status == "open",
            DirectoryConflict.file == ctx.file,
            DirectoryConflict.created_at == ctx.now,
        )
    )
    for conflict_id in list(waiting):
        decide(session, conflict_id, accept=True, by=by, now=ctx.now)
    rebuild_index(session)


def _embedded(name: str) -> str:
    return resources.files("storage").joinpath(f"data/{name}").read_text("utf-8")


def load_embedded_data(session: Session, *, documents: bool = True) -> None:
    """The network's own directory and SOP catalogue, shipped in the package; facts without a
    source of their own come from the annual report."""
    ctx = ImportContext(
        file="embedded", default_source={"kind": "report", "document": REPORT_ID}, now=_now()
    )
    for name, section in (
        ("organisations.yaml", "organisations"),
        ("groups.yaml", "groups"),
        ("group_history.yaml", "history"),
        ("people.yaml", "people"),
    ):
        ctx.file = f"storage/data/{name}"
        import_text(
            session,
            "people",
            _embedded(name),
            ctx.file,
            section=section,
            context=ctx,
            reindex=False,
        )
    if documents:
        import_text(session, "documents", _embedded("sop_catalogue.yaml"), "sop_catalogue.yaml")


def _now() -> datetime:
    return datetime.now(UTC)


def upgrade_embedded_directory(session: Session) -> None:
    """A database loaded before facts had sources: apply the corrected embedded directory, give
    the embedded facts their sources and drop the embedded facts the data no longer has.

    Only people no import ever touched (`people.source` still the report's id) lose memberships,
    and only memberships without a source; everything an admin imported stays."""
    import yaml  # lazy: heavy optional dependency

    load_embedded_data(session, documents=False)
    groups = {g["id"]: g for g in yaml.safe_load(_embedded("groups.yaml"))}
    for group in session.scalars(select(Group).where(Group.id.in_(list(groups)))):
        if group.provenance is None:
            group.provenance = parse_source(groups[group.id]["source"])
    for item in yaml.safe_load(_embedded("people.yaml")):
        person = session.get(Person, item["id"])
        if person is None:
            continue
        own = parse_source(item["source"])
        if person.provenance is None:
            person.provenance = own
        wanted = {
            (m["group"], m["role"]): parse_source(m.get("source") or item["source"])
            for m in item["memberships"]
        }
        for membership in list(person.memberships):
            key = (membership.group_id, membership.role)
            if membership.provenance is None and key in wanted:
                membership.provenance = wanted[key]
            elif membership.provenance is None and person.source == REPORT_ID:
                session.delete(membership)
    session.flush()

    rebuild_index(session)


def _membership_export(membership: Membership, person_source: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        k: v
        for k, v in (
            ("group", membership.group_id),
            ("role", membership.role),
            ("note", membership.note),
        )
        if v
    }
    if membership.provenance and membership.provenance != person_source:
        item["source"] = membership.provenance
    return item


def export_records(session: Session, kind: str) -> list[dict[str, Any]]:
    if kind == "documents":
        out = []
        for doc in session.scalars(select(Document).order_by(Document.id)):
            document = {
                "id": doc.id,
                "title_no": doc.title_no,
                "title_en": doc.title_en,
                "kind": doc.kind,
                "area": doc.area,
                "series": doc.series,
                "phase": doc.phase,
                "url": doc.url,
                "summary": doc.summary,
                "body": doc.body,
                "keywords": doc.keywords or None,
            }
            out.append({k: v for k, v in document.items() if v not in (None, [])})
        return out
    people = []
    for person in session.scalars(select(Person).order_by(Person.id)):
        item: dict[str, Any] = {
            "id": person.id,
            "name": person.name,
            "aliases": person.aliases or None,
            "organisation": person.organisation_id,
            "email": person.email,
            "phone": person.phone,
            "slack_user_id": person.slack_user_id,
            "source": person.provenance or None,
            "memberships": [
                _membership_export(m, person.provenance)
                for m in sorted(person.memberships, key=lambda m: (m.group_id, m.role))
            ],
        }
        people.append({k: v for k, v in item.items() if v not in (None, [])})
    return people


def _json_cell(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def export_text(session: Session, kind: str, suffix: str) -> str:
    import yaml  # lazy: heavy optional dependency

    records = export_records(session, kind)
    if suffix in (".yaml", ".yml"):
        return yaml.safe_dump(records, allow_unicode=True, sort_keys=False)
    if suffix != ".csv":
        raise DataFileError(f"*{suffix}", None, None, "unsupported file type: use .yaml or .csv")
    rows: list[dict[str, Any]] = []
    if kind == "documents":
        columns: tuple[str, ...] = (
            "id",
            "title_no",
            "title_en",
            "kind",
            "area",
            "series",
            "phase",
            "url",
            "summary",
            "keywords",
        )
        for record in records:
            row = dict(record)
            row["keywords"] = "; ".join(record.get("keywords", []))
            rows.append(row)
    else:
        columns = PEOPLE_CSV_COLUMNS
        for record in records:
            base = {k: record.get(k, "") for k in PERSON_FIELDS}
            base["aliases"] = "; ".join(record.get("aliases", []))
            base["source"] = _json_cell(record.get("source"))
            for membership in record.get("memberships") or [{}]:
                row = {**base, **{k: v for k, v in membership.items() if k != "source"}}
                row["membership_source"] = _json_cell(membership.get("source"))
                rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: neutralise_cell(str(v)) if v not in (None, "") else "" for k, v in row.items()}
        )
    return out.getvalue()


def delete_all(session: Session) -> None:
    """Empty the directory and catalogue (tests and `import --replace-all`)."""
    for model in (Membership, Person, Group, Organisation, Document):
        session.execute(delete(model))
