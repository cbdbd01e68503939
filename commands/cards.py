"""Answer cards for the directory and the catalogue: a person, a group, a document.

Shared by the answers (`commands.ask`) and taught answers (`commands.teachback`), which show a
taught target the way an answer would.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.replies import ContactCard, DocumentCard, GroupCard, Result
from bot.roles import role_rank
from commands import retired_groups as retired
from storage import directory
from storage.models import Document, Group, Person


def person_card(person: Person, language: str, only_groups: set[str] | None = None) -> ContactCard:
    memberships = sorted(person.memberships, key=lambda m: (role_rank(m.role), m.group_id))
    roles = tuple(
        retired.role_text(m, language)
        for m in memberships
        if only_groups is None or m.group_id in only_groups
    ) or tuple(retired.role_text(m, language) for m in memberships[:3])
    groups = tuple(dict.fromkeys(m.group_id for m in memberships))
    organisation = person.organisation.name(language) if person.organisation else None
    return ContactCard(
        person_id=person.id,
        name=person.name,
        roles=roles,
        organisation=organisation,
        groups=groups,
        email=person.email,
        phone=person.phone,
    )


def document_result(doc: Document, language: str, score: float) -> Result:
    return Result("document", doc.id, doc.title(language), doc.url, score)


def card_text(card: ContactCard, language: str) -> str:
    bits = [card.name]
    if card.organisation:
        bits.append(f"({card.organisation})")
    line = " ".join(bits)
    if card.roles:
        line += ": " + "; ".join(card.roles)
    contact = [c for c in (card.email, card.phone) if c]
    if contact:
        line += " — " + ", ".join(contact)
    return line


def group_card(group: Group, session: Session, language: str) -> GroupCard:
    holders = directory.role_holders(session, group_ids=[group.id])
    leader = next(
        (retired.holder_name(h, language) for h in holders if h.role in ("leader", "chair")), None
    )
    deputy = next(
        (retired.holder_name(h, language) for h in holders if h.role in ("deputy", "deputy_chair")),
        None,
    )
    members = tuple(
        dict.fromkeys(
            f"{h.person.name} ({h.person.organisation.id})"
            if h.person.organisation
            else h.person.name
            for h in holders
            if h.role not in ("leader", "chair", "deputy", "deputy_chair")
        )
    )
    return GroupCard(
        group_id=group.id,
        title=group.title(language),
        purpose=group.purpose(language),
        leader=leader,
        deputy=deputy,
        members=members,
        url=group.url,
    )


KIND_LABELS = {
    "sop": ("SOP", "SOP"),
    "attachment": ("Vedlegg", "Attachment"),
    "template": ("Mal", "Template"),
    "checklist": ("Sjekkliste", "Checklist"),
    "guidance": ("Veiledning", "Guidance"),
    "other": ("Dokument", "Document"),
}


def document_card(doc: Document, language: str) -> DocumentCard:
    nb, en = KIND_LABELS.get(doc.kind, ("Dokument", "Document"))
    other_title = doc.title_no if language == "en" else doc.title_en
    subtitle = other_title if other_title and other_title != doc.title(language) else None
    return DocumentCard(
        code=doc.id,
        title=doc.title(language),
        kind=en if language == "en" else nb,
        area=doc.area,
        url=doc.url,
        summary=doc.summary,
        subtitle=subtitle,
    )
