"""Slack listeners for status forms: start buttons, choice buttons, and the two modals.

Each listener is a thin translator in bolt's style: it reads the payload, makes one call into the
status feature (`commands.status`), and turns the result into Block Kit (`render`, `modal`). The
feature decides everything else — who may, what is asked, what is wrong with an answer.

Modals need the trigger id within 3 s, so `views.open` is called in the listener right after
`ack()`, with only a quick database read in between. A `view_submission` is validated inside the
ack (problems go back under their fields with `response_action: errors`); slow follow-ups (the
confirmation DM, delivering queued prompts) run in the runtime's pool afterwards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import BoltContext

from bot.replies import Person, Reply
from commands import status as status_feature
from commands.status_messages import (
    ANSWER_ACTION,
    FORM_CALLBACK,
    MODAL_ACTION,
    NEW_CAMPAIGN_CALLBACK,
    START_ACTION,
    SUBMIT_ACTION,
)
from integrations.slack.modal import errors_response, render_modal, submitted_values
from integrations.slack.surface import SlackRuntime, payload_user, runtime_of
from storage.outbox import deliver_due

log = logging.getLogger(__name__)

FORM_PREFIX = "q_"  # block ids of the form modal's questions: q_<question id>
FORM_ACTION = "answer"  # the action id of each question's element
CHOOSE_ACTION = re.compile(r"^status_choose:\d+$")
_ANSWER = re.compile(rf"^{ANSWER_ACTION}:\d+$")
_NEW = re.compile(r"^\s*status\s+(new|ny)\b", re.IGNORECASE)


def register(runtime: SlackRuntime) -> None:
    """Hook the listeners below into the runtime's bolt app."""
    app = runtime.app
    runtime.command_hooks.append(partial(open_campaign_modal, runtime))
    app.action(START_ACTION)(start_filling)
    app.action(CHOOSE_ACTION)(start_filling)
    app.action(MODAL_ACTION)(open_form_modal)
    app.action(_ANSWER)(answer_button)
    app.action(SUBMIT_ACTION)(submit_button)
    app.view(FORM_CALLBACK)(submit_form_modal)
    app.view(NEW_CAMPAIGN_CALLBACK)(submit_campaign_modal)


# -- helpers: where answers go, and the bits of a payload every listener reads --------------------


def _language(runtime: SlackRuntime) -> str:
    return str(runtime.bot.services.settings.language)


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id")


def _deliver(
    runtime: SlackRuntime, user_id: str, channel: str | None, replies: list[Reply]
) -> None:
    """Answer in the DM the click came from, else open one."""
    for reply in replies:
        if channel and channel.startswith("D"):
            runtime.post(channel, reply)
        else:
            runtime.dm(user_id, reply)


def _answer_click(
    runtime: SlackRuntime, body: dict[str, Any], feature_call: Callable[[Person], list[Reply]]
) -> None:
    """After the ack: the feature's replies to the person who clicked, where they clicked."""
    user_id = payload_user(body)
    runtime.submit(
        lambda: _deliver(runtime, user_id, _channel(body), feature_call(runtime.person(user_id)))
    )


def _campaign_and_group(action: dict[str, Any]) -> tuple[int | None, str]:
    campaign, _, group = str(action.get("value", "")).partition(":")
    return (int(campaign) if campaign.isdigit() else None), group


# -- slash command ---------------------------------------------------------------------------------


def open_campaign_modal(
    runtime: SlackRuntime, body: dict[str, Any], person: Person, ack: Callable[..., Any]
) -> bool:
    """`/norcrin status new`: the new-round modal in the ack path (a refusal as the ack text)."""
    if not _NEW.match(body.get("text") or ""):
        return False
    modal = status_feature.campaign_modal_for(runtime.bot.services, person, _language(runtime))
    if isinstance(modal, Reply):
        ack(text=modal.text)
        return True
    ack()
    runtime.client.views_open(trigger_id=body["trigger_id"], view=render_modal(modal))
    return True


# -- buttons ---------------------------------------------------------------------------------------


def start_filling(
    ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """Start or resume the filling a button names ("campaign:group") in the user's DM."""
    ack()
    runtime = runtime_of(context)
    campaign, group = _campaign_and_group(action)
    _answer_click(runtime, body, lambda person: status_feature.start_for_group(
        runtime.bot.services, person, group, _language(runtime), campaign
    ))


def open_form_modal(
    ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """"Open form": the whole form in a modal, or a DM saying why not."""
    ack()
    runtime = runtime_of(context)
    user_id = payload_user(body)
    campaign, group = _campaign_and_group(action)
    person = runtime.person(user_id)
    modal = status_feature.modal_for(
        runtime.bot.services, person, campaign or 0, group, _language(runtime)
    )
    if isinstance(modal, Reply):
        runtime.submit(lambda: _deliver(runtime, user_id, None, [modal]))
        return
    view = render_modal(modal, prefix=FORM_PREFIX, action_id=FORM_ACTION)
    runtime.client.views_open(trigger_id=body["trigger_id"], view=view)


def answer_button(
    ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """A choice button under a question: value "filling|question|option"."""
    ack()
    runtime = runtime_of(context)
    filling, question, value = [*str(action.get("value", "")).split("|", 2), "", ""][:3]
    filling_id = int(filling) if filling.isdigit() else 0
    _answer_click(runtime, body, lambda person: status_feature.apply_choice(
        runtime.bot.services, person, filling_id, question, value
    ))


def submit_button(
    ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any], context: BoltContext
) -> None:
    """"Submit" under the review: the same as typing `send inn` in that filling."""
    ack()
    runtime = runtime_of(context)
    filling = str(action.get("value", ""))
    filling_id = int(filling) if filling.isdigit() else None
    _answer_click(runtime, body, lambda person: status_feature.apply_text(
        runtime.bot.services, person, "submit", filling_id=filling_id
    ) or [])


# -- modal submissions -----------------------------------------------------------------------------


def submit_form_modal(
    ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """The whole form: problems under their questions, or saved and confirmed by DM."""
    runtime = runtime_of(context)
    user_id = payload_user(body)
    errors, replies = status_feature.submit_modal(
        runtime.bot.services,
        runtime.person(user_id),
        str(view.get("private_metadata") or ""),
        submitted_values(view, prefix=FORM_PREFIX),
        _language(runtime),
    )
    if errors:
        ack(**errors_response(errors, prefix=FORM_PREFIX))
        return
    ack()
    runtime.submit(lambda: _deliver(runtime, user_id, None, replies))


def submit_campaign_modal(
    ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """A new status round: problems under their fields, or created, confirmed and prompts sent."""
    runtime = runtime_of(context)
    services = runtime.bot.services
    user_id = payload_user(body)
    result = status_feature.create_from_modal(
        services, runtime.person(user_id), submitted_values(view), _language(runtime)
    )
    if not isinstance(result, Reply):
        ack(**errors_response(result))
        return
    ack()

    def work() -> None:
        runtime.dm(user_id, result)
        deliver_due(services)

    runtime.submit(work)
