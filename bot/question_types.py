"""Form question types: one class each, owning how an answer is read, checked, shown and asked.

A type turns what a respondent typed (or picked) into the stored JSON value, refuses what it
cannot read with a `Problem` in nb and en attached to the question, shows a stored value as
people read it ("Lagret: 12.03.2026"), and describes its input as a surface-neutral hint
(`bot.interactions`): surfaces render hints, never types, so a new type that reuses a hint needs
no surface change. Adding a type is one class here (or anywhere) plus `register(...)`; form
definitions name it by `name` in their YAML `type`, and an unknown name fails at load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Protocol

from bot.dates import DateProblem, read_date
from bot.i18n import Text, t, word
from bot.interactions import DateEntry, FreeText, InputHint, NumberEntry, Pick, Problem, YesNo

_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
YES_WORDS = frozenset({"yes", "y", "ja", "j", "true"})
NO_WORDS = frozenset({"no", "n", "nei", "false"})


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


class Asked(Protocol):
    """What a type reads of its question (`bot.forms.Question` has all of it)."""

    @property
    def id(self) -> str: ...
    @property
    def options(self) -> tuple[Option, ...]: ...
    @property
    def minimum(self) -> float | None: ...
    @property
    def maximum(self) -> float | None: ...
    @property
    def integer(self) -> bool: ...
    @property
    def max_length(self) -> int | None: ...


@dataclass(frozen=True)
class AnswerContext:
    """What reading an answer may depend on: the language, today, and the campaign's dates."""

    language: str
    today: date
    window: tuple[date, date] | None = None


class Unreadable(ValueError):
    """A `when` value in a form definition that the target question's type cannot hold."""


class QuestionType:
    """The base: free text. Subclasses override what differs; `name` is the YAML `type`."""

    name: ClassVar[str] = ""
    needs_options: ClassVar[bool] = False  # `options` required (and only allowed) in the YAML
    numeric: ClassVar[bool] = False  # `validation: min/max/integer` allowed

    def answer(
        self, question: Asked, raw: Any, context: AnswerContext
    ) -> tuple[Any, Problem | None]:
        """(value, None), or (None, a problem attached to the question): empty, unreadable or
        out of bounds."""
        if isinstance(raw, list):
            text = ", ".join(str(r) for r in raw)
        else:
            text = "" if raw is None else str(raw).strip()
        if not text and not (isinstance(raw, list) and raw):
            empty = Problem("Dette spørsmålet må besvares.", "This question needs an answer.")
            return None, empty.at(question.id)
        value = self.parse(question, raw, text, context)
        if isinstance(value, Problem):
            return None, value.at(question.id)
        problem = self.validate(question, value)
        if problem is not None:
            return None, problem.at(question.id)
        return value, None

    def parse(self, question: Asked, raw: Any, text: str, context: AnswerContext) -> Any:
        """The value `text` (or the list `raw`) stands for, or a `Problem`."""
        return text

    def validate(self, question: Asked, value: Any) -> Problem | None:
        """A parsed value outside the question's bounds (length, range)."""
        return None

    def display(self, question: Asked, value: Any, language: str) -> str:
        return str(value)

    def hint(self, question: Asked, language: str) -> InputHint:
        return FreeText()

    def initial(self, question: Asked, value: Any) -> str | list[str] | None:
        """A stored value as a field's prefill (the form a surface hands back)."""
        return None if value is None else str(value)

    def choices(self, question: Asked, language: str) -> list[tuple[str, str]]:
        """(label, value) pairs of a type answered by picking; empty for the others."""
        return []

    def condition_value(self, question: Asked, raw: Any) -> Any:
        """A `when` value in the YAML as a stored answer of this type; raises `Unreadable`."""
        return raw


class ShortText(QuestionType):
    name = "short_text"
    default_limit = 200

    def validate(self, question: Asked, value: Any) -> Problem | None:
        limit = question.max_length or self.default_limit
        if len(value) > limit:
            return Problem(
                f"Svaret er for langt (maks {limit} tegn).",
                f"The answer is too long (at most {limit} characters).",
            )
        return None

    def hint(self, question: Asked, language: str) -> InputHint:
        return FreeText(max_length=question.max_length)


class LongText(ShortText):
    name = "long_text"
    default_limit = 3000

    def hint(self, question: Asked, language: str) -> InputHint:
        return FreeText(multiline=True, max_length=question.max_length)


class Number(QuestionType):
    name = "number"
    numeric = True

    def parse(self, question: Asked, raw: Any, text: str, context: AnswerContext) -> Any:
        digits = text.replace(" ", "").replace("\u00a0", "")
        if not _NUMBER.match(digits):
            return Problem(
                f"«{text}» er ikke et tall. Svar med sifre, f.eks. 3 eller 2,5.",
                f"“{text}” is not a number. Please answer with digits, e.g. 3 or 2.5.",
            )
        number = float(digits.replace(",", "."))
        return int(number) if number.is_integer() else number

    def validate(self, question: Asked, value: Any) -> Problem | None:
        if question.integer and not float(value).is_integer():
            return Problem("Svar med et helt tall.", "Please answer with a whole number.")
        if question.minimum is not None and value < question.minimum:
            if question.minimum == 0:
                return Problem("Tallet kan ikke være negativt.", "The number cannot be negative.")
            return Problem(
                f"Tallet må være minst {question.minimum:g}.",
                f"The number must be at least {question.minimum:g}.",
            )
        if question.maximum is not None and value > question.maximum:
            return Problem(
                f"Tallet kan være høyst {question.maximum:g}.",
                f"The number can be at most {question.maximum:g}.",
            )
        return None

    def hint(self, question: Asked, language: str) -> InputHint:
        return NumberEntry()


class Date(QuestionType):
    """Dates in words or digits (`bot.dates.read_date`), stored as ISO, shown as 12.03.2026."""

    name = "date"

    def parse(self, question: Asked, raw: Any, text: str, context: AnswerContext) -> Any:
        parsed = read_date(text, context.today, window=context.window)
        if isinstance(parsed, DateProblem):
            return date_problem(parsed, context.window)
        return parsed.isoformat()

    def display(self, question: Asked, value: Any, language: str) -> str:
        try:
            return date.fromisoformat(str(value)).strftime("%d.%m.%Y")
        except ValueError:
            return str(value)

    def hint(self, question: Asked, language: str) -> InputHint:
        return DateEntry(placeholder=t(language, "f.eks. 12. mars", "e.g. 12 March"))


class SingleChoice(QuestionType):
    """One option, by number, value or label (or the start of a label, when only one fits)."""

    name = "single_choice"
    needs_options = True

    def choices(self, question: Asked, language: str) -> list[tuple[str, str]]:
        return [(o.label.get(language), o.value) for o in question.options]

    def match(self, question: Asked, text: str, language: str) -> str | None:
        said = text.strip().lower().rstrip(".")
        choices = self.choices(question, language)
        if said.isdigit() and 1 <= int(said) <= len(choices):
            return choices[int(said) - 1][1]
        for option in question.options:
            if said in (option.value.lower(), option.label.nb.lower(), option.label.en.lower()):
                return option.value
        starts = [
            o.value
            for o in question.options
            if o.label.nb.lower().startswith(said) or o.label.en.lower().startswith(said)
        ]
        return starts[0] if len(starts) == 1 and said else None

    def not_a_choice(self, question: Asked, said: str) -> Problem:
        def listed(language: str) -> str:
            return ", ".join(
                f"{i}. {label}" for i, (label, _v) in enumerate(self.choices(question, language), 1)
            )

        return Problem(
            f"«{said}» er ikke et av valgene: {listed('nb')}.",
            f"“{said}” is not one of the choices: {listed('en')}.",
        )

    def parse(self, question: Asked, raw: Any, text: str, context: AnswerContext) -> Any:
        value = self.match(question, text, context.language)
        return self.not_a_choice(question, text) if value is None else value

    def display(self, question: Asked, value: Any, language: str) -> str:
        labels = {v: label for label, v in self.choices(question, language)}
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in items)

    def hint(self, question: Asked, language: str) -> InputHint:
        return Pick(tuple(self.choices(question, language)), placeholder=word("choose", language))

    def condition_value(self, question: Asked, raw: Any) -> Any:
        values = {o.value for o in question.options}
        if str(raw) not in values:
            raise Unreadable(
                f"'when' value {raw!r} is not an option of {question.id!r} "
                f"(options: {', '.join(sorted(values))})"
            )
        return str(raw)


class MultipleChoice(SingleChoice):
    """Several options, separated by commas, semicolons, "og" or "and"; stored in form order."""

    name = "multiple_choice"

    def parse(self, question: Asked, raw: Any, text: str, context: AnswerContext) -> Any:
        words: Sequence[Any] = (
            raw if isinstance(raw, list) else re.split(r"\s*(?:,|;|\bog\b|\band\b)\s*", text)
        )
        values: list[str] = []
        for said in (str(w) for w in words if str(w).strip()):
            value = self.match(question, said, context.language)
            if value is None:
                return self.not_a_choice(question, said)
            if value not in values:
                values.append(value)
        order = [o.value for o in question.options]
        return sorted(values, key=order.index)

    def hint(self, question: Asked, language: str) -> InputHint:
        return Pick(tuple(self.choices(question, language)), multiple=True)

    def initial(self, question: Asked, value: Any) -> str | list[str] | None:
        return [str(v) for v in value or []]


class YesNoQuestion(QuestionType):
    """Yes or no (ja/nei, 1/2), stored as a boolean."""

    name = "yes_no"

    def choices(self, question: Asked, language: str) -> list[tuple[str, str]]:
        return [(word("yes", language), "yes"), (word("no", language), "no")]

    def parse(self, question: Asked, raw: Any, text: str, context: AnswerContext) -> Any:
        said = text.strip().lower().rstrip(".")
        if said in ("1", "2"):
            return said == "1"
        if said in YES_WORDS or said in NO_WORDS:
            return said in YES_WORDS
        return Problem(
            f"«{text}» er verken ja eller nei. Svar ja eller nei (eller 1 = ja, 2 = nei).",
            f"“{text}” is neither yes nor no. Answer yes or no (or 1 = yes, 2 = no).",
        )

    def display(self, question: Asked, value: Any, language: str) -> str:
        return word("yes" if value else "no", language)

    def hint(self, question: Asked, language: str) -> InputHint:
        return YesNo(word("yes", language), word("no", language), word("choose", language))

    def initial(self, question: Asked, value: Any) -> str | list[str] | None:
        return None if value is None else ("yes" if value else "no")

    def condition_value(self, question: Asked, raw: Any) -> Any:
        if isinstance(raw, bool):
            return raw
        said = str(raw).strip().lower()
        if said in YES_WORDS or said in NO_WORDS:
            return said in YES_WORDS
        raise Unreadable(f"'when' value {raw!r} is not yes or no")


_DATE_EXAMPLE = Text(
    "Skriv f.eks. 12. mars, 12.03.2026, 2026-03-12 eller neste fredag.",
    "Try e.g. 12 March, 12.03.2026, 2026-03-12 or next Friday.",
)


def date_problem(problem: DateProblem, window: tuple[date, date] | None) -> Problem:
    """Why a date was refused, with an example of what is read."""
    said = problem.text.strip()
    nb_example, en_example = _DATE_EXAMPLE.nb, _DATE_EXAMPLE.en
    if problem.reason == "impossible":
        return Problem(
            f"«{said}» er ingen dato som finnes. {nb_example}",
            f"“{said}” is not a date that exists. {en_example}",
        )
    if problem.reason == "two_digit_year":
        return Problem(
            f"Skriv året med fire sifre («{said}»). {nb_example}",
            f"Please write the year with four digits (“{said}”). {en_example}",
        )
    if problem.reason == "out_of_range" and window is not None:
        span = f"{window[0]:%d.%m.%Y}–{window[1]:%d.%m.%Y}"
        return Problem(
            f"«{said}» ligger utenfor perioden for denne rapporten ({span}); sjekk året.",
            f"“{said}” is outside this report's period ({span}); please check the year.",
        )
    return Problem(
        f"Jeg kan ikke lese «{said}» som en dato. {nb_example}",
        f"I could not read “{said}” as a date. {en_example}",
    )


# -- the registry ---------------------------------------------------------------------------------

_REGISTRY: dict[str, QuestionType] = {}


def register(question_type: QuestionType) -> QuestionType:
    """Make a type available to form definitions under its `name` (a name is taken once)."""
    name = question_type.name
    if not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise ValueError(f"a question type needs a lower-case name, not {name!r}")
    if name in _REGISTRY and type(_REGISTRY[name]) is not type(question_type):
        raise ValueError(f"question type {name!r} is already registered")
    _REGISTRY[name] = question_type
    return question_type


def unregister(name: str) -> None:
    """Forget a type (tests that define their own)."""
    _REGISTRY.pop(name, None)


def question_type(name: str) -> QuestionType | None:
    return _REGISTRY.get(name)


def type_names() -> tuple[str, ...]:
    """The registered names, in registration order (the built-in seven first)."""
    return tuple(_REGISTRY)


for _builtin in (
    ShortText(),
    LongText(),
    SingleChoice(),
    MultipleChoice(),
    YesNoQuestion(),
    Number(),
    Date(),
):
    register(_builtin)
