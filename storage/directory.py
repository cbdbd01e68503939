"""Read access to the directory: people, groups, organisations and who holds which role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.roles import role_rank
from bot.text import fold
from storage.models import Document, Group, Membership, Organisation, Person
from storage.provenance import GroupHistory


@dataclass(frozen=True)
class RoleHolder:
    person: Person
    group: Group
    role: str
    note: str | None


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


def groups(session: Session) -> list[Group]:
    return list(session.scalars(select(Group).order_by(Group.id)))


def group_history(session: Session) -> dict[str, GroupHistory]:
    """Groups that no longer exist (merged, renamed, closed), by their old id."""
    return {h.group_id: h for h in session.scalars(select(GroupHistory))}


def successor(session: Session, group_id: str) -> tuple[GroupHistory, Group] | None:
    """The record of a retired group and the live group that carries on its work."""
    seen: set[str] = set()
    record = session.get(GroupHistory, group_id.upper())
    current = record
    while current is not None and current.successor_id and current.group_id not in seen:
        seen.add(current.group_id)
        live = session.get(Group, current.successor_id)
        if live is not None:
            return (record, live) if record else None
        current = session.get(GroupHistory, current.successor_id)
    return None


def group(session: Session, group_id: str) -> Group | None:
    return session.get(Group, group_id.upper())


def person(session: Session, person_id: str) -> Person | None:
    return session.scalar(
        select(Person).where(Person.id == person_id).options(selectinload(Person.memberships))
    )


def document(session: Session, code: str) -> Document | None:
    return session.get(Document, code)


def documents(session: Session, codes: list[str]) -> dict[str, Document]:
    if not codes:
        return {}
    return {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(codes)))}


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
    """Memberships matching all given filters, leaders first, then by name."""
    query = (
        select(Membership, Person, Group)
        .join(Person, Membership.person_id == Person.id)
        .join(Group, Membership.group_id == Group.id)
    )
    if group_ids:
        query = query.where(Membership.group_id.in_(group_ids))
    if roles:
        query = query.where(Membership.role.in_(roles))
    if organisation_ids:
        query = query.where(Person.organisation_id.in_(organisation_ids))
    holders = [RoleHolder(p, g, m.role, m.note) for m, p, g in session.execute(query)]
    holders.sort(key=lambda h: (role_rank(h.role), h.group.id, h.person.name))
    return holders


def person_by_slack_user(session: Session, slack_user_id: str) -> Person | None:
    return session.scalar(select(Person).where(Person.slack_user_id == slack_user_id))


def find_person_by_name(session: Session, name: str) -> Person | None:
    """Exact id or (case-insensitive) name/alias match, for `--user NAME` and admin tools."""
    from storage.loader import slugify

    wanted = name.strip().lower()
    found = session.get(Person, slugify(name))
    if found:
        return found
    for candidate in session.scalars(select(Person)):
        names = [candidate.name, *(candidate.aliases or [])]
        if any(n.lower() == wanted for n in names):
            return candidate
    return None
