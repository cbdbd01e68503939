"""Reading, validating and upserting directory and catalogue files (YAML or CSV).

Every record keeps the line it came from, so an error can name file, line and field. Callers run
an import inside one `Database.session()`: the first bad record raises `DataFileError` and the
whole transaction rolls back, so a file is either imported entirely or not at all.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.roles import ROLES
from storage.models import Document, Group, Membership, Organisation, Person

DOCUMENT_KINDS = ("sop", "attachment", "template", "checklist", "guidance", "other")
GROUP_KINDS = ("work_package", "working_group", "board", "committee", "council", "secretariat")
PERSON_FIELDS = ("id", "name", "aliases", "organisation", "email", "phone", "slack_user_id")


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
    details: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line where each mapping starts."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(key): value for key, value in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def slugify(text: str) -> str:
    text = unicodedata.normalize(
        "NFKD", text.replace("ø", "o").replace("Ø", "O").replace("æ", "ae")
    )
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def read_records(text: str, source: str, *, default_section: str) -> list[Record]:
    """Parse YAML (a list, or a mapping of sections) or CSV text into line-numbered records."""
    suffix = Path(source).suffix.lower()
    if suffix == ".csv":
        return _read_csv(text, source, default_section)
    if suffix not in (".yaml", ".yml"):
        raise DataFileError(source, None, None, "unsupported file type: use .yaml, .yml or .csv")
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(source, line, None, f"not valid YAML ({problem})") from None
    if data is None:
        return []
    if isinstance(data, list):
        sections = {default_section: data}
    elif isinstance(data, dict):
        data.pop("__line__", None)
        data.pop("meta", None)
        if "entries" in data:
            data[default_section] = data.pop("entries")
        unknown = set(data) - {"organisations", "groups", "people", "documents"}
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
            records.append(
                Record(data=_strip_lines(item), line=line, source=source, section=section)
            )
    return records


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _read_csv(text: str, source: str, section: str) -> list[Record]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return []
    records = []
    for row in reader:
        if None in row:
            raise DataFileError(source, reader.line_num, None, "more values than columns")
        data = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
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
    from rich.progress import track

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


def upsert_group(session: Session, record: Record, summary: ImportSummary) -> None:
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
    _upsert(session, Group, group_id, values, summary)


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


def upsert_people(
    session: Session, records: list[Record], summary: ImportSummary, *, replace: bool, show: bool
) -> None:
    """People with their memberships; CSV rows for the same person are merged."""
    merged: dict[str, tuple[Record, list[tuple[Record, dict[str, Any]]]]] = {}
    for record in records:
        name = _text(record, "name", required=True, limit=200)
        assert name is not None
        person_id = _text(record, "id", limit=80) or slugify(name)
        if not re.fullmatch(r"[a-z0-9][a-z0-9\-_.]*", person_id):
            raise record.error("id", "may only hold lower-case letters, digits and - _ .")
        memberships: list[tuple[Record, dict[str, Any]]] = []
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

    known_orgs = {o for o in session.scalars(select(Organisation.id))}
    known_groups = {g for g in session.scalars(select(Group.id))}
    for person_id, (record, memberships) in _progress_items(merged, show):
        org = _text(record, "organisation", limit=40)
        if org:
            org = org.upper()
            if org not in known_orgs:
                raise record.error("organisation", f"unknown organisation {org!r}")
        email = _text(record, "email", limit=200)
        if email and not _EMAIL.match(email):
            raise record.error("email", f"is not an e-mail address: {email!r}")
        phone = _text(record, "phone", limit=60)
        if phone and not re.fullmatch(r"\+?[0-9 ()\-]{5,20}", phone):
            raise record.error("phone", f"is not a phone number: {phone!r}")
        values = {
            "name": _text(record, "name"),
            "aliases": _list(record, "aliases"),
            "organisation_id": org,
            "email": email,
            "phone": phone,
            "slack_user_id": _text(record, "slack_user_id", limit=40),
            "source": _text(record, "source") or "import",
        }
        person = _upsert(session, Person, person_id, values, summary)
        session.flush()
        wanted: set[tuple[str, str]] = set()
        for where, item in memberships:
            if not isinstance(item, dict):
                raise where.error("memberships", "every membership must be {group, role}")
            group = str(item.get("group") or "").strip().upper()
            role = str(item.get("role") or "").strip().lower().replace(" ", "_")
            if not group:
                raise where.error("group", "is required for a membership")
            if group not in known_groups:
                raise where.error("group", f"unknown group {group!r}")
            if role not in ROLES:
                raise where.error("role", f"unknown role {role!r} (one of {', '.join(ROLES)})")
            note = item.get("note")
            note_text = str(note).strip()[:300] if note not in (None, "") else None
            wanted.add((group, role))
            existing = session.scalar(
                select(Membership).where(
                    Membership.person_id == person.id,
                    Membership.group_id == group,
                    Membership.role == role,
                )
            )
            if existing is None:
                session.add(
                    Membership(person_id=person.id, group_id=group, role=role, note=note_text)
                )
                summary.details["memberships"] = summary.details.get("memberships", 0) + 1
            elif existing.note != note_text:
                existing.note = note_text
        if replace:
            for membership in list(person.memberships):
                if (membership.group_id, membership.role) not in wanted:
                    session.delete(membership)
    session.flush()


def _progress_items(
    merged: dict[str, tuple[Record, list[tuple[Record, dict[str, Any]]]]], show: bool
) -> Iterable[tuple[str, tuple[Record, list[tuple[Record, dict[str, Any]]]]]]:
    items = list(merged.items())
    if not show or len(items) < 200:
        return items
    from rich.progress import track

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
) -> ImportSummary:
    """Import people (with organisations/groups sections) or documents; caller commits."""
    from storage.search import rebuild_index

    summary = ImportSummary()
    records = read_records(text, source, default_section=kind)
    by_section: dict[str, list[Record]] = {}
    for record in records:
        by_section.setdefault(record.section, []).append(record)
    handlers: dict[str, Callable[[Session, Record, ImportSummary], None]] = {
        "organisations": upsert_organisation,
        "groups": upsert_group,
    }
    for section in ("organisations", "groups"):
        for record in by_section.pop(section, []):
            handlers[section](session, record, summary)
    session.flush()
    if kind == "people":
        upsert_people(
            session, by_section.pop("people", []), summary, replace=replace, show=show_progress
        )
    elif kind == "documents":
        upsert_documents(session, by_section.pop("documents", []), summary, show=show_progress)
    if by_section:
        section, items = next(iter(by_section.items()))
        raise items[0].error(None, f"a '{section}' section cannot be imported as {kind}")
    rebuild_index(session)
    return summary


def import_file(session: Session, kind: str, path: Path, **options: Any) -> ImportSummary:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(str(path), None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), None, None, f"is not UTF-8 text ({exc.reason})") from None
    return import_text(session, kind, text, str(path), **options)


def _embedded(name: str) -> str:
    return resources.files("storage").joinpath(f"data/{name}").read_text("utf-8")


def load_embedded_data(session: Session) -> None:
    """The network's own directory and SOP catalogue, shipped in the package."""
    parts = {
        "organisations": _embedded("organisations.yaml"),
        "groups": _embedded("groups.yaml"),
        "people": _embedded("people.yaml"),
    }
    directory = {k: yaml.safe_load(v) for k, v in parts.items()}
    for person in directory["people"]:
        person.setdefault("source", "annual-report-2024")
    import_text(session, "people", yaml.safe_dump(directory, allow_unicode=True), "embedded.yaml")
    import_text(session, "documents", _embedded("sop_catalogue.yaml"), "sop_catalogue.yaml")


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
            "memberships": [
                {k: v for k, v in (("group", m.group_id), ("role", m.role), ("note", m.note)) if v}
                for m in sorted(person.memberships, key=lambda m: (m.group_id, m.role))
            ],
        }
        people.append({k: v for k, v in item.items() if v not in (None, [])})
    return people


def export_text(session: Session, kind: str, suffix: str) -> str:
    records = export_records(session, kind)
    if suffix in (".yaml", ".yml"):
        return yaml.safe_dump(records, allow_unicode=True, sort_keys=False)
    if suffix != ".csv":
        raise DataFileError(f"*{suffix}", None, None, "unsupported file type: use .yaml or .csv")
    out = io.StringIO()
    if kind == "documents":
        columns = [
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
        ]
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            row = dict(record)
            row["keywords"] = "; ".join(record.get("keywords", []))
            writer.writerow(row)
    else:
        columns = [
            "id",
            "name",
            "aliases",
            "organisation",
            "email",
            "phone",
            "slack_user_id",
            "group",
            "role",
            "note",
        ]
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            base = {k: record.get(k, "") for k in PERSON_FIELDS}
            base["aliases"] = "; ".join(record.get("aliases", []))
            for membership in record.get("memberships") or [{}]:
                writer.writerow({**base, **membership})
    return out.getvalue()


def delete_all(session: Session) -> None:
    """Empty the directory and catalogue (tests and `import --replace-all`)."""
    for model in (Membership, Person, Group, Organisation, Document):
        session.execute(delete(model))
