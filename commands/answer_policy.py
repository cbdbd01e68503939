"""When to answer and whom to name: small talk, honest declines and the contacts for a topic.

A wrong answer given confidently costs more trust than "I don't know", so a question the directory
and catalogue cannot answer gets a decline (intent "none") that says so plainly, names who can help
(the group whose topic matches, else the secretariat), carries those contacts as results and
offers to pass the question on. The teach-back loop hooks on these "none" replies.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.packaged import load_yaml
from bot.replies import Reply, Result, Section
from bot.router import Context
from bot.text import fold
from storage import directory
from storage.models import Group, Person

SECRETARIAT_EMAIL = "norcrin@helse-bergen.no"
SECRETARIAT_GROUP = "SEKR"
LEADERSHIP = ("leader", "chair", "deputy", "deputy_chair")
# The secretariat's own contacts when a question has no better owner.
SECRETARIAT_CONTACT_ROLES = ("network_coordinator", "project_leader")
NAME_MATCH = 80  # rapidfuzz ratio a typed name word needs against a directory name word


@lru_cache(maxsize=1)
def _topic_contact_rules() -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    raw = load_yaml("topic_contacts.yaml")
    return {
        str(gid).upper(): tuple((str(r["group"]).upper(), tuple(r["roles"])) for r in rules)
        for gid, rules in (raw or {}).items()
    }


def topic_contacts(session: Session, group: Group) -> list[tuple[Person, str, str]]:
    """(person, role, group id) to ask about a group's topic: its leader and deputy; for a group
    without them, the roles the annual report ties to its topic (topic_contacts.yaml), then its
    parent's leadership."""
    out: list[tuple[Person, str, str]] = []
    seen: set[str] = set()

    def add(group_id: str, roles: tuple[str, ...]) -> None:
        for holder in directory.role_holders(session, group_ids=[group_id], roles=list(roles)):
            if holder.person.id not in seen:
                seen.add(holder.person.id)
                out.append((holder.person, holder.role, group_id))

    add(group.id, LEADERSHIP)
    if out:
        return out
    for group_id, roles in _topic_contact_rules().get(group.id, ()):
        add(group_id, roles)
    if not out and group.parent_id:
        add(group.parent_id, LEADERSHIP)
    return out


def person_result(person: Person, score: float) -> Result:
    return Result("person", person.id, person.name, None, score)


def group_result(group: Group, language: str, score: float) -> Result:
    return Result("group", group.id, group.title(language), group.url, score)


def decline(
    context: Context,
    session: Session,
    *,
    reason_nb: str,
    reason_en: str,
    group: Group | None = None,
) -> Reply:
    """'I don't know' with who can help: the group whose topic matches (and its contacts),
    otherwise the secretariat; the question can be passed on (intent "none")."""
    language = context.language
    secretariat = directory.group(session, SECRETARIAT_GROUP)
    owner = group or secretariat
    results: list[Result] = []
    names: list[str] = []
    if owner is not None:
        results.append(group_result(owner, language, 0.3))
        if owner.id == SECRETARIAT_GROUP:
            people = [
                (h.person, h.role)
                for h in directory.role_holders(
                    session, group_ids=[owner.id], roles=list(SECRETARIAT_CONTACT_ROLES)
                )
            ]
        else:
            people = [(p, role) for p, role, _ in topic_contacts(session, owner)]
        for person, _role in people[:3]:
            results.append(person_result(person, 0.2))
            names.append(person.name)
    if owner is None or owner.id == SECRETARIAT_GROUP:
        who_nb = f"Sekretariatet ({SECRETARIAT_EMAIL})"
        who_en = f"The secretariat ({SECRETARIAT_EMAIL})"
    else:
        who_nb = f"{owner.title('nb')}, eller sekretariatet ({SECRETARIAT_EMAIL})"
        who_en = f"{owner.title('en')}, or the secretariat ({SECRETARIAT_EMAIL})"
    people_text = f": {', '.join(names)}" if names else ""
    text = context.t(
        f"{reason_nb} {who_nb} kan hjelpe deg{people_text}. "
        "Vil du, kan jeg sende spørsmålet videre til sekretariatet.",
        f"{reason_en} {who_en} can help you{people_text}. "
        "If you like, I can pass your question on to the secretariat.",
    )
    return Reply(
        text=text,
        parts=(Section(text),),
        language=language,
        intent="none",
        results=tuple(results),
    )


DONT_KNOW_NB = (
    "Det vet jeg dessverre ikke — jeg finner ikke noe i NorCRINs katalog som svarer på det."
)
DONT_KNOW_EN = "I'm sorry, I don't know — I find nothing in NorCRIN's catalogue that answers that."


OFF_TOPIC_NB = "Det kan jeg dessverre ikke svare på — jeg svarer bare på spørsmål om NorCRIN."
OFF_TOPIC_EN = "I'm sorry, I can't answer that — I only answer questions about NorCRIN."


CANNOT_DO_NB = (
    "Det kan jeg dessverre ikke gjøre — jeg kan ikke bestille, reservere, skrive ut eller sende "
    "noe for deg. Jeg svarer på spørsmål om NorCRINs folk, arbeidspakker og prosedyrer "
    "(SOP-er, maler og sjekklister)."
)
CANNOT_DO_EN = (
    "I'm sorry, I can't do that — I can't order, book, print or send anything for you. I answer "
    "questions about NorCRIN's people, work packages and procedures (SOPs, templates and "
    "checklists)."
)


def smalltalk_reply(context: Context, kind: str, help_text: str) -> Reply:
    """A greeting or a question about the bot gets the short help; thanks get a short welcome."""
    if kind == "thanks":
        text = context.t(
            "Bare hyggelig! Spør gjerne igjen om folk, arbeidspakker eller prosedyrer.",
            "You're welcome! Ask again any time about people, work packages or procedures.",
        )
    else:
        text = help_text
    return Reply(
        text=text,
        parts=tuple(Section(part) for part in text.split("\n\n")),
        language=context.language,
        intent="help",
        results=(),
    )


def people_named(session: Session, name_words: tuple[str, ...]) -> list[Person]:
    """Directory people whose name (or an alias) has a close match for every typed name word."""
    from rapidfuzz import fuzz  # lazy: heavy dependency, only when a name is typed

    wanted = [fold(w) for w in name_words]
    found: list[Person] = []
    for person in session.scalars(select(Person)):
        tokens = {fold(t) for n in [person.name, *(person.aliases or [])] for t in n.split()}
        tokens = {t.strip(".,") for t in tokens}
        if all(any(fuzz.ratio(w, t) >= NAME_MATCH for t in tokens) for w in wanted):
            found.append(person)
    return found
