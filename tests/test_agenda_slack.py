"""`/norcrin agenda propose` over Slack's real request shapes: the modal opens within the ack,
the submission becomes a proposal, the owner's button accepts it and the proposer gets a DM."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from integrations.runtime.worker import Worker
from storage import agenda as store
from tests.support.slack_signing import (
    block_actions_payload,
    command_body,
    input_value,
    interaction_body,
    view_submission_payload,
)


def test_propose_by_modal_then_owner_accepts_by_button(slack: Any) -> None:
    services = slack.bot.services
    with services.db.session() as session:
        meeting = store.create_meeting(
            session, series="AP8", title="AP8-møte", owner="U0OWNER",
            start=datetime(2030, 3, 4, 9, 0, tzinfo=ZoneInfo("Europe/Oslo")))
        meeting_id = meeting.id
    result = slack.http.post(command_body(text="agenda propose", user_id="U0OLA"))
    assert result.status == 200
    (opened,) = slack.fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "agenda_propose"
    options = view["blocks"][0]["element"]["options"]
    assert options[0]["value"] == str(meeting_id)

    values = {
        "meeting": {"meeting": input_value(str(meeting_id), "static_select")},
        "title": {"value": input_value("Felles eCRF-maler")},
        "minutes": {"value": input_value("15")},
        "presenter": {"value": input_value("Ola")},
        "note": {"value": input_value("")},
    }
    submitted = slack.http.post(interaction_body(
        view_submission_payload("U0OLA", "agenda_propose", values)))
    assert submitted.status == 200
    worker = Worker(services)
    slack.fake.wait_for("chat.postMessage", count=1)  # the thank-you DM to the proposer
    worker.deliver()
    posted = slack.fake.calls("chat.postMessage")
    owner_dm = [c for c in posted if c.params["channel"] == "DU0OWNER"]
    assert owner_dm and "Felles eCRF-maler" in owner_dm[0].params["text"]
    buttons = [b for block in owner_dm[0].params["blocks"] if block["type"] == "actions"
               for b in block["elements"]]
    accept = next(b for b in buttons if b["value"].startswith("accept"))
    click = interaction_body(block_actions_payload(
        "U0OWNER", accept["action_id"], accept["value"], channel_id="DU0OWNER",
        response_url=slack.fake.response_url("decide")))
    clicked = slack.http.post(click)
    assert clicked.status == 200
    (answer,) = slack.fake.wait_for("response_url")
    assert "3-2030" in answer.params["text"]
    # the same signed click replayed: acked, and answered only the first time
    assert slack.http.post(click, retry_num=1).status == 200
    slack.runtime.pool.shutdown(wait=True)
    assert len(slack.fake.calls("response_url")) == 1
    worker.deliver()
    told = [c for c in slack.fake.calls("chat.postMessage") if c.params["channel"] == "DU0OLA"]
    assert any("3-2030" in c.params["text"] for c in told)
