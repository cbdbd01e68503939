"""Teach-back, the members' side: 👍/👎 on answers, passing questions on, taught answers first.

`after_answer` is the one hook `commands.ask` calls: it puts a taught answer first when an admin
has answered the same wording before, logs the question (never who asked), opens a triage item
for a declined question, and adds the feedback or pass-on buttons. A declined question is an open
triage item at once (the secretariat sees it in `triage list`); it is *posted* to
`SECRETARIAT_CHANNEL` only when the asker accepts the offer ("send videre" / "pass it on"), and so
is a 👎'd answer. The secretariat's side (answering, taught answers, retention) is
`commands.teachback_admin`. Nothing here sends; callers deliver the returned outbox keys.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from bot import destinations
from bot.core import Services
from bot.i18n import t
from bot.replies import Actions, Button, Heading, Note, Person, Reply, Result, Section, Table
from bot.router import Context, Router
from commands import cards
from commands.answer_policy import group_result, person_result
from storage import directory
from storage import questions_log as store
from storage.outbox import deliver_due, enqueue

UP_ACTION = "teachback_up"
DOWN_ACTION = "teachback_down"
PASS_ACTION = "teachback_pass"
ANSWER_ACTION = "teachback_answer"  # opens the answer modal (Slack)
GUESS_ACTION = "teachback_guess"  # answer with one of the bot's guesses: "teachback_guess:N"
DISMISS_ACTION = "teachback_dismiss"
BUTTON_SURFACES = ("slack", "teams")  # surfaces that show the buttons: no "type 👍" hint
# Surfaces where nobody can answer back: `norcrin-bot ask` prints one reply and exits.
ONE_SHOT_SURFACES = frozenset({"cli"})

UP_WORDS = frozenset({"👍", "bra", "good", "+1", ":+1:", ":thumbsup:"})
DOWN_WORDS = frozenset({"👎", "dårlig", "darlig", "bad", "-1", ":-1:", ":thumbsdown:"})
PASS_WORDS = frozenset(
    {"send videre", "send det videre", "videresend", "pass it on", "pass on", "send it on"}
)
ANSWER_INTENTS = frozenset({"person", "group", "document"})
MAX_TEXT = 1000
MAX_GUESSES = 3
MAX_REMEMBERED = 10_000

router = Router()


# -- who asked, and what they saw last (for typed 👍/👎 and "send videre") ------------------------


def asker_name(person: Person) -> str:
    return person.name or person.user_id


class _LastAnswers:
    """The last logged answer per conversation partner, bounded; in memory on purpose (it only
    serves typed follow-ups within a session, and keeps who-asked-what out of the database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

    def put(self, person: Person, **state: Any) -> None:
        key = (person.platform, person.user_id)
        with self._lock:
            self._items[key] = state
            self._items.move_to_end(key)
            while len(self._items) > MAX_REMEMBERED:
                self._items.popitem(last=False)

    def get(self, person: Person) -> dict[str, Any] | None:
        with self._lock:
            return self._items.get((person.platform, person.user_id))


# Per-bot caches, keyed by the bot's services (identity-hashed; gone with the bot).
_LAST: weakref.WeakKeyDictionary[Services, _LastAnswers] = weakref.WeakKeyDictionary()
_KEYS: weakref.WeakKeyDictionary[Services, _TaughtKeys] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _last(services: Services) -> _LastAnswers:
    with _CACHE_LOCK:
        return _LAST.setdefault(services, _LastAnswers())


class _TaughtKeys:
    """The set of taught keys, re-read at most every few seconds, so the common question (one
    nobody has taught) costs a set look-up, not a query. Writes here refresh it at once; another
    process sees a new taught answer within `TTL` seconds."""

    TTL = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    def contains(self, session: Session, key: str) -> bool:
        with self._lock:
            if time.monotonic() - self._read_at > self.TTL:
                self._keys = store.active_keys(session)
                self._read_at = time.monotonic()
            return key in self._keys

    def invalidate(self) -> None:
        with self._lock:
            self._read_at = float("-inf")


def taught_keys(services: Services) -> _TaughtKeys:
    with _CACHE_LOCK:
        return _KEYS.setdefault(services, _TaughtKeys())


tr = t  # the catalogue's helper under the name teach-back modules import


def say(language: str, nb: str, en: str, *extra: Any, intent: str = "teachback") -> Reply:
    text = tr(language, nb, en)
    return Reply(text=text, parts=(Section(text), *extra), language=language, intent=intent)


# -- the hook commands.ask calls -------------------------------------------------------------------


def after_answer(context: Context, text: str, reply: Reply) -> Reply:
    """A taught answer first if there is one; log the question; add the teach-back buttons."""
    services = context.services
    sender = context.message.sender
    now = services.clock.now()
    key = store.question_key(text)
    with services.db.shared_session() as session:  # reads, then the log: one unit per message
        known = taught_keys(services).contains(session, key)
        taught = store.taught_for(session, text, key) if known else None
        taught_reply = _taught_reply(context, session, taught, reply) if taught else None
        reply = taught_reply or reply
        outcome = (
            "taught" if taught_reply
            else "declined" if reply.intent == "none"
            else "answered" if reply.intent in ANSWER_INTENTS
            else "other"  # help, greetings: neither an answer nor a miss
        )
        guesses = [
            {"kind": r.kind, "id": r.id, "label": r.label} for r in reply.results if r.score > 0
        ][:MAX_GUESSES]  # a declined question's guesses are searched only if it is passed on
        entry = store.log_question(
            session, text=text, language=reply.language, surface=context.message.surface,
            intent=reply.intent, outcome=outcome, guesses=guesses, now=now, key=key,
        )
        item_id = None
        if outcome == "declined":
            item = store.open_item(
                session, log=entry, reason="declined", asker=asker_name(sender),
                asker_destination=sender.destination, now=now,
            )
            item_id = item.id
        log_id = entry.id
    _last(services).put(sender, log=log_id, item=item_id, down=False)
    if context.message.surface in ONE_SHOT_SURFACES:
        return reply  # logged, but a one-shot `ask` has no next message to rate or pass it on
    typed = context.message.surface not in BUTTON_SURFACES
    language = reply.language
    if item_id is not None:
        return replace(reply, parts=(*reply.parts, *_pass_parts(language, f"t:{item_id}", typed)))
    if reply.intent in ANSWER_INTENTS or outcome == "taught":
        return replace(reply, parts=(*reply.parts, *_feedback_parts(language, log_id, typed)))
    return reply


def _feedback_parts(language: str, log_id: int, typed: bool) -> tuple[Any, ...]:
    hint = tr(language, " (skriv 👍/👎 eller bra/dårlig)", " (type 👍/👎 or good/bad)")
    return (
        Note(tr(language, "Nyttig?", "Helpful?") + (hint if typed else "")),
        Actions((
            Button("👍", action=UP_ACTION, value=str(log_id)),
            Button("👎", action=DOWN_ACTION, value=str(log_id)),
        )),
    )


def _pass_parts(language: str, value: str, typed: bool) -> tuple[Any, ...]:
    label = tr(language, "Send videre til sekretariatet", "Pass it on to the secretariat")
    parts: tuple[Any, ...] = (Actions((Button(label, action=PASS_ACTION, value=value,
                                              style="primary"),)),)
    if typed:
        parts = (Note(tr(language, "Skriv «send videre» for å sende spørsmålet til sekretariatet.",
                         "Type 'pass it on' to send the question to the secretariat.")), *parts)
    return parts


def search_guesses(
    session: Session, services: Services, text: str, language: str
) -> list[dict[str, str]]:
    """The nearest documents, groups and people for a question the bot declined."""
    index = services.search
    query = index.query_words(session, text)
    found = []
    for hit in index.search(session, query, limit=MAX_GUESSES) if query else []:
        label = label_for(session, hit.kind, hit.ref_id, language)
        if label:
            found.append({"kind": hit.kind, "id": hit.ref_id, "label": label})
    return found


def label_for(session: Session, kind: str, ref: str, language: str) -> str | None:
    if kind == "document":
        doc = directory.document(session, ref)
        return doc.title(language) if doc else None
    if kind == "group":
        group = directory.group(session, ref)
        return group.title(language) if group else None
    person = directory.person(session, ref)
    return person.name if person else None


# -- taught answers as replies ---------------------------------------------------------------------


def inert(text: str) -> str:
    """A member's words for a plain-text field that chat platforms parse (Slack's `text`):
    angle brackets become look-alikes, so no `<!channel>`, mention or link survives."""
    return text.replace("<", "‹").replace(">", "›")


def target_reply(
    session: Session, language: str, kind: str, ref: str | None, text: str | None
) -> tuple[list[Any], Result | None, str, str] | None:
    """(parts, result, plain text, intent) for a taught target; None if it no longer exists."""
    if kind == "document" and ref:
        doc = directory.document(session, ref)
        if doc is None:
            return None
        line = f"{doc.id} — {doc.title(language)}" + (f"\n{doc.url}" if doc.url else "")
        return ([cards.document_card(doc, language)],
                cards.document_result(doc, language, 1.0), line, "document")
    if kind == "group" and ref:
        group = directory.group(session, ref)
        if group is None:
            return None
        group_card = cards.group_card(group, session, language)
        return ([group_card], group_result(group, language, 1.0),
                f"{group_card.title}: {group_card.purpose or ''}".strip(), "group")
    if kind == "person" and ref:
        person = directory.person(session, ref)
        if person is None:
            return None
        card = cards.person_card(person, language)
        return ([card], person_result(person, 1.0), cards.card_text(card, language),
                "person")
    if kind == "text" and text:
        return [Section(text)], None, text, "help"
    return None


def taught_mark(language: str, taught: store.TaughtAnswer, tz: Any) -> str:
    day = taught.taught_at.astimezone(tz).date().isoformat()
    return tr(language, f"Svar lært av {taught.taught_by}, {day}.",
              f"Answer taught by {taught.taught_by} on {day}.")


def _taught_reply(
    context: Context, session: Session, taught: store.TaughtAnswer, regular: Reply
) -> Reply | None:
    language = regular.language
    target = target_reply(session, language, taught.kind, taught.ref, taught.text)
    if target is None:
        return None
    parts, result, line, intent = target
    mark = taught_mark(language, taught, context.services.settings.timezone)
    results: list[Result] = [result] if result else []
    if regular.intent != "none":
        results += [r for r in regular.results if result is None or (r.kind, r.id) !=
                    (result.kind, result.id)]
    return Reply(text=f"{line}\n{mark}", parts=(*parts, Note(mark)), language=language,
                 intent=intent, results=tuple(results[:5]))


# -- feedback and passing on -----------------------------------------------------------------------


def feedback(
    services: Services, person: Person, log_id: int, value: str, language: str | None = None
) -> Reply:
    """Record 👍/👎 on a logged answer; a 👎 is offered to the secretariat. Without `language`,
    the reply is in the language of the answer that was rated."""
    with services.db.session() as session:
        try:
            row = store.record_feedback(session, log_id, value, services.clock.now())
            language = language or row.language
        except store.TeachbackError:
            language = language or services.settings.language
            return say(language, "Det svaret er for gammelt til å vurdere.",
                        "That answer is too old to rate.")
    if value == "up":
        return say(language, "Takk for tilbakemeldingen!", "Thanks for the feedback!")
    _last(services).put(person, log=log_id, item=None, down=True)
    typed = person.platform not in BUTTON_SURFACES
    return say(
        language,
        "Beklager at svaret ikke hjalp. Vil du at jeg sender spørsmålet til sekretariatet?",
        "Sorry that did not help. Shall I pass the question on to the secretariat?",
        *_pass_parts(language, f"q:{log_id}", typed),
    )


def secretariat_destination(settings: Any) -> str:
    """`SECRETARIAT_CHANNEL` (a bare Slack id or any outbox destination); else the operator's
    terminal inbox, so nothing passed on is lost before the channel is configured."""
    return destinations.secretariat_destination(settings) or "console:operator"


def secretariat_key(item_id: int) -> str:
    return f"triage:{item_id}:secretariat"


def pass_on(
    services: Services, person: Person, value: str, language: str | None = None
) -> tuple[Reply, list[str]]:
    """Post a triage item ("t:ID", a declined question) or a 👎'd answer ("q:LOG") to the
    secretariat once; returns the reply to the asker and the outbox keys queued."""
    kind, _, raw = value.partition(":")
    now = services.clock.now()
    requested, language = language, language or services.settings.language
    with services.db.session() as session:
        try:
            if kind == "t":
                item = store.get_item(session, raw)
            else:
                entry = session.get(store.QuestionLog, int(raw)) if raw.isdigit() else None
                if entry is None:
                    raise store.TeachbackError("gone")
                item = store.open_item(
                    session, log=entry, reason="thumbs_down", asker=asker_name(person),
                    asker_destination=person.destination, now=now,
                )
        except store.TeachbackError:
            return say(language, "Jeg finner ikke det spørsmålet lenger.",
                        "I can no longer find that question."), []
        language = requested or item.language
        if item.status != "open":
            return say(language, "Sekretariatet har allerede svart på dette.",
                        "The secretariat has already dealt with this."), []
        if item.passed_on_at is not None:
            return say(language, "Det er allerede sendt videre; du får svaret her.",
                        "It has already been passed on; you will get the answer here."), []
        if not item.guesses:
            item.guesses = search_guesses(session, services, item.question, item.language)
        key = secretariat_key(item.id)
        enqueue(session, key=key, destination=secretariat_destination(services.settings),
                reply=secretariat_post(item))
        item.passed_on_at = now
    done = say(language, "Sendt videre til sekretariatet. Du får svaret her når de har svart.",
                "Passed on to the secretariat. You will get the answer here once they reply.")
    return done, [key]


def secretariat_post(item: store.TriageItem) -> Reply:
    """The channel post: the question, the bot's guesses and the admins' buttons."""
    reason = {"declined": "Boten svarte ikke / the bot declined",
              "thumbs_down": "Svaret fikk 👎 / the answer got 👎"}[item.reason]
    parts: list[Any] = [
        Heading(f"Spørsmål til sekretariatet / Question #{item.id}"),
        Table(columns=("Spørsmål / Question",), rows=((item.question,),)),
        Note(reason),
    ]
    guesses = list(item.guesses or [])[:MAX_GUESSES]
    if guesses:
        parts.append(Table(columns=("", "Botens gjetning / Bot's guess", ""),
                           rows=tuple((g["kind"], g["id"], g["label"]) for g in guesses)))
    buttons = [
        Button(f"✓ {g['id']}", action=f"{GUESS_ACTION}:{i}",
               value=f"{item.id}|{g['kind']}|{g['id']}")
        for i, g in enumerate(guesses)
    ]
    buttons += [
        Button("Svar… / Answer…", action=ANSWER_ACTION, value=str(item.id), style="primary"),
        Button("Avvis / Dismiss", action=DISMISS_ACTION, value=str(item.id), style="danger"),
    ]
    parts.append(Actions(tuple(buttons)))
    parts.append(Note(f"`triage answer {item.id} --document CODE | --group ID | --person NAME | "
                      f"--text TEXT` · `triage dismiss {item.id}`"))
    return Reply(text=f"Spørsmål til sekretariatet (#{item.id}): {inert(item.question)}",
                 parts=tuple(parts), language=item.language, intent="triage")


def deliver_now(services: Services, keys: list[str]) -> None:
    """Deliver queued posts at once (the worker retries whatever fails)."""
    if keys:
        deliver_due(services, keys=keys, limit=len(keys))


# -- the terminal and chat commands ----------------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(text.lower().strip(" .!?").split())


@router.intercept
def typed_follow_up(context: Context) -> list[Reply] | None:
    """👍/👎/bra/dårlig/good/bad or "send videre"/"pass it on" right after an answer."""
    word = _normalise(context.message.text)
    if word not in UP_WORDS and word not in DOWN_WORDS and word not in PASS_WORDS:
        return None
    services = context.services
    sender = context.message.sender
    state = _last(services).get(sender)
    if word in PASS_WORDS:
        if state is None or (state.get("item") is None and not state.get("down")):
            return [say(context.language, "Det er ikke noe spørsmål å sende videre nå.",
                         "There is no question to pass on right now.")]
        value = f"t:{state['item']}" if state.get("item") else f"q:{state['log']}"
        reply, keys = pass_on(services, sender, value, context.language)
        deliver_now(services, keys)
        return [reply]
    if state is None:
        return None  # "bra" with nothing to rate is an ordinary message
    value = "up" if word in UP_WORDS else "down"
    return [feedback(services, sender, int(state["log"]), value, context.language)]




