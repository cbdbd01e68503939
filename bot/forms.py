"""Forms declared as data: questions, their types, bilingual texts, validation and conditions.

A definition is plain YAML (packaged in `commands/forms/`, or an admin's own file). It is checked
completely when loaded, so a typo fails at `status new` with the file and question named, not in
the middle of a leader's answer. Answers are JSON values: text and dates (ISO) as strings, numbers,
booleans for yes/no, an option value or a list of them for choices, and None for a skipped question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.dates import DateProblem, read_date

QUESTION_TYPES = (
    "short_text",
    "long_text",
    "single_choice",
    "multiple_choice",
    "yes_no",
    "number",
    "date",
)
_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_FORM_KEYS = {"id", "version", "title", "description", "questions"}
_QUESTION_KEYS = {
    "id",
    "type",
    "text",
    "label",
    "help",
    "required",
    "options",
    "validation",
    "when",
}
_VALIDATION_KEYS = {"min", "max", "integer", "max_length"}
_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
_YES = {"yes", "y", "ja", "j", "true"}
_NO = {"no", "n", "nei", "false"}


class FormDefinitionError(ValueError):
    """A form definition is malformed; the message names the file and the question."""


@dataclass(frozen=True)
class Text:
    nb: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.nb


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True)
class Condition:
    """Ask a question only when an earlier answer is one of `values`."""

    question: str
    values: tuple[Any, ...]

    def holds(self, answers: dict[str, Any]) -> bool:
        answer = answers.get(self.question)
        if isinstance(answer, list):
            return any(a in self.values for a in answer)
        return answer in self.values


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Text
    label: Text
    help: Text | None = None
    required: bool = True
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    max_length: int | None = None
    when: Condition | None = None

    @property
    def is_choice(self) -> bool:
        return self.type in ("single_choice", "multiple_choice", "yes_no")

    def choices(self, language: str) -> list[tuple[str, str]]:
        """(label, value) pairs; yes/no as Ja/Nei."""
        if self.type == "yes_no":
            return (
                [("Yes", "yes"), ("No", "no")]
                if language == "en"
                else [("Ja", "yes"), ("Nei", "no")]
            )
        return [(o.label.get(language), o.value) for o in self.options]


@dataclass(frozen=True)
class FormDefinition:
    id: str
    version: int
    title: Text
    questions: tuple[Question, ...]
    source: str = "<form>"

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def applicable(self, answers: dict[str, Any]) -> list[Question]:
        """The questions to ask given these answers (conditions evaluated in order)."""
        return [q for q in self.questions if q.when is None or q.when.holds(answers)]


# -- loading ----------------------------------------------------------------------------------


def _text(value: Any, where: str, field: str, *, required: bool = True) -> Text | None:
    if value is None:
        if required:
            raise FormDefinitionError(f"{where}: '{field}' is missing (give nb and en texts)")
        return None
    if isinstance(value, str) and value.strip():
        return Text(value.strip(), value.strip())
    if isinstance(value, dict):
        nb, en = value.get("nb"), value.get("en")
        unknown = set(value) - {"nb", "en"}
        if unknown:
            raise FormDefinitionError(
                f"{where}: '{field}' has unknown language(s) {sorted(unknown)}"
            )
        if not (isinstance(nb, str) and nb.strip()) and not (isinstance(en, str) and en.strip()):
            raise FormDefinitionError(f"{where}: '{field}' needs an 'nb' or 'en' text")
        nb_text = (nb or en or "").strip()
        return Text(nb_text, (en or nb_text).strip())
    raise FormDefinitionError(f"{where}: '{field}' must be a text or a mapping with nb/en")


def _number(value: Any, where: str, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormDefinitionError(f"{where}: validation '{field}' must be a number, not {value!r}")
    return float(value)


def _condition_value(raw: Any, target: Question, where: str) -> Any:
    if target.type == "yes_no":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _YES | _NO:
            return word in _YES
        raise FormDefinitionError(f"{where}: 'when' value {raw!r} is not yes or no")
    if target.type in ("single_choice", "multiple_choice"):
        values = {o.value for o in target.options}
        if str(raw) not in values:
            raise FormDefinitionError(
                f"{where}: 'when' value {raw!r} is not an option of {target.id!r} "
                f"(options: {', '.join(sorted(values))})"
            )
        return str(raw)
    return raw


_OPTION_KEYS = {"value", "label", "nb", "en"}


def _option(item: Any, where: str) -> tuple[str, Text]:
    """A plain string, or `{value, label: {nb, en}}` (the older `{value, nb, en}` still reads)."""
    if isinstance(item, str) and item.strip():
        return item.strip(), Text(item.strip(), item.strip())
    if not isinstance(item, dict):
        raise FormDefinitionError(
            f"{where} must be a text or a mapping with 'value' and 'label: {{nb, en}}'"
        )
    unknown = set(item) - _OPTION_KEYS
    if unknown:
        raise FormDefinitionError(
            f"{where} has unknown key(s) {', '.join(sorted(map(str, unknown)))} "
            "(allowed: value, label)"
        )
    value = item.get("value")
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise FormDefinitionError(f"{where} needs a 'value' (a text)")
    value = str(value).strip()
    if "label" in item and ("nb" in item or "en" in item):
        raise FormDefinitionError(f"{where}: give the texts in 'label' or as nb/en, not both")
    raw_label = item["label"] if "label" in item else (
        {k: item[k] for k in ("nb", "en") if k in item} or value
    )
    label = _text(raw_label, where, "label")
    assert label is not None
    return value, label


def _question(raw: Any, index: int, source: str, earlier: dict[str, Question]) -> Question:
    where = f"{source}: question #{index}"
    if not isinstance(raw, dict):
        raise FormDefinitionError(f"{where}: must be a mapping with id, type and text")
    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise FormDefinitionError(
            f"{where}: 'id' {qid!r} must be lower-case letters, digits and _ "
            "(starting with a letter)"
        )
    where = f"{source}: question {qid!r} (#{index})"
    if qid in earlier:
        raise FormDefinitionError(f"{where}: the id is used twice")
    unknown = set(raw) - _QUESTION_KEYS
    if unknown:
        raise FormDefinitionError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(_QUESTION_KEYS))})"
        )
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        raise FormDefinitionError(
            f"{where}: type {qtype!r} is not one of {', '.join(QUESTION_TYPES)}"
        )
    text = _text(raw.get("text"), where, "text")
    assert text is not None
    label = _text(raw.get("label"), where, "label", required=False) or text
    help_text = _text(raw.get("help"), where, "help", required=False)
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise FormDefinitionError(f"{where}: 'required' must be true or false")

    options: list[Option] = []
    raw_options = raw.get("options")
    if qtype in ("single_choice", "multiple_choice"):
        if not isinstance(raw_options, list) or not raw_options:
            raise FormDefinitionError(f"{where}: a {qtype} question needs a list of 'options'")
        for n, item in enumerate(raw_options, 1):
            value, label_text = _option(item, f"{where}: option {n}")
            if any(o.value == value for o in options):
                raise FormDefinitionError(f"{where}: option {value!r} appears twice")
            options.append(Option(value, label_text))
    elif raw_options is not None:
        raise FormDefinitionError(f"{where}: 'options' only apply to choice questions")

    validation = raw.get("validation") or {}
    if not isinstance(validation, dict):
        raise FormDefinitionError(f"{where}: 'validation' must be a mapping")
    unknown = set(validation) - _VALIDATION_KEYS
    if unknown:
        raise FormDefinitionError(
            f"{where}: unknown validation {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(_VALIDATION_KEYS))})"
        )
    minimum = _number(validation.get("min"), where, "min")
    maximum = _number(validation.get("max"), where, "max")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise FormDefinitionError(f"{where}: validation min is greater than max")
    if (
        minimum is not None or maximum is not None or "integer" in validation
    ) and qtype != "number":
        raise FormDefinitionError(f"{where}: min/max/integer only apply to number questions")
    max_length = validation.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise FormDefinitionError(f"{where}: validation max_length must be a positive integer")

    when = None
    raw_when = raw.get("when")
    if raw_when is not None:
        if not isinstance(raw_when, dict) or "question" not in raw_when:
            raise FormDefinitionError(
                f"{where}: 'when' must be a mapping with 'question' and 'equals' (or 'in')"
            )
        unknown = set(raw_when) - {"question", "equals", "in"}
        if unknown:
            raise FormDefinitionError(
                f"{where}: unknown key(s) in 'when': {', '.join(sorted(map(str, unknown)))} "
                "(allowed: question, equals, in)"
            )
        target = earlier.get(str(raw_when["question"]))
        if target is None:
            raise FormDefinitionError(
                f"{where}: 'when' refers to {raw_when['question']!r}, "
                "which is not an earlier question"
            )
        if "equals" in raw_when:
            raw_values = [raw_when["equals"]]
        elif isinstance(raw_when.get("in"), list) and raw_when["in"]:
            raw_values = list(raw_when["in"])
        else:
            raise FormDefinitionError(f"{where}: 'when' needs 'equals' or a non-empty 'in' list")
        when = Condition(target.id, tuple(_condition_value(v, target, where) for v in raw_values))

    return Question(
        id=qid,
        type=qtype,
        text=text,
        label=label,
        help=help_text,
        required=required,
        options=tuple(options),
        minimum=minimum,
        maximum=maximum,
        integer=bool(validation.get("integer", False)),
        max_length=max_length,
        when=when,
    )


def parse_form(data: Any, source: str = "<form>") -> FormDefinition:
    """A checked definition from parsed YAML/JSON; `source` names the file in errors."""
    if not isinstance(data, dict):
        raise FormDefinitionError(
            f"{source}: a form must be a mapping with id, title and questions"
        )
    unknown = set(data) - _FORM_KEYS
    if unknown:
        raise FormDefinitionError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    form_id = data.get("id")
    if not isinstance(form_id, str) or not _ID.match(form_id):
        raise FormDefinitionError(
            f"{source}: form 'id' {form_id!r} must be lower-case letters, digits and _"
        )
    title = _text(data.get("title"), source, "title")
    assert title is not None
    version = data.get("version", 1)
    if not isinstance(version, int):
        raise FormDefinitionError(f"{source}: 'version' must be an integer")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise FormDefinitionError(f"{source}: 'questions' must be a non-empty list")
    questions: dict[str, Question] = {}
    for index, raw in enumerate(raw_questions, 1):
        question = _question(raw, index, source, questions)
        questions[question.id] = question
    return FormDefinition(form_id, version, title, tuple(questions.values()), source)


def load_form_file(path: Path) -> FormDefinition:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormDefinitionError(f"{path}: cannot read the file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise FormDefinitionError(f"{path}:{line} is not valid YAML") from None
    return parse_form(data, str(path))


def load_form(name_or_path: str, packaged: dict[str, Path]) -> FormDefinition:
    """A packaged form by id (`packaged`: id → file), or an admin's own YAML file by path."""
    if name_or_path in packaged:
        return load_form_file(packaged[name_or_path])
    path = Path(name_or_path).expanduser()
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        return load_form_file(path)
    raise FormDefinitionError(
        f"no form {name_or_path!r} (packaged forms: {', '.join(packaged)}; or give a .yaml file)"
    )


# -- definitions as JSON (a campaign keeps its own copy) --------------------------------------


def form_to_data(form: FormDefinition) -> dict[str, Any]:
    """The definition as YAML-shaped data `parse_form` reads back."""

    def text(t: Text) -> dict[str, str]:
        return {"nb": t.nb, "en": t.en}

    questions = []
    for q in form.questions:
        item: dict[str, Any] = {
            "id": q.id,
            "type": q.type,
            "text": text(q.text),
            "label": text(q.label),
            "required": q.required,
        }
        if q.help:
            item["help"] = text(q.help)
        if q.options:
            item["options"] = [{"value": o.value, **text(o.label)} for o in q.options]
        validation: dict[str, Any] = {}
        if q.minimum is not None:
            validation["min"] = q.minimum
        if q.maximum is not None:
            validation["max"] = q.maximum
        if q.integer:
            validation["integer"] = True
        if q.max_length:
            validation["max_length"] = q.max_length
        if validation:
            item["validation"] = validation
        if q.when:
            item["when"] = {"question": q.when.question, "in": list(q.when.values)}
        questions.append(item)
    return {
        "id": form.id,
        "version": form.version,
        "title": text(form.title),
        "questions": questions,
    }


# -- answers ----------------------------------------------------------------------------------


def _match_option(question: Question, word: str, language: str) -> str | None:
    word = word.strip().lower().rstrip(".")
    choices = question.choices(language)
    if word.isdigit() and 1 <= int(word) <= len(choices):
        return choices[int(word) - 1][1]
    if question.type == "yes_no":
        return "yes" if word in _YES else "no" if word in _NO else None
    for option in question.options:
        if word in (option.value.lower(), option.label.nb.lower(), option.label.en.lower()):
            return option.value
    starts = [
        o.value
        for o in question.options
        if o.label.nb.lower().startswith(word) or o.label.en.lower().startswith(word)
    ]
    return starts[0] if len(starts) == 1 and word else None


def parse_answer(
    question: Question,
    raw: Any,
    language: str,
    today: date,
    window: tuple[date, date] | None = None,
) -> tuple[Any, str | None]:
    """(value, None) for a valid answer, or (None, error message in `language`).

    `window` is the range of dates that make sense for the form's campaign (see `read_date`).
    """

    def t(nb: str, en: str) -> str:
        return en if language == "en" else nb

    if isinstance(raw, list):
        text = ", ".join(str(r) for r in raw)
    else:
        text = "" if raw is None else str(raw).strip()
    if not text and not (isinstance(raw, list) and raw):
        return None, t("Dette spørsmålet må besvares.", "This question needs an answer.")

    if question.type in ("short_text", "long_text"):
        limit = question.max_length or (200 if question.type == "short_text" else 3000)
        if len(text) > limit:
            return None, t(
                f"Svaret er for langt (maks {limit} tegn).",
                f"The answer is too long (at most {limit} characters).",
            )
        return text, None
    if question.type == "number":
        digits = text.replace(" ", "").replace("\u00a0", "")
        if not _NUMBER.match(digits):
            return None, t(
                f"«{text}» er ikke et tall. Svar med sifre, f.eks. 3 eller 2,5.",
                f"“{text}” is not a number. Please answer with digits, e.g. 3 or 2.5.",
            )
        number = float(digits.replace(",", "."))
        if question.integer and not number.is_integer():
            return None, t("Svar med et helt tall.", "Please answer with a whole number.")
        if question.minimum is not None and number < question.minimum:
            if question.minimum == 0:
                return None, t("Tallet kan ikke være negativt.", "The number cannot be negative.")
            return None, t(
                f"Tallet må være minst {question.minimum:g}.",
                f"The number must be at least {question.minimum:g}.",
            )
        if question.maximum is not None and number > question.maximum:
            return None, t(
                f"Tallet kan være høyst {question.maximum:g}.",
                f"The number can be at most {question.maximum:g}.",
            )
        return (int(number) if number.is_integer() else number), None
    if question.type == "date":
        parsed = read_date(text, today, window=window)
        if isinstance(parsed, DateProblem):
            return None, date_error(parsed, language, window)
        return parsed.isoformat(), None
    if question.type == "multiple_choice":
        words = raw if isinstance(raw, list) else re.split(r"\s*(?:,|;|\bog\b|\band\b)\s*", text)
        values: list[str] = []
        for word in (w for w in words if str(w).strip()):
            value = _match_option(question, str(word), language)
            if value is None:
                return None, _choice_error(question, str(word), language)
            if value not in values:
                values.append(value)
        order = [o.value for o in question.options]
        return sorted(values, key=order.index), None
    value = _match_option(question, text, language)
    if value is None:
        return None, _choice_error(question, text, language)
    return (value == "yes" if question.type == "yes_no" else value), None


_DATE_EXAMPLE = {
    "nb": "Skriv f.eks. 12. mars, 12.03.2026, 2026-03-12 eller neste fredag.",
    "en": "Try e.g. 12 March, 12.03.2026, 2026-03-12 or next Friday.",
}


def date_error(problem: DateProblem, language: str, window: tuple[date, date] | None) -> str:
    """Why a date was refused, with an example of what is read."""
    example = _DATE_EXAMPLE["en" if language == "en" else "nb"]
    said = problem.text.strip()
    if problem.reason == "impossible":
        return (
            f"“{said}” is not a date that exists. {example}"
            if language == "en"
            else f"«{said}» er ingen dato som finnes. {example}"
        )
    if problem.reason == "two_digit_year":
        return (
            f"Please write the year with four digits (“{said}”). {example}"
            if language == "en"
            else f"Skriv året med fire sifre («{said}»). {example}"
        )
    if problem.reason == "out_of_range" and window is not None:
        span = f"{window[0]:%d.%m.%Y}–{window[1]:%d.%m.%Y}"
        return (
            f"“{said}” is outside this report's period ({span}); please check the year."
            if language == "en"
            else f"«{said}» ligger utenfor perioden for denne rapporten ({span}); sjekk året."
        )
    return (
        f"I could not read “{said}” as a date. {example}"
        if language == "en"
        else f"Jeg kan ikke lese «{said}» som en dato. {example}"
    )


def _choice_error(question: Question, word: str, language: str) -> str:
    if question.type == "yes_no":
        return (
            f"“{word}” is neither yes nor no. Answer yes or no (or 1 = yes, 2 = no)."
            if language == "en"
            else f"«{word}» er verken ja eller nei. Svar ja eller nei (eller 1 = ja, 2 = nei)."
        )
    labels = ", ".join(
        f"{i}. {label}" for i, (label, _v) in enumerate(question.choices(language), 1)
    )
    if language == "en":
        return f"“{word}” is not one of the choices: {labels}."
    return f"«{word}» er ikke et av valgene: {labels}."


def display(question: Question | None, value: Any, language: str) -> str:
    """An answer as people read it (option labels, Ja/Nei, dates as written in Norway)."""
    if value is None:
        return "—"
    if question is None:
        return str(value)
    if question.type == "yes_no":
        return ("Yes" if value else "No") if language == "en" else ("Ja" if value else "Nei")
    if question.type in ("single_choice", "multiple_choice"):
        labels = dict((v, label) for label, v in question.choices(language))
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in items)
    if question.type == "date":
        try:
            return date.fromisoformat(str(value)).strftime("%d.%m.%Y")
        except ValueError:
            return str(value)
    return str(value)
