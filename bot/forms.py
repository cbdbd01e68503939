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

from bot.i18n import Text
from bot.question_types import (
    AnswerContext,
    Option,
    QuestionType,
    Unreadable,
    question_type,
    type_names,
)

__all__ = ["Option", "Text"]  # re-exported: definitions are built of them
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


class FormDefinitionError(ValueError):
    """A form definition is malformed; the message names the file and the question."""


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
    def kind(self) -> QuestionType:
        """The type object that reads, checks, shows and asks this question's answers."""
        found = question_type(self.type)
        if found is None:
            raise FormDefinitionError(f"question {self.id!r}: type {self.type!r} is not registered")
        return found

    def choices(self, language: str) -> list[tuple[str, str]]:
        """(label, value) pairs of a question answered by picking (yes/no as Ja/Nei)."""
        return self.kind.choices(self, language)


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
    try:
        return target.kind.condition_value(target, raw)
    except Unreadable as exc:
        raise FormDefinitionError(f"{where}: {exc}") from None


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
    kind = question_type(qtype) if isinstance(qtype, str) else None
    if kind is None:
        raise FormDefinitionError(
            f"{where}: type {qtype!r} is not one of {', '.join(type_names())}"
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
    if kind.needs_options:
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
    ) and not kind.numeric:
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
        type=kind.name,
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
    import yaml  # lazy: heavy optional dependency (only when a form file is read)

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


def parse_answer(
    question: Question,
    raw: Any,
    language: str,
    today: date,
    window: tuple[date, date] | None = None,
) -> tuple[Any, str | None]:
    """(value, None) for a valid answer, or (None, error message in `language`).

    `window` is the range of dates that make sense for the form's campaign (see `read_date`).
    The question's type does the reading (`bot.question_types`).
    """
    value, problem = question.kind.answer(question, raw, AnswerContext(language, today, window))
    return value, (problem.text(language) if problem is not None else None)


def display(question: Question | None, value: Any, language: str) -> str:
    """An answer as people read it (option labels, Ja/Nei, dates as written in Norway)."""
    if value is None:
        return "—"
    if question is None:
        return str(value)
    return question.kind.display(question, value, language)
