"""Slack listeners for agendas: the `/norcrin agenda propose` modal and the owner's buttons.

The modal needs the trigger id within 3 s, so the command hook opens it in the ack path; the
submission and the accept/decline buttons hand their work to the bot (the same text commands a
terminal user types), off the ack path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from bot.replies import Message, Person
from bot.router import Context
from commands.agenda import propose
from integrations.slack.render import message_payload
from integrations.slack.surface import SlackRuntime
from storage.agenda import upcoming_meetings

log = logging.getLogger(__name__)

CALLBACK = "agenda_propose"
_DECIDE = re.compile(r"^agenda_decide:\d+$")


def propose_view(runtime: SlackRuntime, preselect: str | None) -> dict[str, Any]:
    services = runtime.bot.services
    tz = services.settings.timezone
    with services.db.session() as session:
        meetings = upcoming_meetings(session, services.clock.now(), limit=100)
        options = [
            {"text": {"type": "plain_text",
                      "text": f"{m.start_at.astimezone(tz):%d.%m} {m.title}"[:75]},
             "value": str(m.id)}
            for m in meetings
        ]
    select: dict[str, Any] = {"type": "static_select", "action_id": "meeting",
                              "options": options or [{"text": {"type": "plain_text",
                                                               "text": "—"}, "value": "0"}]}
    initial = next((o for o in options if o["value"] == preselect), None)
    if initial:
        select["initial_option"] = initial

    def text_input(block: str, label: str, optional: bool = False, multiline: bool = False) -> dict:
        return {"type": "input", "block_id": block, "optional": optional,
                "label": {"type": "plain_text", "text": label},
                "element": {"type": "plain_text_input", "action_id": "value",
                            "multiline": multiline}}

    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": {"type": "plain_text", "text": "Foreslå sak"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Avbryt"},
        "blocks": [
            {"type": "input", "block_id": "meeting", "label": {"type": "plain_text",
                                                               "text": "Møte / Meeting"},
             "element": select},
            text_input("title", "Sak / Item"),
            text_input("minutes", "Minutter / Minutes", optional=True),
            text_input("presenter", "Innleder / Presenter", optional=True),
            text_input("note", "Begrunnelse / Note", optional=True, multiline=True),
        ],
    }


def _value(values: dict[str, Any], block: str) -> str:
    element = (values.get(block) or {})
    data = element.get("value") or element.get("meeting") or {}
    if "selected_option" in data:
        return str((data.get("selected_option") or {}).get("value") or "")
    return str(data.get("value") or "").strip()


def register(runtime: SlackRuntime) -> None:
    app = runtime.app

    def hook(body: dict[str, Any], person: Person, ack: Callable[..., Any]) -> bool:
        words = (body.get("text") or "").split()
        head = [w.lower() for w in words[:2]]
        bare = len(words) == 2 or (len(words) == 3 and words[2].isdigit())
        if head != ["agenda", "propose"] or not bare:
            return False  # with a title typed in, the text command handles it
        ack()
        preselect = words[2] if len(words) == 3 else None
        view = propose_view(runtime, preselect)
        runtime.client.views_open(trigger_id=body.get("trigger_id"), view=view)
        return True

    runtime.command_hooks.append(hook)

    @app.view(CALLBACK)
    def on_submit(ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        title = _value(values, "title")
        minutes = _value(values, "minutes")
        if minutes and not minutes.isdigit():
            ack(response_action="errors", errors={"minutes": "Et heltall / a whole number"})
            return
        ack()
        user_id = (body.get("user") or {}).get("id", "")

        def work() -> None:
            person = runtime.person(user_id)
            message = Message(text="agenda propose", sender=person, surface="slack")
            context = Context(bot=runtime.bot, message=message,
                              language=runtime.bot.services.settings.language)
            reply = propose(context, _value(values, "meeting"), title,
                            minutes=int(minutes or 10),
                            presenter=_value(values, "presenter") or None,
                            note=_value(values, "note") or None)
            runtime.dm(user_id, reply)

        runtime.submit(work)

    @app.action(_DECIDE)
    def on_decide(
        ack: Callable[..., Any], body: dict[str, Any], respond: Callable[..., Any]
    ) -> None:
        ack()
        action = (body.get("actions") or [{}])[0]
        user_id = (body.get("user") or {}).get("id", "")
        person = runtime.person(user_id)
        message = Message(text=f"agenda {action.get('value', '')}", sender=person,
                          surface="slack", channel=(body.get("channel") or {}).get("id"))
        runtime.answer(message, lambda reply: respond(replace_original=False,
                                                      **message_payload(reply)))
