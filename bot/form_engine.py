"""The conversation over a form as pure transitions: (definition, state, message) → step.

No I/O and no clock of its own: the caller loads the persisted state, calls `step`, saves the new
state and only then sends anything, so a crash between two messages loses nothing. The state is
the answers so far plus the id of the current question (an id, not an index, so a running filling
is not misaligned when a condition changes which questions apply). `current = None` means every
question is answered and the respondent is asked to submit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from bot.forms import FormDefinition, Question, parse_answer
from bot.i18n import t
from bot.interactions import Field

Event = Literal[
    "ask",  # ask the current question (after an answer, back, edit, skip)
    "invalid",  # the answer did not validate: ask again with `error`
    "show",  # show the answers so far
    "review",  # everything answered: show a summary and ask to submit
    "submit",  # submit these answers
    "cancel",  # the respondent gave up
    "refused",  # a command that cannot apply here (`error` says why)
]

_COMMANDS = {
    "back": ("back", "tilbake", "forrige", "previous"),
    "skip": ("skip", "hopp over", "hopp", "pass"),
    "show": ("show", "vis", "oversikt", "summary", "answers", "svar så langt"),
    "cancel": ("cancel", "avbryt", "stopp", "stop"),
    "submit": ("submit", "send inn", "send", "lever", "done", "ferdig"),
    "help": ("help", "hjelp", "?"),
}
_EDIT = re.compile(r"^(?:edit|endre|rediger|change)\s+(?:nr\.?\s*|no\.?\s*|#)?(\d{1,3})$")
_CONFIRM = {"yes", "ja", "y", "j", "ok"}


@dataclass(frozen=True)
class FillState:
    answers: dict[str, Any] = field(default_factory=dict)
    current: str | None = None


@dataclass(frozen=True)
class Step:
    state: FillState
    event: Event
    error: str | None = None
    recorded: str | None = None  # the question this message answered (to echo the parsed value)


# -- messages meant for the bot, not the form ---------------------------------------------------

QUESTION_WORDS = frozenset(
    [
        "hvem",
        "hva",
        "hvor",
        "hvordan",
        "når",
        "hvilken",
        "hvilke",
        "hvilket",
        "who",
        "what",
        "where",
        "how",
        "when",
        "which",
    ]
)
_FORCED = re.compile(r"^\s*(?:svar|answer)\s*:\s*", re.IGNORECASE)
_AGENDA_ACTIONS = frozenset(
    [
        "list",
        "liste",
        "show",
        "vis",
        "propose",
        "foreslå",
        "forslag",
        "proposals",
        "forslagene",
        "accept",
        "godta",
        "decline",
        "avslå",
        "move",
        "edit",
        "remove",
        "flytt",
        "endre",
        "fjern",
    ]
)
_GROUP_CODE = re.compile(r"^[a-zæøå0-9-]{1,12}$")
_CONTACT_WORD = re.compile(r"^[a-zæøå0-9.'-]+$")


def forced_answer(text: str) -> str | None:
    """The answer in `svar: …` / `answer: …` (recorded as is), or None without that prefix."""
    match = _FORCED.match(text)
    return text[match.end() :].strip() if match else None


def aside_of(text: str) -> Literal["question", "command"] | None:
    """Whether a message typed while a form is open is plainly meant for the bot, not the form.

    A question starts with a question word and ends with "?"; a command is one of the bot's
    look-ups written as a whole command (`help`, `sop TEXT`, `wp CODE`, `contact ORG`,
    `agenda [ACTION …]`). Anything else — "Status er at vi har hatt tre møter" — is an answer.
    """
    if "\n" in text.strip() or forced_answer(text) is not None:
        return None
    words = text.strip().lower().split()
    if not words:
        return None
    head = words[0].strip(",:;")
    rest = words[1:]
    if head in QUESTION_WORDS and text.rstrip().endswith("?"):
        return "question"
    if head in ("help", "hjelp") and not rest:
        return "command"
    if head == "sop" and 1 <= len(rest) <= 4 and not text.rstrip().endswith("."):
        return "command"  # "sop for SUSAR"; "SOP 1.4 er revidert og publisert." is an answer
    if head in ("wp", "ap") and len(rest) == 1 and _GROUP_CODE.match(rest[0]):
        return "command"
    if head in ("contact", "kontakt") and 1 <= len(rest) <= 3:
        return "command" if all(_CONTACT_WORD.match(w) for w in rest) else None
    if head in ("agenda", "dagsorden") and (
        not rest or rest[0] in _AGENDA_ACTIONS or rest[0].isdigit()
    ):
        return "command"
    return None


def command_of(text: str) -> tuple[str | None, int | None]:
    """The form command a message is (with the number for `edit N`), or (None, None)."""
    words = " ".join(text.strip().lower().split()).rstrip(".!")
    for name, aliases in _COMMANDS.items():
        if words in aliases:
            return name, None
    match = _EDIT.match(words)
    if match:
        return "edit", int(match.group(1))
    return None, None


def next_question(form: FormDefinition, answers: dict[str, Any]) -> str | None:
    """The first applicable question without an answer (None when all are answered)."""
    for question in form.applicable(answers):
        if question.id not in answers:
            return question.id
    return None


def start(form: FormDefinition, answers: dict[str, Any] | None = None) -> FillState:
    """A new filling, or a fresh pass over earlier answers (editing a submission)."""
    kept = dict(answers or {})
    return FillState(kept, next_question(form, kept))


def final_answers(form: FormDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers that count: applicable questions only, in form order, skipped ones as None."""
    return {q.id: answers.get(q.id) for q in form.applicable(answers)}


def missing_required(form: FormDefinition, answers: dict[str, Any]) -> list[Question]:
    return [q for q in form.applicable(answers) if q.required and answers.get(q.id) is None]



def step(
    form: FormDefinition,
    state: FillState,
    text: str,
    language: str,
    today: date,
    window: tuple[date, date] | None = None,
) -> Step:
    """Apply one message to a filling (`svar: …` records the rest, even a command word)."""
    forced = forced_answer(text)
    if forced is not None:
        text = forced
    command, number = command_of(text) if forced is None else (None, None)
    applicable = form.applicable(state.answers)
    ids = [q.id for q in applicable]
    current = state.current if state.current in ids else next_question(form, state.answers)
    state = replace(state, current=current)

    if command == "cancel":
        return Step(state, "cancel")
    if command == "show":
        return Step(state, "show")
    if command == "help":
        return Step(state, "ask")
    if command == "back":
        position = ids.index(current) if current is not None else len(ids)
        if position == 0:
            return Step(
                state,
                "refused",
                t(language, "Dette er første spørsmål.", "This is the first question."),
            )
        return Step(replace(state, current=ids[position - 1]), "ask")
    if command == "edit":
        assert number is not None
        if not 1 <= number <= len(ids):
            return Step(
                state,
                "refused",
                t(
                    language,
                    f"Det finnes ikke noe spørsmål {number}; velg 1–{len(ids)}.",
                    f"There is no question {number}; choose 1–{len(ids)}.",
                ),
            )
        return Step(replace(state, current=ids[number - 1]), "ask")
    if command == "skip":
        question = form.question(current) if current else None
        if question is None:
            return Step(state, "review")
        if question.required:
            return Step(
                state,
                "refused",
                t(
                    language,
                    "Dette spørsmålet må besvares og kan ikke hoppes over.",
                    "This question needs an answer and cannot be skipped.",
                ),
            )
        answers = {**state.answers, question.id: None}
        return _advance(form, answers, question.id)
    if command == "submit" or (current is None and text.strip().lower() in _CONFIRM):
        missing = missing_required(form, state.answers)
        if missing:
            names = ", ".join(f"{ids.index(q.id) + 1}. {q.label.get(language)}" for q in missing)
            return Step(
                replace(state, current=missing[0].id),
                "refused",
                t(language, f"Ikke besvart ennå: {names}.", f"Not answered yet: {names}."),
            )
        return Step(replace(state, answers=final_answers(form, state.answers)), "submit")
    if current is None:
        return Step(state, "review")

    question = form.question(current)
    assert question is not None
    value, error = parse_answer(question, text, language, today, window)
    if error is not None:
        return Step(state, "invalid", error)
    return _advance(form, {**state.answers, question.id: value}, question.id)


def _advance(form: FormDefinition, answers: dict[str, Any], recorded: str | None = None) -> Step:
    upcoming = next_question(form, answers)
    state = FillState(answers, upcoming)
    return Step(state, "ask" if upcoming is not None else "review", recorded=recorded)


def answer_choice(
    form: FormDefinition,
    state: FillState,
    question_id: str,
    value: str,
    language: str,
    today: date,
    window: tuple[date, date] | None = None,
) -> Step:
    """A button press: answers `question_id` only if it is still the current question."""
    if state.current != question_id:
        return Step(
            state,
            "refused",
            t(
                language,
                "Det spørsmålet er allerede besvart; her er det du står på nå.",
                "That question is already answered; here is where you are now.",
            ),
        )
    question = form.question(question_id)
    assert question is not None
    parsed, error = parse_answer(question, value, language, today, window)
    if error is not None:
        return Step(state, "invalid", error)
    return _advance(form, {**state.answers, question_id: parsed}, question_id)


def validate_all(
    form: FormDefinition,
    raw: dict[str, Any],
    language: str,
    today: date,
    window: tuple[date, date] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers from a whole form at once (a modal): (answers, errors by question id).

    Conditions are applied to the submitted values, so a follow-up left empty only counts as
    missing when its condition holds.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in form.questions:
        if question.when is not None and not question.when.holds(answers):
            continue
        given = raw.get(question.id)
        empty = given is None or (isinstance(given, str | list) and not given)
        if empty or (isinstance(given, str) and not given.strip()):
            if question.required:
                errors[question.id] = t(language, "Må fylles ut.", "Required.")
            else:
                answers[question.id] = None
            continue
        value, error = parse_answer(question, given, language, today, window)
        if error is not None:
            errors[question.id] = error
        else:
            answers[question.id] = value
    return final_answers(form, answers), errors


def form_fields(
    form: FormDefinition, answers: dict[str, Any], language: str
) -> tuple[Field, ...]:
    """Every question as a field of a whole-form view, prefilled with `answers`.

    A conditional question is optional in the view (its condition is checked on submission, see
    `validate_all`) and says when it applies.
    """
    fields = []
    for question in form.questions:
        hint = question.help.get(language) if question.help else None
        if question.when is not None:
            target = form.question(question.when.question)
            named = target.label.get(language) if target else question.when.question
            condition = t(language, "Fylles ut bare når", "Only when") + f" «{named}»"
            hint = f"{condition}. {hint or ''}".strip()
        fields.append(
            Field(
                id=question.id,
                label=question.text.get(language),
                input=question.kind.hint(question, language),
                optional=not question.required or question.when is not None,
                initial=question.kind.initial(question, answers.get(question.id)),
                hint=hint,
            )
        )
    return tuple(fields)


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What an edit changed, question by question, for the submission's history."""
    keys = list(dict.fromkeys([*old, *new]))
    return {k: {"from": old.get(k), "to": new.get(k)} for k in keys if old.get(k) != new.get(k)}
