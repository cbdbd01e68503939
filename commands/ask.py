"""Answering free-text questions about people, groups and documents.

The parser (`bot.questions`) finds roles, organisations and group references; the search index
finds everything else. The decision below is deliberately simple and explainable: a named person
wins; a question about people in a group (or with a role) lists those people; a question about a
group describes it; anything else is a document search. When nothing fits, the bot says so and
points to the group that can help: AP2 for procedures, the secretariat for everything else.
"""

from __future__ import annotations

import dataclasses
import threading

from sqlalchemy.orm import Session

from bot.markup import esc
from bot.questions import MAX_QUESTION_CHARS, Question, Vocabulary, cut_question, parse_question
from bot.replies import (
    Note,
    Reply,
    Section,
    Table,
)
from bot.requests import asks_for_action
from bot.roles import role_label, role_rank
from bot.router import Context, Router
from bot.text import content_words, document_codes, fold, off_topic
from commands import retired_groups as retired
from commands import teachback
from commands.answer_policy import (
    CANNOT_DO_EN,
    CANNOT_DO_NB,
    DONT_KNOW_EN,
    DONT_KNOW_NB,
    OFF_TOPIC_EN,
    OFF_TOPIC_NB,
    SECRETARIAT_EMAIL,
    decline,
    group_result,
    people_named,
    person_result,
    smalltalk_reply,
    topic_contacts,
)
from commands.cards import (
    card_text,
    document_card,
    document_result,
    group_card,
    person_card,
)
from commands.document_evidence import enough_evidence
from storage import directory
from storage.models import Group, Organisation, Person
from storage.search import Hit, QueryWord, SearchIndex, index_version

SOP_GROUP = "AP2"
MAX_RESULTS = 5
MAX_ALTERNATIVES = 3
# "member" asks who is in a group at all, so leaders and deputies count too.
ROLE_FILTERS = {
    "member": None,
    "leader": ["leader", "chair"],
    "chair": ["chair", "leader"],
    "deputy": ["deputy", "deputy_chair"],
    "deputy_chair": ["deputy_chair", "deputy"],
}
# Roles that only say "is in the body": a more specific role asked beside them is the one wanted
# ("alternate board members" are the alternates).
GENERIC_ROLES = frozenset({"member", "board_member"})
MIN_TOPIC_COVERAGE = 0.34
# How much better a document must cover a who-question than the best group to be the answer.
DOCUMENT_OVER_GROUP = 1.6


class _VocabularyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[str, Vocabulary] | None = None

    def get(self, session: Session) -> Vocabulary:
        key = index_version(session)
        with self._lock:
            if self._value is None or self._value[0] != key:
                aliases = directory.organisation_aliases(session)
                # Retired groups (AP5 …) are recognised so the answer can name the successor.
                ids = frozenset(g.id for g in directory.groups(session)) | frozenset(
                    directory.group_history(session)
                )
                self._value = (key, Vocabulary(aliases, ids))
            return self._value[1]


_vocabulary = _VocabularyCache()


def vocabulary(session: Session) -> Vocabulary:
    return _vocabulary.get(session)


def answer(context: Context, text: str, *, kinds: tuple[str, ...] | None = None) -> Reply:
    """The reply to a free-text question (also used by `ask --json`)."""
    services = context.services
    language = context.language
    if not text.strip():
        return help_reply(context)
    text, was_cut = cut_question(text)
    with services.db.shared_session() as session:
        question = parse_question(text, vocabulary(session), services.settings.language)
        language = question.language
        context.language = language
        question, notes = retired.successors(context, session, question)
        reply = _decide(context, session, services.search, question, kinds)
        reply = retired.with_notes(reply, notes)
    if was_cut:
        reply = _say_cut(context, reply)
    return teachback.after_answer(context, text, reply)  # taught answer first; log; 👍/👎


def _say_cut(context: Context, reply: Reply) -> Reply:
    """A long message was searched only in part: the answer says so rather than pretend."""
    note = context.t(
        f"Meldingen var lang, så jeg søkte bare i de første {MAX_QUESTION_CHARS} tegnene.",
        f"Your message was long, so I searched only its first {MAX_QUESTION_CHARS} characters.",
    )
    return dataclasses.replace(reply, text=f"{reply.text}\n{note}",
                               parts=(*reply.parts, Note(note)))


def _query(session: Session, index: SearchIndex, question: Question) -> list[QueryWord]:
    query = index.query_words(session, question.remainder)
    known = {w.source for w in query}
    for code in document_codes(question.text):
        word = index.code_word(code)
        if word.source not in known:
            query.append(word)
    return query


def _decide(
    context: Context,
    session: Session,
    index: SearchIndex,
    question: Question,
    kinds: tuple[str, ...] | None,
) -> Reply:
    documents_only = kinds == ("document",)
    if question.smalltalk and not documents_only:
        return smalltalk_reply(context, question.smalltalk, help_reply(context).text)
    if asks_for_action(question.text):
        return decline(context, session, reason_nb=CANNOT_DO_NB, reason_en=CANNOT_DO_EN)
    if off_topic(question.text):
        return decline(context, session, reason_nb=OFF_TOPIC_NB, reason_en=OFF_TOPIC_EN)
    if question.unknown_group_codes and not question.group_ids and not documents_only:
        return _no_such_group(context, session, question.unknown_group_codes)
    query = _query(session, index, question)
    hits = index.search(session, query, kinds=kinds, limit=1000) if query else []
    people_hits = [h for h in hits if h.kind == "person"]
    group_hits = [h for h in hits if h.kind == "group"]
    doc_hits = [h for h in hits if h.kind == "document"]
    if question.name_words and not documents_only:
        unknown = _unknown_person(context, session, index, question)
        if unknown is not None:
            return unknown

    named = [h for h in people_hits if h.title_coverage >= 0.5]
    if named and not documents_only and (not doc_hits or named[0].score >= doc_hits[0].score * 0.6):
        best = named[0].title_coverage
        chosen = [h.ref_id for h in named if h.title_coverage >= best - 0.01]
        return _people_by_name(
            context, session, chosen + [h.ref_id for h in named if h.ref_id not in chosen]
        )

    groups = list(question.group_ids)
    if not groups and not documents_only:
        guessed = _guess_group(question, group_hits, doc_hits)
        groups = [guessed] if guessed else []

    if not documents_only and question.wants_people:
        not_held = _role_not_held(context, session, question)
        if not_held is not None:
            return not_held
        guessed_only = bool(groups) and not question.group_ids
        if (
            groups
            and not question.organisation_ids
            and ((guessed_only and not question.roles) or not _has_holders(session, groups[:1]))
        ):
            group = directory.group(session, groups[0])
            if group is not None:
                return _topic_answer(context, session, group)
        if groups or question.roles or question.organisation_ids:
            found = _role_holders(context, session, question, groups)
            if found.intent == "none" and groups:
                found = _role_holders_nearby(context, session, question, groups, found)
            return found
    if groups and not documents_only:
        topical = _topic_group(question, group_hits, groups)
        if topical:
            groups = [topical, *groups]
        return _describe_groups(context, session, groups, [h.ref_id for h in group_hits])
    if doc_hits and enough_evidence(doc_hits[0], query, index.weights(session, query)):
        return _documents(context, session, doc_hits)
    if people_hits and not documents_only and not doc_hits:
        return _people_by_name(context, session, [h.ref_id for h in people_hits])
    return _weak_evidence(context, session, question, group_hits, documents_only)


def _no_such_group(context: Context, session: Session, codes: tuple[str, ...]) -> Reply:
    """A work package the network does not have ("who leads AP15?"): say so and name the
    ones it has, instead of answering with the leaders of others."""
    numbers = sorted(
        int(g.id[2:]) for g in directory.groups(session) if g.id[:2] == "AP" and g.id[2:].isdigit()
    )
    asked = ", ".join(codes)
    have = ", ".join(f"AP{n}" for n in numbers)
    return decline(
        context,
        session,
        reason_nb=f"NorCRIN har ingen {esc(asked)}. Arbeidspakkene er {have}.",
        reason_en=f"NorCRIN has no {esc(asked)}. Its work packages are {have}.",
    )


def _has_holders(session: Session, groups: list[str]) -> bool:
    return bool(directory.role_holders(session, group_ids=groups))


def _topic_group(question: Question, group_hits: list[Hit], named: list[str]) -> str | None:
    """A group whose topic the rest of the question matches better than the group it names
    ("how can patient organisations give input to the board?" is about the Brukerråd)."""
    if not group_hits or question.wants_people:
        return None
    top = group_hits[0]
    if top.ref_id in named or top.coverage < 0.6 or top.title_coverage >= top.coverage:
        return None
    return top.ref_id


def _weak_evidence(
    context: Context,
    session: Session,
    question: Question,
    group_hits: list[Hit],
    documents_only: bool,
) -> Reply:
    """Nothing answers the question well enough: decline, naming the group whose topic it
    touches (AP2 for a procedure question), else the secretariat."""
    owner = None
    if group_hits and group_hits[0].coverage >= MIN_TOPIC_COVERAGE and not documents_only:
        owner = directory.group(session, group_hits[0].ref_id)
    elif documents_only or question.doc_cue:
        owner = directory.group(session, SOP_GROUP)
    return decline(context, session, reason_nb=DONT_KNOW_NB, reason_en=DONT_KNOW_EN, group=owner)


def _unknown_person(
    context: Context, session: Session, index: SearchIndex, question: Question
) -> Reply | None:
    """A name the directory does not hold is declined, never answered with a similar name."""
    places = {t for alias in vocabulary(session).organisation_aliases for t in alias.split()}
    unknown = [
        w
        for w in question.name_words
        if fold(w) not in places and not index.known_outside_people(session, w)
    ]
    if not unknown or people_named(session, question.name_words):
        return None
    name = " ".join(question.name_words)
    return decline(
        context,
        session,
        reason_nb=f"Jeg finner ingen «{name}» i NorCRINs katalog over personer og roller.",
        reason_en=f"I find no '{name}' in NorCRIN's directory of people and roles.",
    )


def _role_not_held(context: Context, session: Session, question: Question) -> Reply | None:
    """A role nobody in the directory holds (local NorCRIN contacts at the hospitals): say so
    and point onward instead of listing unrelated members."""
    specific = [r for r in question.roles if r not in GENERIC_ROLES]
    if not specific:
        return None
    wanted = [m for r in specific for m in (ROLE_FILTERS.get(r) or [r])]
    if directory.holds_role(session, wanted):
        return None
    language = context.language
    names = ", ".join(role_label(r, language) for r in specific)
    orgs = [session.get(Organisation, o) for o in question.organisation_ids]
    org_names = ", ".join(o.name(language) for o in orgs if o)
    where_nb = f" ved {org_names}" if org_names else ""
    where_en = f" at {org_names}" if org_names else ""
    unit_nb = f" Forskningsstøtteenheten{where_nb} kan også vite det." if org_names else ""
    unit_en = f" The research support unit{where_en} may also know." if org_names else ""
    return decline(
        context,
        session,
        reason_nb=f"Katalogen har ingen {names} registrert{where_nb}.{unit_nb}",
        reason_en=f"The directory has no {names} on record{where_en}.{unit_en}",
    )


def _topic_answer(context: Context, session: Session, group: Group) -> Reply:
    """'Who do I ask about X' for a group's topic: the group, then the people to ask."""
    language = context.language
    contacts = topic_contacts(session, group)
    results = [group_result(group, language, 1.0)]
    results += [person_result(p, 0.9 - i * 0.01) for i, (p, _, _) in enumerate(contacts[:4])]
    lines = [f"{p.name} ({role_label(role, language)}, {gid})" for p, role, gid in contacts[:4]]
    heading = context.t(f"Spør {group.title('nb')}", f"Ask {group.title('en')}") + (
        f": {group.purpose(language)}" if group.purpose(language) else ""
    )
    ask = (
        context.t("Kontakt: ", "Contact: ") + "; ".join(lines)
        if lines
        else context.t(
            f"Gruppen har ingen navngitte kontakter; sekretariatet ({SECRETARIAT_EMAIL}) hjelper.",
            f"The group has no named contacts; the secretariat ({SECRETARIAT_EMAIL}) can help.",
        )
    )
    cards = tuple(person_card(p, language) for p, _, _ in contacts[:4])
    text = heading + "\n" + ask
    return Reply(
        text=text,
        parts=(group_card(group, session, language), Section(ask), *cards),
        language=language,
        intent="group",
        results=tuple(results),
    )


def _guess_group(question: Question, group_hits: list[Hit], doc_hits: list[Hit]) -> str | None:
    """The group a question is about when it names none: its topic words must cover most of it,
    and a question that reads like a document search must not be taken for a group."""
    if not group_hits:
        return None
    top = group_hits[0]
    threshold = 0.34 if question.wants_people or question.mentions_group else 0.5
    if top.coverage < threshold:
        return None
    if question.wants_people and doc_hits and _documents_cover_far_more(doc_hits[0], top):
        return None  # "who can help me order study drug?": the requisition, not a group
    if question.wants_people or not doc_hits:
        return top.ref_id
    if (question.doc_cue or question.asks_how) and not question.mentions_group:
        return None  # "sample size SOP", "how do we move to CTIS" ask for a document
    if top.score >= doc_hits[0].score * 0.7 or (question.mentions_group and not question.doc_cue):
        return top.ref_id
    return None


def _documents_cover_far_more(document: Hit, group: Hit) -> bool:
    """A who-question whose words a document covers far better than any group's topic ('help'
    and 'study' are in a group's text, 'order study drug' is the requisition's): the group is
    no answer."""
    return (
        document.coverage >= group.coverage * DOCUMENT_OVER_GROUP
        and document.score >= group.score * DOCUMENT_OVER_GROUP
        and document.coverage >= 0.5
    )


def _people_by_name(context: Context, session: Session, person_ids: list[str]) -> Reply:
    language = context.language
    found = directory.people(session, person_ids[:MAX_RESULTS])
    ordered = [found[p] for p in person_ids if p in found]
    cards = tuple(person_card(p, language) for p in ordered[: 1 + MAX_ALTERNATIVES])
    results = [person_result(p, 1.0 - i * 0.1) for i, p in enumerate(ordered)]
    text = card_text(cards[0], language)
    parts: list = [cards[0]]
    if len(cards) > 1:
        parts.append(Note(context.t("Mente du en av disse?", "Did you mean one of these?")))
        parts.extend(cards[1:])
        text += (
            "\n"
            + context.t("Andre treff: ", "Other matches: ")
            + ", ".join(c.name for c in cards[1:])
        )
    return Reply(
        text=text,
        parts=tuple(parts),
        language=language,
        intent="person",
        results=tuple(results),
    )


def _role_holders(
    context: Context, session: Session, question: Question, groups: list[str]
) -> Reply:
    language = context.language
    asked = list(question.roles)
    if any(r not in GENERIC_ROLES for r in asked):
        asked = [r for r in asked if r not in GENERIC_ROLES]
    roles: list[str] | None = []
    for role in asked:
        mapped = ROLE_FILTERS.get(role, [role])
        if mapped is None:
            roles = None
            break
        assert roles is not None
        roles.extend(mapped)
    holders = directory.role_holders(
        session,
        group_ids=groups or None,
        roles=roles or None,
        organisation_ids=list(question.organisation_ids) or None,
    )
    excluded = {
        h.person.id
        for h in holders
        if question.excluded_roles
        and any(h.role in (ROLE_FILTERS.get(r) or [r]) for r in question.excluded_roles)
    }
    holders = [h for h in holders if h.person.id not in excluded]
    holders = _rank_holders(holders, asked, groups, bool(question.organisation_ids))
    group_objects = [g for g in (directory.group(session, gid) for gid in groups) if g]
    scope = esc(", ".join(g.title(language) for g in group_objects))  # group titles are data
    if not holders:
        return _nobody(context, session, question, group_objects, scope)
    people: dict[str, Person] = {}
    for holder in holders:
        people.setdefault(holder.person.id, holder.person)
    ordered = list(people.values())
    results = [person_result(p, 1.0 - i * 0.01) for i, p in enumerate(ordered[:MAX_RESULTS])]
    results += [group_result(g, language, 0.5) for g in group_objects]
    only = set(groups) if groups else None
    parts: list = []
    described = _describe_role_question(context, asked, question, scope)
    if len(ordered) <= 4:
        cards = [person_card(p, language, only) for p in ordered]
        parts.extend(cards)
        text = described + "\n" + "\n".join(card_text(c, language) for c in cards)
    else:
        rows = tuple(
            (
                h.person.name,
                role_label(h.role, language),
                h.group.id,
                h.person.organisation.id if h.person.organisation else "",
            )
            for h in holders[:40]
        )
        columns = (
            context.t("Navn", "Name"),
            context.t("Rolle", "Role"),
            context.t("Gruppe", "Group"),
            context.t("Sted", "Organisation"),
        )
        parts.append(Table(columns=columns, rows=rows))
        text = described + "\n" + "\n".join(" · ".join(r) for r in rows)
    parts.insert(0, Section(described))
    return Reply(
        text=text,
        parts=tuple(parts),
        language=language,
        intent="person",
        results=tuple(results),
    )


def _rank_holders(
    holders: list, asked: list[str], groups: list[str], by_organisation: bool = False
) -> list:
    """People with the role asked for first (the deputy for a deputy question, alternates for
    alternates), then, when a hospital is asked about, those who sit for it rather than for the
    network, then people in every group named, then by role rank."""
    # "member" asks for anyone in the group: no role comes first for it.
    wanted = [m for r in asked for m in (ROLE_FILTERS.get(r, [r]) or [])]
    in_groups = {h.person.id: {m.group_id for m in h.person.memberships} for h in holders}

    def key(h) -> tuple:
        role_pos = wanted.index(h.role) if h.role in wanted else len(wanted)
        coverage = len(in_groups[h.person.id] & set(groups))
        for_network = by_organisation and h.for_network
        return (role_pos, for_network, -coverage, role_rank(h.role), h.group.id, h.person.name)

    return sorted(holders, key=key)


def _role_holders_nearby(
    context: Context, session: Session, question: Question, groups: list[str], nobody: Reply
) -> Reply:
    """Nobody holds the role in the group: a group the data lists no one for (the GCP group)
    is answered by its parent (AP1); a group that was only guessed from the wording is dropped."""
    parents = [
        g.parent_id
        for g in (directory.group(session, gid) for gid in groups)
        if g and g.parent_id and not directory.role_holders(session, group_ids=[g.id])
    ]
    asks_for_a_role = any(role != "member" for role in question.roles)
    if parents and asks_for_a_role:
        found = _role_holders(context, session, question, parents)
        if found.intent != "none":
            return found
    if not question.group_ids:
        return _role_holders(context, session, question, [])
    return nobody


def _describe_role_question(
    context: Context, roles: list[str], question: Question, scope: str
) -> str:
    role_names = ", ".join(role_label(r, context.language) for r in roles) or context.t(
        "medlemmer", "members"
    )
    where = f" {context.t('i', 'in')} {scope}" if scope else ""
    orgs = ", ".join(question.organisation_ids)
    org_text = f" ({context.t('fra', 'from')} {orgs})" if orgs else ""
    return f"*{role_names.capitalize()}{where}{org_text}:*"


def _nobody(
    context: Context, session: Session, question: Question, group_objects: list[Group], scope: str
) -> Reply:
    """Nobody holds the role asked for in the group: a decline naming the group's contacts."""
    language = context.language
    orgs = ", ".join(question.organisation_ids)
    role_names = ", ".join(role_label(r, language) for r in question.roles) or context.t(
        "medlemmer", "members"
    )
    where = " ".join(filter(None, [scope, orgs]))
    return decline(
        context,
        session,
        reason_nb=f"Jeg finner ingen {role_names} registrert for {where or 'dette'}.",
        reason_en=f"I have no {role_names} on record for {where or 'that'}.",
        group=group_objects[0] if group_objects else None,
    )


def _describe_groups(
    context: Context, session: Session, groups: list[str], other_hits: list[str]
) -> Reply:
    language = context.language
    objects = [g for g in (directory.group(session, gid) for gid in groups) if g]
    if not objects:
        return decline(context, session, reason_nb=DONT_KNOW_NB, reason_en=DONT_KNOW_EN)
    main = objects[0]
    card = group_card(main, session, language)
    results = [group_result(main, language, 1.0)]
    leader_holders = directory.role_holders(session, group_ids=[main.id], roles=["leader", "chair"])
    results += [person_result(h.person, 0.6) for h in leader_holders[:1]]
    for gid in other_hits:
        if gid != main.id and len(results) < MAX_RESULTS:
            other = directory.group(session, gid)
            if other:
                results.append(group_result(other, language, 0.4))
    text = f"{card.title}: {card.purpose or ''}".strip()
    if card.leader:
        text += "\n" + context.t("Leder", "Leader") + f": {card.leader}"
    if card.deputy:
        text += "\n" + context.t("Nestleder", "Deputy") + f": {card.deputy}"
    return Reply(
        text=text,
        parts=(card,),
        language=language,
        intent="group",
        results=tuple(results),
    )


def _documents(context: Context, session: Session, hits: list[Hit]) -> Reply:
    language = context.language
    top = hits[:MAX_RESULTS]
    docs = directory.documents(session, [h.ref_id for h in top])
    ordered = [(h, docs[h.ref_id]) for h in top if h.ref_id in docs]
    results = [document_result(d, language, h.score) for h, d in ordered]
    best_hit, best = ordered[0]
    unsure = len(ordered) > 1 and ordered[1][0].score >= best_hit.score * 0.75
    parts: list = [document_card(best, language)]
    text = f"{best.id} — {best.title(language)}" + (f"\n{best.url}" if best.url else "")
    if unsure or best_hit.coverage < 0.6:
        alternatives = ordered[1 : 1 + MAX_ALTERNATIVES]
        if alternatives:
            parts.append(Note(context.t("Andre som kan passe:", "Other possible matches:")))
            for _, doc in alternatives:
                parts.append(document_card(doc, language))
            text += (
                "\n"
                + context.t("Andre som kan passe: ", "Other possible matches: ")
                + "; ".join(f"{d.id} — {d.title(language)}" for _, d in alternatives)
            )
    return Reply(
        text=text,
        parts=tuple(parts),
        language=language,
        intent="document",
        results=tuple(results),
    )


def help_reply(context: Context) -> Reply:
    """What the bot can do: a few example questions, then the commands this person may use,
    generated from the registered routes (admins also see the secretariat's commands)."""
    intro = context.t(
        "Hei! Jeg er NorCRINs bot. Spør meg om folk, arbeidspakker og prosedyrer, f.eks.:\n"
        "• hvem leder AP8?\n• hvem fra St. Olavs er med i statistikkgruppen?\n"
        "• SOP for SUSAR-rapportering\n• mal for protokoll",
        "Hi! I am NorCRIN's bot. Ask me about people, work packages and procedures, e.g.:\n"
        "• who leads AP8?\n• who from St. Olavs is in the statistics group?\n"
        "• SOP for SUSAR reporting\n• protocol template",
    )
    commands = context.bot.router.help_text(context.message.sender, context.language)
    sections = [intro, *commands.split("\n\n")] if commands else [intro]
    return Reply(
        text="\n\n".join(sections),
        parts=tuple(Section(section) for section in sections),
        language=context.language,
        intent="help",
        results=(),
    )


router = Router()


@router.command("help", "hjelp", "?", help_nb="vis hva jeg kan", help_en="show what I can do")
def show_help(context: Context, rest: str) -> Reply:
    return help_reply(context)


@router.command(
    "contact",
    "kontakt",
    usage="ORG",
    help_nb="kontaktpersoner ved et sykehus",
    help_en="contacts at a hospital",
)
def contact(context: Context, rest: str) -> Reply:
    """People to contact at an organisation: local contacts first, then group leaders."""
    with context.services.db.session() as session:
        question = parse_question(rest, vocabulary(session), context.services.settings.language)
        if not question.organisation_ids or content_words(question.remainder):
            # Not just a place ("contact for monitoring in Bergen"): a question like any other.
            return answer(context, context.message.text)
        org_id = question.organisation_ids[0]
        org = session.get(Organisation, org_id)
        holders = directory.role_holders(
            session, organisation_ids=[org_id], roles=["local_contact"]
        ) or [
            h
            for h in directory.role_holders(session, organisation_ids=[org_id])
            if h.role in ("leader", "deputy", "chair", "deputy_chair", "board_member")
        ]
        language = context.language
        org_name = esc(org.name(language) if org else org_id)  # data, shown in markup
        if not holders:
            text = context.t(
                f"Jeg har ingen kontaktpersoner registrert for {org_name}. "
                f"Sekretariatet ({SECRETARIAT_EMAIL}) kan hjelpe.",
                f"I have no contacts on record for {org_name}. "
                f"The secretariat ({SECRETARIAT_EMAIL}) can help.",
            )
            return Reply(
                text=text,
                parts=(Section(text),),
                language=language,
                intent="person",
            )
        local = any(h.role == "local_contact" for h in holders)
        heading = context.t(
            f"*{'Lokale NorCRIN-kontakter' if local else 'Ledere og nestledere'} ved {org_name}:*",
            f"*{'Local NorCRIN contacts' if local else 'Leaders and deputies'} at {org_name}:*",
        )
        rows = tuple(
            (
                h.person.name,
                role_label(h.role, language),
                h.group.title(language),
                h.person.email or "",
            )
            for h in holders[:40]
        )
        columns = (
            context.t("Navn", "Name"),
            context.t("Rolle", "Role"),
            context.t("Gruppe", "Group"),
            context.t("E-post", "E-mail"),
        )
        seen: dict[str, Person] = {}
        for holder in holders:
            seen.setdefault(holder.person.id, holder.person)
        results = tuple(
            person_result(p, 1.0 - i * 0.01)
            for i, p in enumerate(list(seen.values())[:MAX_RESULTS])
        )
        text = heading + "\n" + "\n".join(" · ".join(filter(None, r)) for r in rows)
        return Reply(
            text=text,
            parts=(Section(heading), Table(columns=columns, rows=rows)),
            language=language,
            intent="person",
            results=results,
        )


@router.command(
    "wp",
    "ap",
    "arbeidspakke",
    usage="KODE",
    usage_en="CODE",
    help_nb="om en arbeidspakke eller gruppe",
    help_en="about a work package or group",
)
def work_package(context: Context, rest: str) -> Reply:
    code = rest.strip().upper().replace(" ", "")
    if code.isdigit():
        code = f"AP{int(code)}"
    with context.services.db.session() as session:
        group = directory.group(session, code) if code else None
        if group is not None:
            return _describe_groups(context, session, [group.id], [])
        if code and directory.successor(session, code):
            question = parse_question(code, vocabulary(session), context.language)
            question, notes = retired.successors(context, session, question)
            described = _describe_groups(context, session, list(question.group_ids), [])
            return retired.with_notes(described, notes)
    return answer(context, f"{context.message.text}")


@router.command(
    "sop",
    usage="TEKST",
    usage_en="TEXT",
    help_nb="søk i prosedyrer og maler",
    help_en="search procedures and templates",
)
def sop(context: Context, rest: str) -> Reply:
    # The whole message: "SOP for monitoring" asks for SOPs, the word itself is a cue.
    return answer(context, context.message.text, kinds=("document",))


def free_text(context: Context, text: str) -> Reply:
    return answer(context, text)


router.fallback = free_text
