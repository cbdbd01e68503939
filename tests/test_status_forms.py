"""The form engine without I/O: definitions, validation, dates, conditions and commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.dates import parse_date
from bot.form_engine import FillState, start, step, validate_all
from bot.forms import FormDefinitionError, load_form_file, parse_answer, parse_form
from commands.status_campaigns import resolve_form

TODAY = date(2026, 3, 4)  # a Wednesday


@pytest.fixture(scope="module")
def form():  # type: ignore[no-untyped-def]
    return resolve_form("wp_status")


def run(form, lines: list[str], language: str = "nb", state: FillState | None = None):  # type: ignore[no-untyped-def]
    state = state or start(form)
    result = None
    for line in lines:
        result = step(form, state, line, language, TODAY)
        state = result.state
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12. mars", date(2026, 3, 12)),
        ("12 March 2027", date(2027, 3, 12)),
        ("2026-03-12", date(2026, 3, 12)),
        ("12.03.2026", date(2026, 3, 12)),
        ("next Friday", date(2026, 3, 6)),
        ("neste fredag", date(2026, 3, 6)),
        ("i morgen", date(2026, 3, 5)),
        ("today", TODAY),
        ("31. februar", None),
        ("32. februar", None),
        ("45. mai", None),
        ("99", None),
        ("12.03.26", None),
        ("12", None),
        ("2. desember", date(2026, 12, 2)),  # the next such date, not a far-future year
        ("2. mars", date(2027, 3, 2)),
        ("2026-02-30", None),
        ("mars", None),
        ("snart", None),
    ],
)
def test_dates_in_both_languages(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


def test_the_default_form_is_the_networks_report(form) -> None:  # type: ignore[no-untyped-def]
    assert [q.id for q in form.questions] == [
        "status",
        "focus",
        "meetings",
        "membership_changes",
        "deliverables",
        "deviations",
        "deviations_description",
        "needs",
    ]
    assert form.question("deviations").label.nb == "Avvik jfr. fremdriftsplan"
    assert all(
        q.help
        for q in form.questions
        if q.id != "deviations" and q.type != "yes_no" and q.id != "deviations_description"
    )


def test_a_whole_filling_with_validation_and_condition(form) -> None:  # type: ignore[no-untyped-def]
    result = run(form, ["Bra.", "Kurs."])
    assert result.state.current == "meetings"
    result = step(form, result.state, "mange", "nb", TODAY)
    assert result.event == "invalid" and "tall" in (result.error or "")
    result = step(form, result.state, "-2", "nb", TODAY)
    assert result.event == "invalid" and "negativ" in (result.error or "")
    result = step(form, result.state, "2.5", "nb", TODAY)
    assert result.event == "invalid" and "helt" in (result.error or "")
    result = run(form, ["4", "ingen", "skip", "ja"], state=result.state)
    assert result.state.current == "deviations_description"  # asked only because of "ja"
    result = run(form, ["Forsinket kurs.", "hopp over"], state=result.state)
    assert result.event == "review" and result.state.current is None
    result = step(form, result.state, "send inn", "nb", TODAY)
    assert result.event == "submit"
    assert result.state.answers == {
        "status": "Bra.",
        "focus": "Kurs.",
        "meetings": 4,
        "membership_changes": "ingen",
        "deliverables": None,
        "deviations": True,
        "deviations_description": "Forsinket kurs.",
        "needs": None,
    }


def test_changing_the_condition_drops_the_follow_up(form) -> None:  # type: ignore[no-untyped-def]
    result = run(form, ["a", "b", "1", "c", "d", "yes", "details", "skip"], language="en")
    assert result.event == "review"
    result = run(form, ["edit 6", "no"], language="en", state=result.state)
    assert result.event == "review"
    result = step(form, result.state, "submit", "en", TODAY)
    assert result.event == "submit"
    assert "deviations_description" not in result.state.answers
    assert result.state.answers["deviations"] is False


@pytest.mark.parametrize("language", ["nb", "en"])
def test_commands_in_either_language(form, language: str) -> None:  # type: ignore[no-untyped-def]
    words = {
        "nb": {
            "back": "tilbake",
            "skip": "hopp over",
            "show": "vis",
            "edit": "endre 1",
            "cancel": "avbryt",
            "submit": "send inn",
        },
        "en": {
            "back": "back",
            "skip": "skip",
            "show": "show",
            "edit": "edit 1",
            "cancel": "cancel",
            "submit": "submit",
        },
    }[language]
    state = run(form, ["first", "second"], language).state
    assert step(form, state, words["back"], language, TODAY).state.current == "focus"
    assert step(form, state, words["show"], language, TODAY).event == "show"
    assert step(form, state, words["edit"], language, TODAY).state.current == "status"
    assert step(form, state, words["cancel"], language, TODAY).event == "cancel"
    refused = step(form, state, words["skip"], language, TODAY)  # meetings is required
    assert refused.event == "refused" and refused.state.current == "meetings"
    early = step(form, state, words["submit"], language, TODAY)
    assert early.event == "refused" and early.state.current == "meetings"
    assert ("Møter avholdt" if language == "nb" else "Meetings held") in (early.error or "")
    assert step(form, state, "endre 99", language, TODAY).event == "refused"


def test_modal_answers_validate_all_at_once(form) -> None:  # type: ignore[no-untyped-def]
    raw = {
        "status": "ok",
        "focus": "x",
        "meetings": "tre",
        "membership_changes": "ingen",
        "deliverables": "",
        "deviations": "yes",
        "deviations_description": "",
        "needs": None,
    }
    answers, errors = validate_all(form, raw, "nb", TODAY)
    assert set(errors) == {"meetings", "deviations_description"}
    raw.update(meetings="3", deviations="no")
    answers, errors = validate_all(form, raw, "nb", TODAY)
    assert errors == {}
    assert answers["meetings"] == 3 and answers["deviations"] is False
    assert "deviations_description" not in answers


def test_every_question_type() -> None:
    form = parse_form(
        {
            "id": "all_types",
            "title": "All",
            "questions": [
                {
                    "id": "short",
                    "type": "short_text",
                    "text": "Short",
                    "validation": {"max_length": 5},
                },
                {
                    "id": "one",
                    "type": "single_choice",
                    "text": {"nb": "Én", "en": "One"},
                    "options": [{"value": "a", "nb": "Alfa", "en": "Alpha"}, "b"],
                },
                {
                    "id": "many",
                    "type": "multiple_choice",
                    "text": "Many",
                    "options": ["x", "y", "z"],
                },
                {"id": "when", "type": "date", "text": "When"},
                {"id": "n", "type": "number", "text": "N", "validation": {"min": 1, "max": 10}},
            ],
        }
    )
    state = start(form)
    assert step(form, state, "too long", "en", TODAY).event == "invalid"
    result = run(form, ["short", "alpha", "3, 1", "neste fredag", "11"], language="en")
    assert result.event == "invalid" and "at most 10" in (result.error or "")
    result = step(form, result.state, "10", "en", TODAY)
    assert result.state.answers == {
        "short": "short",
        "one": "a",
        "many": ["x", "z"],
        "when": "2026-03-06",
        "n": 10,
    }
    assert step(form, start(form), "short", "nb", TODAY).state.current == "one"
    bad_choice = run(form, ["ok", "gamma"])
    assert bad_choice.event == "invalid" and "Alfa" in (bad_choice.error or "")


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {"id": "f", "title": "T", "questions": [{"id": "q1", "type": "essay", "text": "x"}]},
            r"question 'q1' \(#1\): type 'essay' is not one of",
        ),
        (
            {"id": "f", "title": "T", "questions": [{"id": "q1", "type": "short_text"}]},
            r"question 'q1' \(#1\): 'text' is missing",
        ),
        (
            {
                "id": "f",
                "title": "T",
                "questions": [
                    {"id": "q1", "type": "short_text", "text": "a"},
                    {"id": "q1", "type": "short_text", "text": "b"},
                ],
            },
            r"question 'q1' \(#2\): the id is used twice",
        ),
        (
            {
                "id": "f",
                "title": "T",
                "questions": [{"id": "pick", "type": "single_choice", "text": "a"}],
            },
            r"question 'pick' \(#1\): a single_choice question needs a list of 'options'",
        ),
        (
            {
                "id": "f",
                "title": "T",
                "questions": [
                    {
                        "id": "why",
                        "type": "long_text",
                        "text": "a",
                        "when": {"question": "later", "equals": True},
                    },
                    {"id": "later", "type": "yes_no", "text": "b"},
                ],
            },
            r"question 'why' \(#1\): 'when' refers to 'later', which is not an earlier question",
        ),
        (
            {
                "id": "f",
                "title": "T",
                "questions": [
                    {"id": "dev", "type": "yes_no", "text": "a"},
                    {
                        "id": "why",
                        "type": "long_text",
                        "text": "b",
                        "when": {"question": "dev", "equals": "maybe"},
                    },
                ],
            },
            r"question 'why' \(#2\): 'when' value 'maybe' is not yes or no",
        ),
        (
            {
                "id": "f",
                "title": "T",
                "questions": [
                    {"id": "n", "type": "number", "text": "a", "validation": {"minimum": 0}}
                ],
            },
            r"question 'n' \(#1\): unknown validation minimum",
        ),
        (
            {
                "id": "f",
                "title": "T",
                "questions": [{"id": "n", "type": "short_text", "text": "a", "requird": True}],
            },
            r"question 'n' \(#1\): unknown key\(s\) requird",
        ),
        (
            {"id": "f", "title": "T", "questions": [{"id": "Bad Id", "type": "short_text"}]},
            r"question #1: 'id' 'Bad Id' must be",
        ),
        ({"id": "f", "title": "T", "questions": []}, r"'questions' must be a non-empty list"),
    ],
)
def test_malformed_definitions_name_file_and_question(
    tmp_path: Path, definition: dict, message: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(definition), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=message) as info:
        load_form_file(path)
    assert str(info.value).startswith(str(path))


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("id: f\nquestions:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=r"syntax.yaml: line \d+ is not valid YAML"):
        load_form_file(path)


def _choice_form(options: object) -> dict:
    question = {"id": "phase", "type": "single_choice", "text": "Fase", "options": options}
    return {"id": "f", "title": "T", "questions": [question]}


def test_options_as_plain_strings_or_value_with_bilingual_label() -> None:
    form = parse_form(
        _choice_form(["Plan", {"value": "run", "label": {"nb": "Gjennomføring", "en": "Running"}}])
    )
    question = form.questions[0]
    assert question.choices("nb") == [("Plan", "Plan"), ("Gjennomføring", "run")]
    assert question.choices("en") == [("Plan", "Plan"), ("Running", "run")]
    assert parse_answer(question, "gjennomføring", "nb", TODAY) == ("run", None)
    assert parse_answer(question, "Running", "en", TODAY) == ("run", None)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([{"label": {"nb": "A", "en": "A"}}], r"question 'phase' \(#1\): option 1 needs a 'value'"),
        ([{"value": "a", "lable": "A"}], r"option 1 has unknown key\(s\) lable"),
        ([{"value": "a", "label": {"nb": "A", "de": "A"}}], r"unknown language\(s\) \['de'\]"),
        ([{"value": "a", "label": "A", "nb": "A"}], r"option 1: give the texts in 'label'"),
        (["a", 3], r"option 2 must be a text or a mapping"),
        (["a", "a"], r"option 'a' appears twice"),
        ("a, b", r"needs a list of 'options'"),
    ],
)
def test_malformed_options_are_refused_naming_file_and_question(
    tmp_path: Path, options: object, message: str
) -> None:
    path = tmp_path / "choices.yaml"
    path.write_text(yaml.safe_dump(_choice_form(options)), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=message) as info:
        load_form_file(path)
    assert str(info.value).startswith(f"{path}: question 'phase'")


def test_unknown_keys_anywhere_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "when.yaml"
    form = {
        "id": "f",
        "title": "T",
        "questions": [
            {"id": "a", "type": "yes_no", "text": "A"},
            {
                "id": "b",
                "type": "short_text",
                "text": "B",
                "when": {"question": "a", "equal": True},
            },
        ],
    }
    path.write_text(yaml.safe_dump(form), encoding="utf-8")
    with pytest.raises(
        FormDefinitionError, match=r"question 'b' \(#2\): unknown key\(s\) in 'when': equal"
    ):
        load_form_file(path)
    form["colour"] = "blue"
    path.write_text(yaml.safe_dump(form), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=r"when.yaml: unknown key\(s\) colour"):
        load_form_file(path)


def test_the_readme_example_form_is_valid() -> None:
    import re
    import textwrap

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"  ```yaml\n(.*?)\n  ```", readme, re.S)
    assert block is not None
    form = parse_form(yaml.safe_load(textwrap.dedent(block.group(1))), "README")
    phase = form.question("phase")
    assert phase is not None and phase.choices("en") == [("Pilot", "Pilot"), ("Running", "running")]


@pytest.mark.parametrize(
    ("text", "aside"),
    [
        ("hvem leder AP8?", "question"),
        ("Which SOP covers consent?", "question"),
        ("Hvem som helst kan delta", None),
        ("Møtene går bra?", None),
        ("hvem leder AP8?\nog AP9?", None),
        ("help", "command"),
        ("hjelp meg med svaret", None),
        ("sop for SUSAR", "command"),
        ("SOP 1.4 er revidert og publisert.", None),
        ("SOP-revisjonen er forsinket", None),
        ("wp 8", "command"),
        ("WP 8 er ferdig", None),
        ("contact UNN", "command"),
        ("Kontakt med sykehusene har vært god i hele perioden", None),
        ("agenda", "command"),
        ("agenda propose 3 Budsjett | 10", "command"),
        ("Agenda for neste møte er klar", None),
        ("svar: hvem leder AP8?", None),
        ("Status er at vi har hatt tre møter", None),
    ],
)
def test_what_counts_as_meant_for_the_bot_mid_form(text: str, aside: str | None) -> None:
    from bot.form_engine import aside_of

    assert aside_of(text) == aside
