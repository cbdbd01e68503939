"""Read access to the directory: people, groups, organisations and who holds which role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.roles import role_rank
from storage.models import Document, Group, Membership, Organisation, Person


@dataclass(frozen=True)
class RoleHolder:
    person: Person
    group: Group
    role: str
    note: str | None


def organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def groups(session: Session) -> list[Group]:
    return list(session.scalars(select(Group).order_by(Group.id)))


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
