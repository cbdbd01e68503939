"""The surface-neutral interaction vocabulary rendered by Slack (validated with slack_sdk.models)
and the terminal: every input hint, prefills, problems under their fields, confirmations."""

from __future__ import annotations

from rich.console import Console
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.interactions import (
    Confirm,
    DateEntry,
    Field,
    FormModal,
    FreeText,
    Lookup,
    NumberEntry,
    Pick,
    YesNo,
)
from bot.replies import Actions, Button, Reply, reply_from_dict, reply_to_dict
from integrations.console.render import render_modal as console_modal
from integrations.slack.modal import errors_response, render_modal, submitted_values
from integrations.slack.render import render_blocks

MODAL = FormModal(
    callback="demo",
    title="A title far longer than Slack's twenty-four characters",
    submit="Send inn",
    close="Avbryt",
    intro="*Intro* for <@U123> & co",
    fields=(
        Field("name", "Navn", FreeText(placeholder="f.eks. Ola"), initial="Kari"),
        Field("story", "Historie", FreeText(multiline=True, max_length=9000), optional=True),
        Field("phase", "Fase", Pick((("Plan", "plan"), ("Drift", "run")), placeholder="Velg"),
              initial="run"),
        Field("tags", "Merker", Pick(tuple((f"T{i}", f"t{i}") for i in range(3)), multiple=True),
              initial=["t2"]),
        Field("many", "Mange", Pick(tuple((f"M{i}", f"m{i}") for i in range(12)), multiple=True)),
        Field("ok", "Ok?", YesNo("Ja", "Nei", "Velg"), initial="no"),
        Field("count", "Antall", NumberEntry(placeholder="3"), initial="12"),
        Field("when", "Når", DateEntry(placeholder="f.eks. 12. mars")),
        Field("due", "Frist", DateEntry(picker=True), initial="2026-03-12"),
        Field("find", "Finn", Lookup("demo_search", placeholder="Søk …"), optional=True),
    ),
    notes=("Small print.",),
    metadata="42",
)


def test_every_hint_renders_as_a_valid_slack_element() -> None:
    view = render_modal(MODAL, prefix="q_", action_id="answer")
    View(**view).validate_json()
    assert view["title"]["text"].endswith("…") and len(view["title"]["text"]) == 24
    assert view["private_metadata"] == "42"
    intro = view["blocks"][0]
    assert intro["type"] == "section" and "<@U123>" not in intro["text"]["text"]  # no mention
    assert view["blocks"][-1]["type"] == "context"
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    kinds = {block_id: block["element"]["type"] for block_id, block in inputs.items()}
    assert kinds == {
        "q_name": "plain_text_input",
        "q_story": "plain_text_input",
        "q_phase": "static_select",
        "q_tags": "checkboxes",
        "q_many": "multi_static_select",
        "q_ok": "static_select",
        "q_count": "plain_text_input",
        "q_when": "plain_text_input",
        "q_due": "datepicker",
        "q_find": "external_select",
    }
    element = {k: b["element"] for k, b in inputs.items()}
    assert element["q_name"]["initial_value"] == "Kari"
    assert element["q_story"]["multiline"] is True and element["q_story"]["max_length"] == 3000
    assert element["q_phase"]["initial_option"]["value"] == "run"
    assert [o["value"] for o in element["q_tags"]["initial_options"]] == ["t2"]
    assert element["q_ok"]["initial_option"]["text"]["text"] == "Nei"
    assert element["q_due"]["initial_date"] == "2026-03-12"
    assert element["q_find"]["action_id"] == "demo_search"
    assert element["q_name"]["action_id"] == "answer"
    assert inputs["q_story"]["optional"] is True and inputs["q_name"]["optional"] is False


def test_submitted_values_and_problems_go_by_field() -> None:
    state = {
        "q_name": {"answer": {"type": "plain_text_input", "value": "Ola"}},
        "q_tags": {"answer": {"type": "checkboxes", "selected_options": [{"value": "t1"}]}},
        "q_ok": {"answer": {"type": "static_select", "selected_option": {"value": "yes"}}},
        "q_due": {"answer": {"type": "datepicker", "selected_date": "2026-04-01"}},
        "q_find": {"demo_search": {"type": "external_select", "selected_option": None}},
        "other": {"x": {"type": "plain_text_input", "value": "not a field"}},
    }
    values = submitted_values({"state": {"values": state}}, prefix="q_")
    assert values == {"name": "Ola", "tags": ["t1"], "ok": "yes", "due": "2026-04-01",
                      "find": None}
    response = errors_response({"count": "x" * 400}, prefix="q_")
    assert response["response_action"] == "errors"
    assert list(response["errors"]) == ["q_count"] and len(response["errors"]["q_count"]) == 150


def test_the_terminal_shows_a_form_with_its_values_and_problems() -> None:
    console = Console(record=True, width=80, color_system=None)
    console.print(console_modal(MODAL.with_errors({"count": "«mange» er ikke et tall."})))
    shown = console.export_text()
    assert "3. Fase (ett valg)" in shown and "[x] 2. Drift" in shown and "[ ] 1. Plan" in shown
    assert "2. Historie (tekst, flere linjer, valgfritt)" in shown
    assert "[x] 2. Nei" in shown
    assert "⚠ «mange» er ikke et tall." in shown
    assert shown.index("Antall") < shown.index("⚠ «mange»") < shown.index("Når")


def test_a_confirmation_renders_as_a_slack_confirm_dialog_and_survives_the_outbox() -> None:
    ask = Confirm("Sende inn?", "Svarene sendes til sekretariatet.", "Send", "Vent")
    reply = Reply(
        text="x",
        parts=(Actions((Button("Send inn", action="demo_submit", value="1", confirm=ask),)),),
    )
    (block,) = render_blocks(reply)
    Block.parse(block)
    confirm = block["elements"][0]["confirm"]
    assert confirm["title"]["text"] == "Sende inn?" and confirm["deny"]["text"] == "Vent"
    assert reply_from_dict(reply_to_dict(reply)) == reply
