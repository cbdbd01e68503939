"""Interactions described once, for every surface: what a person can fill in, pick or confirm.

The core says *what* is asked — a free text, a choice among options, yes or no, a number, a
date — and each surface decides *how*: Slack renders Block Kit inputs in a modal, the terminal a
numbered list, Teams an Adaptive Card (`Input.Text`, `Input.ChoiceSet`, `Input.Toggle`,
`Input.Number`, `Input.Date`). Nothing here knows a surface; everything is a plain frozen
dataclass, so a new surface renders these and nothing else.

Values travel as surfaces hand them over: text as a string, a choice as its option value (a list
of them for several), yes/no as "yes"/"no", a date picker's pick as ISO `YYYY-MM-DD`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.i18n import t
from bot.replies import Confirm as Confirm  # a Button's confirmation, re-exported (it lived here)

# -- input hints: what kind of answer a field takes -----------------------------------------------


@dataclass(frozen=True)
class FreeText:
    """Free text on one line, or several (`multiline`); `placeholder` shows an example."""

    multiline: bool = False
    placeholder: str | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Pick:
    """One option (or several with `multiple`) among `options`, each (label, value)."""

    options: tuple[tuple[str, str], ...]
    multiple: bool = False
    placeholder: str | None = None


@dataclass(frozen=True)
class YesNo:
    """Yes or no; the values are "yes" and "no", the labels in the respondent's language."""

    yes: str
    no: str
    placeholder: str | None = None

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        return ((self.yes, "yes"), (self.no, "no"))


@dataclass(frozen=True)
class NumberEntry:
    """A number typed as text (so "2,5" reads as in Norway); the core checks the range."""

    placeholder: str | None = None


@dataclass(frozen=True)
class DateEntry:
    """A date: typed in words ("12. mars", "neste fredag") or, with `picker`, from a calendar."""

    placeholder: str | None = None
    picker: bool = False


@dataclass(frozen=True)
class Lookup:
    """One option found by searching as the person types; the surface asks the feature named by
    `source` for options matching at least `min_query` characters (values "kind|ref")."""

    source: str
    min_query: int = 2
    placeholder: str | None = None


InputHint = FreeText | Pick | YesNo | NumberEntry | DateEntry | Lookup


# -- fields, problems and the form modal ----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a value was refused, in both languages, attached to the field it belongs to."""

    nb: str
    en: str
    field: str | None = None

    def text(self, language: str) -> str:
        return t(language, self.nb, self.en)

    def at(self, field: str) -> Problem:
        return replace(self, field=field)


class FieldError(ValueError):
    """A refused input that names its field, so a surface shows it under that field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Field:
    """One input in a form: `initial` prefills it (a text, an option value or a list of them),
    `hint` is the small print under it and `error` a problem from the last submission."""

    id: str
    label: str
    input: InputHint
    optional: bool = False
    initial: str | list[str] | None = None
    hint: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class FormModal:
    """A whole form at once (a Slack modal, a Teams card): `intro` above the fields, `notes`
    below, `callback` names the handler of the submission and `metadata` travels with it."""

    callback: str
    title: str
    submit: str
    close: str
    fields: tuple[Field, ...]
    intro: str | None = None
    notes: tuple[str, ...] = ()
    metadata: str = ""
    language: str = "nb"

    def with_errors(self, errors: dict[str, str]) -> FormModal:
        """The same form with each message (by field id) under its field, for a surface that
        shows a refused form again rather than marking it in place."""
        return replace(
            self, fields=tuple(replace(f, error=errors.get(f.id)) for f in self.fields)
        )
