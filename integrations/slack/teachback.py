"""Slack listeners for teach-back: 👍/👎, "pass it on", and the secretariat's Answer buttons.

Thin translators over `commands.teachback` and `commands.teachback_form`, which decide who may
and what is said. Feedback and pass-on answer the clicker ephemerally (response_url). "Answer…"
opens the answer form as a modal in the ack path (the trigger id lives 3 s); its search field is
an `external_select` served by `pick_options` below. The asker's DM and the edit of the channel
post go through the outbox, delivered at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.replies import Reply
from commands import teachback, teachback_form
from integrations.slack.modal import (
    errors_response,
    options_response,
    render_modal,
    submitted_values,
)
from integrations.slack.render import message_payload
from integrations.slack.surface import SlackRuntime, payload_user, runtime_of

log = logging.getLogger(__name__)

ANSWER_CALLBACK = teachback_form.ANSWER_CALLBACK
PICK_ACTION = teachback_form.PICK_SOURCE
_GUESS = re.compile(rf"^{teachback.GUESS_ACTION}:\d+$")


def register(runtime: SlackRuntime) -> None:
    """Hook the listeners below into the runtime's bolt app."""
    app = runtime.app
    app.action(teachback.UP_ACTION)(thumbs_up)
    app.action(teachback.DOWN_ACTION)(thumbs_down)
    app.action(teachback.PASS_ACTION)(pass_on)
    app.action(_GUESS)(guess_button)
    app.action(teachback.DISMISS_ACTION)(dismiss_button)
    app.action(teachback.ANSWER_ACTION)(open_answer_modal)
    app.options(PICK_ACTION)(pick_options)
    app.view(ANSWER_CALLBACK)(submit_answer)


def _tell(respond: Callable[..., Any], reply: Reply) -> None:
    respond(response_type="ephemeral", replace_original=False, **message_payload(reply))


def _value(action: dict[str, Any]) -> str:
    return str(action.get("value") or "")


# -- everyone's buttons ------------------------------------------------------------------------


def _feedback(vote: str, ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
              respond: Callable[..., Any], context: BoltContext) -> None:
    ack()
    runtime = runtime_of(context)
    raw = _value(action)

    def work() -> None:
        person = runtime.person(payload_user(body))
        log_id = int(raw) if raw.isdigit() else 0
        _tell(respond, teachback.feedback(runtime.bot.services, person, log_id, vote))

    runtime.submit(work)


def thumbs_up(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
              respond: Callable[..., Any], context: BoltContext) -> None:
    _feedback("up", ack, body, action, respond, context)


def thumbs_down(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                respond: Callable[..., Any], context: BoltContext) -> None:
    _feedback("down", ack, body, action, respond, context)


def pass_on(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
            respond: Callable[..., Any], context: BoltContext) -> None:
    """"Pass it on": the question goes to the secretariat's channel (once)."""
    ack()
    runtime = runtime_of(context)
    services = runtime.bot.services

    def work() -> None:
        person = runtime.person(payload_user(body))
        reply, keys = teachback.pass_on(services, person, _value(action))
        _tell(respond, reply)
        teachback.deliver_now(services, keys)

    runtime.submit(work)


# -- the secretariat's buttons and form ----------------------------------------------------------


def _admin_click(body: dict[str, Any], respond: Callable[..., Any], context: BoltContext,
                 act: Callable[..., tuple[Reply, list[str]]], value: str) -> None:
    runtime = runtime_of(context)
    services = runtime.bot.services

    def work() -> None:
        reply, keys = act(services, runtime.person(payload_user(body)), value)
        _tell(respond, reply)
        teachback.deliver_now(services, keys)

    runtime.submit(work)


def guess_button(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                 respond: Callable[..., Any], context: BoltContext) -> None:
    """One of the bot's guesses: value "item|kind|ref"."""
    ack()
    _admin_click(body, respond, context, teachback_form.guess, _value(action))


def dismiss_button(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                   respond: Callable[..., Any], context: BoltContext) -> None:
    ack()
    _admin_click(body, respond, context, teachback_form.dismiss, _value(action))


def open_answer_modal(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                      respond: Callable[..., Any], context: BoltContext) -> None:
    """"Answer…": the answer form as a modal, or (ephemerally) why not."""
    ack()
    runtime = runtime_of(context)
    person = runtime.person(payload_user(body))
    modal = teachback_form.modal_for(runtime.bot.services, person, _value(action))
    if isinstance(modal, Reply):
        runtime.submit(lambda: _tell(respond, modal))
        return
    runtime.client.views_open(trigger_id=body["trigger_id"], view=render_modal(modal))


def pick_options(ack: Callable[..., Any], body: dict[str, Any], context: BoltContext) -> None:
    """The answer form's search, as the admin types (nothing for anyone else)."""
    runtime = runtime_of(context)
    person = runtime.person(payload_user(body))
    query = str(body.get("value") or "")
    ack(**options_response(teachback_form.pick_options(runtime.bot.services, person, query)))


def submit_answer(ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any],
                  context: BoltContext) -> None:
    """The answer form: problems under their fields, or answered, delivered and confirmed."""
    runtime = runtime_of(context)
    services = runtime.bot.services
    user_id = payload_user(body)
    errors, reply, keys = teachback_form.submit_answer(
        services, runtime.person(user_id), str(view.get("private_metadata") or ""),
        submitted_values(view),
    )
    if errors or reply is None:
        ack(**errors_response(errors))
        return
    ack()

    def work() -> None:
        teachback.deliver_now(services, keys)
        runtime.dm(user_id, reply)

    runtime.submit(work)
