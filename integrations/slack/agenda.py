"""Slack listeners for agendas: the `/norcrin agenda propose` modal and the owner's buttons.

Thin translators: the modal is the agenda feature's `propose_modal` rendered as a view, checked by
`proposal_problems` inside the ack; the submission and the accept/decline buttons hand their
work to the bot (the same text commands a terminal user types), off the ack path. The modal needs
the trigger id within 3 s, so the command hook opens it in the ack path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import BoltContext

from bot.replies import Message, Person
from bot.router import Context
from commands import agenda
from integrations.slack.modal import errors_response, render_modal, submitted_values
from integrations.slack.render import message_payload
from integrations.slack.surface import SlackRuntime, payload_user, runtime_of

log = logging.getLogger(__name__)

CALLBACK = agenda.PROPOSE_CALLBACK
_DECIDE = re.compile(r"^agenda_decide:\d+$")


def register(runtime: SlackRuntime) -> None:
    """Hook the listeners below into the runtime's bolt app."""
    runtime.command_hooks.append(partial(open_propose_modal, runtime))
    runtime.app.view(CALLBACK)(submit_proposal)
    runtime.app.action(_DECIDE)(decide_button)


def open_propose_modal(
    runtime: SlackRuntime, body: dict[str, Any], person: Person, ack: Callable[..., Any]
) -> bool:
    """`/norcrin agenda propose [MEETING]` with no title: the modal (a title typed in goes to the
    text command instead)."""
    words = (body.get("text") or "").split()
    head = [w.lower() for w in words[:2]]
    bare = len(words) == 2 or (len(words) == 3 and words[2].isdigit())
    if head != ["agenda", "propose"] or not bare:
        return False
    ack()
    preselect = words[2] if len(words) == 3 else None
    modal = agenda.propose_modal(runtime.bot.services, preselect)
    runtime.client.views_open(trigger_id=body.get("trigger_id"), view=render_modal(modal))
    return True


def submit_proposal(
    ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Problems under their fields in the ack; the proposal itself in the pool, thanks by DM."""
    runtime = runtime_of(context)
    values = submitted_values(view)
    problems = agenda.proposal_problems(values)
    if problems:
        ack(**errors_response(problems))
        return
    ack()
    user_id = payload_user(body)

    def work() -> None:
        person = runtime.person(user_id)
        message = Message(text="agenda propose", sender=person, surface="slack")
        language = runtime.bot.services.settings.language
        reply = agenda.propose_from_modal(
            Context(bot=runtime.bot, message=message, language=language), values
        )
        runtime.dm(user_id, reply)

    runtime.submit(work)


def decide_button(
    ack: Callable[..., Any], body: dict[str, Any], respond: Callable[..., Any],
    context: BoltContext,
) -> None:
    """The owner's Accept/Decline: the button's value is the text command (`accept 12`)."""
    ack()
    runtime = runtime_of(context)
    action = (body.get("actions") or [{}])[0]
    user_id = payload_user(body)
    message = Message(text=f"agenda {action.get('value', '')}", sender=runtime.person(user_id),
                      surface="slack", channel=(body.get("channel") or {}).get("id"))
    runtime.answer(message, lambda reply: respond(replace_original=False,
                                                  **message_payload(reply)))
