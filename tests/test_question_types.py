"""Question types: each one's reading, checking, display and input hint; the registry; and a type
defined here, reusing a hint, that works in the terminal and in a Slack modal with no surface
change (signed HTTP to the real bolt app, views validated with slack_sdk.models)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from slack_sdk.models.views import View

from bot.clock import FixedClock
from bot.forms import FormDefinitionError, Question, display, parse_answer, parse_form
from bot.interactions import DateEntry, FreeText, NumberEntry, Pick, Problem, YesNo
from bot.question_types import (
    AnswerContext,
    Asked,
    QuestionType,
    register,
    type_names,
    unregister,
)
from commands.status_campaigns import NewCampaign
from commands.status_delivery import launch_campaign
from integrations.console.render import render_reply
from storage.forms import StatusCampaign, submission
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import serve_slack
from tests.support.slack_signing import (
    block_actions_payload,
    input_value,
    view_submission_payload,
)
from tests.support.status import (
    BOT_TOKEN,
    SIGNING_SECRET,
    console_person,
    give_slack_ids,
    make_status_bot,
    oslo,
    say,
    wait_for,
)

TODAY = date(2026, 3, 2)


def _question(**raw: Any) -> Question:
    form = parse_form({"id": "f", "title": "F", "questions": [{"id": "q", "text": "Q?", **raw}]})
    return form.questions[0]


def _read(question: Question, raw: Any, language: str = "nb") -> tuple[Any, str | None]:
    return parse_answer(question, raw, language, TODAY)


def test_text_types_keep_the_text_and_refuse_what_is_too_long() -> None:
    short = _question(type="short_text", validation={"max_length": 5})
    assert _read(short, "  Hei  ") == ("Hei", None)
    assert _read(short, "for lang") == (None, "Svaret er for langt (maks 5 tegn).")
    assert _read(short, "too long", "en")[1] == "The answer is too long (at most 5 characters)."
    assert short.kind.hint(short, "nb") == FreeText(max_length=5)
    long = _question(type="long_text")
    assert _read(long, "x" * 3000)[0] == "x" * 3000
    assert _read(long, "x" * 3001)[1] == "Svaret er for langt (maks 3000 tegn)."
    assert long.kind.hint(long, "en") == FreeText(multiline=True)
    assert display(long, "a\nb", "nb") == "a\nb"


def test_numbers_read_as_written_in_norway_and_keep_their_bounds() -> None:
    meetings = _question(type="number", validation={"min": 0, "integer": True})
    assert _read(meetings, "12") == (12, None)
    assert _read(meetings, "1 200") == (1200, None)
    not_a_number = "«mange» er ikke et tall. Svar med sifre, f.eks. 3 eller 2,5."
    assert _read(meetings, "mange")[1] == not_a_number
    assert _read(meetings, "-1")[1] == "Tallet kan ikke være negativt."
    assert _read(meetings, "2,5", "en")[1] == "Please answer with a whole number."
    share = _question(type="number", validation={"min": 1, "max": 10})
    assert _read(share, "2,5") == (2.5, None)
    assert _read(share, "0,5")[1] == "Tallet må være minst 1."
    assert _read(share, "11", "en")[1] == "The number can be at most 10."
    assert share.kind.hint(share, "nb") == NumberEntry()
    assert share.kind.initial(share, 2.5) == "2.5"


def test_dates_are_stored_as_iso_and_shown_as_in_norway() -> None:
    when = _question(type="date")
    assert _read(when, "12. mars") == ("2026-03-12", None)
    assert display(when, "2026-03-12", "en") == "12.03.2026"
    impossible = _read(when, "31.02.2026")[1] or ""
    assert impossible.startswith("«31.02.2026» er ingen dato som finnes.")
    assert when.kind.hint(when, "en") == DateEntry(placeholder="e.g. 12 March")


def test_choices_by_number_value_label_or_unique_start() -> None:
    options = [{"value": "plan", "label": {"nb": "Planlegging", "en": "Planning"}}, "Drift"]
    phase = _question(type="single_choice", options=options)
    assert [_read(phase, said)[0] for said in ("1", "plan", "planning", "Plan", "dr")] == [
        "plan",
        "plan",
        "plan",
        "plan",
        "Drift",
    ]
    assert _read(phase, "x", "en")[1] == "“x” is not one of the choices: 1. Planning, 2. Drift."
    assert display(phase, "plan", "nb") == "Planlegging"
    assert phase.kind.hint(phase, "en") == Pick(
        (("Planning", "plan"), ("Drift", "Drift")), placeholder="Choose"
    )
    several = _question(type="multiple_choice", options=["a", "b", "c"])
    assert _read(several, "c og 1") == (["a", "c"], None)
    assert _read(several, ["b", "a", "b"]) == (["a", "b"], None)
    assert _read(several, "a, x")[1] == "«x» er ikke et av valgene: 1. a, 2. b, 3. c."
    assert display(several, ["a", "c"], "nb") == "a, c"
    assert several.kind.hint(several, "nb") == Pick((("a", "a"), ("b", "b"), ("c", "c")), True)
    assert several.kind.initial(several, ["a"]) == ["a"]


def test_yes_no_reads_words_and_numbers_and_stores_a_boolean() -> None:
    answer = _question(type="yes_no")
    assert [_read(answer, said)[0] for said in ("ja", "Yes.", "1", "nei", "2", "false")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert (_read(answer, "kanskje")[1] or "").startswith("«kanskje» er verken ja eller nei.")
    assert display(answer, True, "en") == "Yes" and display(answer, False, "nb") == "Nei"
    assert answer.kind.hint(answer, "nb") == YesNo("Ja", "Nei", "Velg")
    assert answer.kind.initial(answer, False) == "no"


def test_a_problem_names_its_question() -> None:
    meetings = _question(type="number")
    value, problem = meetings.kind.answer(meetings, "", AnswerContext("nb", TODAY))
    assert value is None and problem == Problem(
        "Dette spørsmålet må besvares.", "This question needs an answer.", field="q"
    )
    _value, problem = meetings.kind.answer(meetings, "tre", AnswerContext("en", TODAY))
    assert problem is not None and problem.field == "q" and problem.text("en").startswith("“tre”")


def test_an_unknown_type_fails_at_load_with_the_file_and_question_named() -> None:
    raw = {"id": "f", "title": "F", "questions": [{"id": "q1", "type": "essay", "text": "Q"}]}
    with pytest.raises(FormDefinitionError) as caught:
        parse_form(raw, "my-form.yaml")
    message = str(caught.value)
    assert message.startswith("my-form.yaml: question 'q1' (#1): type 'essay' is not one of ")
    assert all(name in message for name in type_names())


# -- a question type defined here -----------------------------------------------------------------


class Percent(QuestionType):
    """A share in per cent ("45 %"), stored as a whole number; asked like any number."""

    name = "percent_test"

    def parse(self, question: Asked, raw: Any, text: str, context: AnswerContext) -> Any:
        digits = text.replace("%", "").replace("prosent", "").strip()
        if not digits.isdigit():
            return Problem(f"«{text}» er ingen prosent.", f"“{text}” is not a percentage.")
        return int(digits)

    def validate(self, question: Asked, value: Any) -> Problem | None:
        if value > 100:
            return Problem("Høyst 100 %.", "At most 100 %.")
        return None

    def display(self, question: Asked, value: Any, language: str) -> str:
        return f"{value} %"

    def hint(self, question: Asked, language: str) -> NumberEntry:
        return NumberEntry(placeholder="45 %")


FORM = {
    "id": "share_report",
    "title": {"nb": "Andel", "en": "Share"},
    "questions": [
        {"id": "meetings", "type": "number", "text": "Hvor mange møter?",
         "validation": {"min": 0, "integer": True}},
        {"id": "share", "type": "percent_test", "text": "Hvor stor andel er ferdig?"},
        {"id": "note", "type": "short_text", "text": "Merknad", "required": False},
    ],
}


@pytest.fixture
def percent() -> Iterator[None]:
    register(Percent())
    try:
        yield
    finally:
        unregister("percent_test")


def _launch(bot: Any, tmp_path: Path) -> int:
    path = tmp_path / "share.yaml"
    path.write_text(yaml.safe_dump(FORM, allow_unicode=True), encoding="utf-8")
    spec = NewCampaign(name="Andelsrunden", deadline="2026-03-31", groups=["AP8"], form=str(path))
    return launch_campaign(bot.services, spec, created_by="test").id


def test_a_new_type_works_in_the_terminal(percent: None, sqlite_url: str, tmp_path: Path) -> None:
    bot = make_status_bot(sqlite_url, FixedClock(oslo(2026, 3, 2, 10, 0)))
    try:
        campaign_id = _launch(bot, tmp_path)
        cecilie = console_person(bot, "cecilie-moe")
        console = Console(record=True, width=100, color_system=None)

        def answer(text: str) -> str:
            replies = say(bot, cecilie, text)
            for reply in replies:
                console.print(render_reply(reply))
            return console.export_text(clear=True)

        assert "1/3" in answer("status")
        assert "2/3 Hvor stor andel er ferdig?" in answer("4")
        refused = answer("150 %")
        assert "Høyst 100 %." in refused and "2/3" in refused
        assert "ingen prosent" in answer("mye")
        assert "Lagret: 45 %" in answer("45 prosent")
        review = answer("hopp over")
        assert "Alle spørsmål er besvart" in review and "45 %" in review
        assert "Takk!" in answer("send inn")
        with bot.services.db.session() as session:
            done = submission(session, campaign_id, "AP8")
            assert done is not None and done.answers == {"meetings": 4, "share": 45, "note": None}
    finally:
        bot.services.db.dispose()


def test_a_new_type_and_a_bad_number_in_a_slack_modal(
    percent: None, sqlite_url: str, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    bot = make_status_bot(
        sqlite_url,
        FixedClock(oslo(2026, 3, 2, 10, 0)),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.base_url,
    )
    give_slack_ids(bot)
    try:
        campaign_id = _launch(bot, tmp_path)
        with serve_slack(bot, fake_slack) as served:
            click = block_actions_payload("U0CECILIE", "status_modal", f"{campaign_id}:AP8",
                                          channel_id="DU0CECILIE")
            assert served.http.send_interaction(click).status == 200
            opened = wait_for(lambda: fake_slack.calls("views.open"), what="views.open")[0]
            view = opened.params["view"]
            view = json.loads(view) if isinstance(view, str) else view
            View(**view).validate_json()
            inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
            assert list(inputs) == ["q_meetings", "q_share", "q_note"]
            # the new type asks as a number does: the same plain text input, its own example
            assert inputs["q_share"]["type"] == inputs["q_meetings"]["type"] == "plain_text_input"
            assert inputs["q_share"]["placeholder"]["text"] == "45 %"

            def submit(meetings: str, share: str) -> Any:
                values = {
                    "q_meetings": {"answer": input_value(meetings)},
                    "q_share": {"answer": input_value(share)},
                    "q_note": {"answer": input_value("")},
                }
                payload = view_submission_payload(
                    "U0CECILIE", "status_form", values, private_metadata=view["private_metadata"]
                )
                return served.http.send_interaction(payload)

            bad_number = submit("mange", "45").json()
            assert bad_number == {
                "response_action": "errors",
                "errors": {
                    "q_meetings": "«mange» er ikke et tall. Svar med sifre, f.eks. 3 eller 2,5."
                },
            }
            too_much = submit("4", "150 %").json()
            assert too_much["errors"] == {"q_share": "Høyst 100 %."}
            assert submit("4", "45 %").body == ""
            thanks = wait_for(
                lambda: [c for c in fake_slack.calls("chat.postMessage")
                         if str(c.params.get("text", "")).startswith("Takk!")],
                what="the thank-you DM",
            )
            assert thanks
        with bot.services.db.session() as session:
            done = submission(session, campaign_id, "AP8")
            assert done is not None and done.answers["share"] == 45
            assert session.get(StatusCampaign, campaign_id) is not None
    finally:
        bot.services.db.dispose()


def test_a_campaign_error_lands_under_its_own_field(
    sqlite_url: str, fake_slack: FakeSlackAPI
) -> None:
    """A name mentioning "group" that is taken: the error is the name's, not the groups'."""
    bot = make_status_bot(
        sqlite_url,
        FixedClock(oslo(2026, 3, 2, 10, 0)),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.base_url,
    )
    try:
        with serve_slack(bot, fake_slack) as served:

            def create(name: str, opens: str = "") -> Any:
                values = {
                    "name": {"value": input_value(name)},
                    "deadline": {"value": input_value("2026-03-31", "datepicker")},
                    "opens": {"value": input_value(opens)},
                    "groups": {"value": input_value(["AP8"], "multi_static_select")},
                    "form": {"value": {"type": "static_select", "selected_option": None}},
                }
                payload = view_submission_payload("U0ADMIN", "status_campaign_new", values)
                return served.http.send_interaction(payload)

            assert create("Working group round").body == ""
            taken = create("Working group round").json()
            assert taken["response_action"] == "errors" and list(taken["errors"]) == ["name"]
            assert "already exists" in taken["errors"]["name"]
            when = create("Another round", opens="soon").json()
            assert list(when["errors"]) == ["opens"]
            assert re.search(r"neither 'now' nor an ISO time", when["errors"]["opens"])
    finally:
        bot.services.db.dispose()
