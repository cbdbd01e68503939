"""Read access to the directory: people, groups, organisations and who holds which role."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, defer, joinedload, selectinload
from sqlalchemy.orm.util import identity_key

from bot.roles import role_label, role_rank
from bot.text import fold
from storage.models import Document, Group, Membership, Organisation, Person
from storage.provenance import GroupHistory, describe, field_source
from storage.session_cache import read_cache


@dataclass(frozen=True)
class RoleHolder:
    person: Person
    group: Group
    role: str
    note: str | None
    inferred: bool = False

    @property
    def for_network(self) -> bool:
        """Held for the network, not for the person's own hospital: the report lists the network
        coordinator under "NorCRIN:" in every work package, and secretariat staff sit on the
        board as observers. "Who from HUS is in AP8" is about HUS's own members first."""
        return self.role == "observer" or fold(self.note or "").startswith("norcrin")


def organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def fold_organisation_name(name: str) -> str:
    """The form organisation names and aliases are compared in ("ST. OLAVS" -> "st olavs")."""
    return " ".join(fold(name).replace(".", " ").split())


def organisation_aliases(session: Session) -> dict[str, str]:
    """Folded name/alias -> organisation id: what the question parser matches and `import
    people` accepts. The network itself ("NorCRIN") is no place to filter on, so it is left out."""
    aliases: dict[str, str] = {}
    for org in organisations(session):
        if org.kind == "network":
            continue
        for name in [org.id, org.name_nb, org.name_en or "", *(org.aliases or [])]:
            folded = fold_organisation_name(name)
            if len(folded) >= 2:
                aliases.setdefault(folded, org.id)
    return aliases


def _groups_by_id(session: Session) -> dict[str, Group]:
    """Every group, read once per session: an answer looks up several (a few dozen rows)."""
    cache = read_cache(session)
    if "groups" not in cache:
        cache["groups"] = {g.id: g for g in session.scalars(select(Group).order_by(Group.id))}
    found: dict[str, Group] = cache["groups"]
    return found


def groups(session: Session) -> list[Group]:
    return list(_groups_by_id(session).values())


def group_history(session: Session) -> dict[str, GroupHistory]:
    """Groups that no longer exist (merged, renamed, closed), by their old id; read once per
    session, since every question naming a group asks."""
    cache = read_cache(session)
    if "group_history" not in cache:
        cache["group_history"] = {h.group_id: h for h in session.scalars(select(GroupHistory))}
    found: dict[str, GroupHistory] = cache["group_history"]
    return found


def successor(session: Session, group_id: str) -> tuple[GroupHistory, Group] | None:
    """The record of a retired group and the live group that carries on its work."""
    seen: set[str] = set()
    history = group_history(session)
    record = history.get(group_id.upper())
    current = record
    while current is not None and current.successor_id and current.group_id not in seen:
        seen.add(current.group_id)
        live = group(session, current.successor_id)
        if live is not None:
            return (record, live) if record else None
        current = history.get(current.successor_id)
    return None


def group(session: Session, group_id: str) -> Group | None:
    """A group by id: one already loaded in this session (with its role holders, say) costs
    no query; otherwise every group is read at once, for the next look-ups too."""
    wanted = group_id.upper()
    loaded = session.identity_map.get(identity_key(Group, wanted))
    if loaded is not None and not session.new and not session.dirty and not session.deleted:
        return loaded  # type: ignore[no-any-return]
    return _groups_by_id(session).get(wanted)


def person(session: Session, person_id: str) -> Person | None:
    return session.scalar(
        select(Person).where(Person.id == person_id).options(selectinload(Person.memberships))
    )


def document(session: Session, code: str) -> Document | None:
    return session.get(Document, code)


def documents(session: Session, codes: list[str]) -> dict[str, Document]:
    if not codes:
        return {}
    # The body (up to 20 000 characters each) only feeds the index; answers show the summary.
    query = select(Document).where(Document.id.in_(codes)).options(defer(Document.body))
    return {d.id: d for d in session.scalars(query)}


def people(session: Session, person_ids: list[str]) -> dict[str, Person]:
    if not person_ids:
        return {}
    rows = session.scalars(
        select(Person).where(Person.id.in_(person_ids)).options(selectinload(Person.memberships))
    )
    return {p.id: p for p in rows}


def role_holders(
    session: Session,
    *,
    group_ids: list[str] | None = None,
    roles: list[str] | None = None,
    organisation_ids: list[str] | None = None,
) -> list[RoleHolder]:
    """Memberships matching all given filters, leaders first, then by name.

    An answer asks about the same groups several times (has it holders, who leads it, its
    card): the memberships of a set of groups are read once per session, with the people's
    memberships, and filtered here."""
    if not group_ids:
        return _query_holders(session, None, roles, organisation_ids)
    key = ("role_holders", frozenset(group_ids))
    cache = read_cache(session)
    if key not in cache:
        cache[key] = _query_holders(session, group_ids, None, None)
    return [
        h
        for h in cache[key]
        if (not roles or h.role in roles)
        and (not organisation_ids or h.person.organisation_id in organisation_ids)
    ]


def _query_holders(
    session: Session,
    group_ids: list[str] | None,
    roles: list[str] | None,
    organisation_ids: list[str] | None,
) -> list[RoleHolder]:
    query = (
        select(Membership, Person, Group)
        .join(Person, Membership.person_id == Person.id)
        .join(Group, Membership.group_id == Group.id)
        .options(joinedload(Person.memberships))  # cards and ranking read them: same query
    )
    if group_ids:
        query = query.where(Membership.group_id.in_(group_ids))
    if roles:
        query = query.where(Membership.role.in_(roles))
    if organisation_ids:
        query = query.where(Person.organisation_id.in_(organisation_ids))
    holders = [
        RoleHolder(p, g, m.role, m.note, bool((m.provenance or {}).get("inferred")))
        for m, p, g in session.execute(query).unique()
    ]
    holders.sort(key=lambda h: (role_rank(h.role), h.group.id, h.person.name))
    return holders


def holds_role(session: Session, roles: list[str]) -> bool:
    """Whether anyone in the directory holds one of these roles (one cheap query)."""
    return bool(session.scalar(select(exists().where(Membership.role.in_(roles)))))


def slugify(text: str) -> str:
    text = unicodedata.normalize(
        "NFKD", text.replace("ø", "o").replace("Ø", "O").replace("æ", "ae")
    )
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def person_by_slack_user(session: Session, slack_user_id: str) -> Person | None:
    return session.scalar(select(Person).where(Person.slack_user_id == slack_user_id))


def find_person_by_name(session: Session, name: str) -> Person | None:
    """Exact id or (case-insensitive) name/alias match, for `--user NAME` and admin tools."""
    wanted = name.strip().lower()
    found = session.get(Person, slugify(name))
    if found:
        return found
    for candidate in session.scalars(select(Person)):
        names = [candidate.name, *(candidate.aliases or [])]
        if any(n.lower() == wanted for n in names):
            return candidate
    return None


MAX_SOURCE_LINES = 12


def fact_sources(
    session: Session, kind: str, ref_id: str, language: str, *, with_members: bool = True
) -> tuple[str, list[str]]:
    """A heading and one line per fact (with its source) for a person, group or document.

    What an admin sees in `directory show` and a member gets when asking "source?"."""
    en = language == "en"
    if kind == "person":
        found = person(session, ref_id)
        if found is None:
            return ref_id, []
        lines = [
            f"{'Name and organisation' if en else 'Navn og organisasjon'}: "
            + describe(field_source(found.provenance, "name"), language)
        ]
        for name in ("aliases", "email", "phone", "slack_user_id"):
            own = ((found.provenance or {}).get("fields") or {}).get(name)
            if own and getattr(found, name):
                lines.append(f"{name}: {describe(own, language)}")
        for m in sorted(found.memberships, key=lambda m: (role_rank(m.role), m.group_id)):
            lines.append(
                f"{role_label(m.role, language)}, {m.group_id}: {describe(m.provenance, language)}"
            )
        return found.name, lines
    if kind == "group":
        found_group = group(session, ref_id)
        if found_group is None:
            retired = session.get(GroupHistory, ref_id.upper())
            if retired is None:
                return ref_id, []
            return retired.group_id, [_history_line(retired, language)]
        lines = [
            f"{'Description' if en else 'Beskrivelse'}: "
            + describe(found_group.provenance, language)
        ]
        for old in session.scalars(
            select(GroupHistory).where(GroupHistory.successor_id == found_group.id)
        ):
            lines.append(_history_line(old, language))
        memberships: Iterable[Membership] = (
            session.scalars(select(Membership).where(Membership.group_id == found_group.id))
            if with_members
            else []
        )
        for m in sorted(memberships, key=lambda m: (role_rank(m.role), m.person.name)):
            lines.append(
                f"{m.person.name} ({role_label(m.role, language)}): "
                + describe(m.provenance, language)
            )
        return found_group.title(language), lines
    doc = document(session, ref_id)
    if doc is None:
        return ref_id, []
    where = doc.url or ("the SOP catalogue" if en else "SOP-katalogen")
    return f"{doc.id} {doc.title(language)}", [
        ("NorCRIN's SOP catalogue: " if en else "NorCRINs SOP-katalog: ") + where
    ]


def _history_line(record: GroupHistory, language: str) -> str:
    en = language == "en"
    verb = {
        "merged": ("merged into", "slått sammen med"),
        "renamed": ("renamed to", "fikk nytt navn:"),
        "closed": ("closed", "avsluttet"),
    }[record.event][0 if en else 1]
    text = f"{record.group_id} ({record.name(language)}) {verb} {record.successor_id or ''}".strip()
    if record.year:
        text += f" {'in' if en else 'i'} {record.year}"
    return f"{text}: {describe(record.provenance, language)}"
