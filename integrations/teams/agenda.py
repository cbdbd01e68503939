"""Agendas in Teams: "agenda propose" opens a card; owners accept or decline with card buttons.

The card's submission goes to `commands.agenda.propose`, the same function the text command and
the Slack modal use; the owner's Accept/Decline (`agenda_decide`, value "accept N") is the text
command "agenda accept N" through `Bot.handle`, and the pressed card is replaced by the outcome.
Posted agendas are edited in place by the outbox (`teams-user` posts are editable).
"""

from __future__ import annotations

from typing import Any

from bot.replies import Message, Reply
from bot.router import Context
from commands.agenda import propose
from integrations.graph.escape import card_plain_blocks
from integrations.teams.app import TeamsRuntime, Turn
from integrations.teams.cards import execute
from integrations.teams.handlers import card_response, reply_response
from storage.agenda import upcoming_meetings
from storage.outbox import deliver_due

PROPOSE_SUBMIT = "agenda_propose_submit"
DECIDE = "agenda_decide"


def propose_card(runtime: TeamsRuntime, preselect: str | None,
                 error: str | None = None, values: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    services = runtime.bot.services
    tz = services.settings.timezone
    values = values or {}
    with services.db.session() as session:
        choices = [{"title": f"{m.start_at.astimezone(tz):%d.%m} {m.title}"[:75],
                    "value": str(m.id)}
                   for m in upcoming_meetings(session, services.clock.now(), limit=100)]
    meeting: dict[str, Any] = {"type": "Input.ChoiceSet", "id": "meeting", "style": "compact",
                               "label": "Møte / Meeting", "isRequired": True,
                               "errorMessage": "Velg et møte / choose a meeting",
                               "choices": choices or [{"title": "—", "value": "0"}]}
    chosen = values.get("meeting") or preselect
    if chosen:
        meeting["value"] = str(chosen)

    def text(input_id: str, label: str, *, multiline: bool = False) -> dict[str, Any]:
        element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "label": label,
                                   "isMultiline": multiline}
        if values.get(input_id):
            element["value"] = str(values[input_id])
        return element

    body: list[dict[str, Any]] = [
        *card_plain_blocks("Foreslå sak / Propose an item", size="Large", weight="Bolder"),
        meeting,
        text("title", "Sak / Item"),
        text("minutes", "Minutter / Minutes"),
        text("presenter", "Innleder / Presenter"),
        text("note", "Begrunnelse / Note", multiline=True),
    ]
    if error:
        body.extend(card_plain_blocks("⚠ " + error, color="Attention"))
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [execute("Send", PROPOSE_SUBMIT)],
        "fallbackText": "Foreslå sak / Propose an item",
    }


def register(runtime: TeamsRuntime) -> None:
    bot = runtime.bot

    async def on_typed(turn: Turn, text: str) -> bool:
        words = text.split()
        head = [w.lower() for w in words[:2]]
        bare = len(words) == 2 or (len(words) == 3 and words[2].isdigit())
        if head not in (["agenda", "propose"], ["agenda", "foreslå"]) or not bare:
            return False  # with a title typed in, the text command handles it
        card = await turn.run(propose_card, runtime, words[2] if len(words) == 3 else None)
        await turn.send_card(card)
        return True

    async def on_submit(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        title = str(data.get("title") or "").strip()
        minutes = str(data.get("minutes") or "").strip()
        error = None
        if not title:
            error = "Skriv inn saken / write the item"
        elif minutes and not minutes.isdigit():
            error = "Minutter: et heltall / minutes: a whole number"
        if error:
            card = await turn.run(propose_card, runtime, None, error, data)
            return card_response(card)

        def work() -> Reply:
            message = Message(text="agenda propose", sender=turn.person, surface="teams")
            context = Context(bot=bot, message=message, language=bot.services.settings.language)
            return propose(context, str(data.get("meeting") or ""), title,
                           minutes=int(minutes or 10),
                           presenter=str(data.get("presenter") or "").strip() or None,
                           note=str(data.get("note") or "").strip() or None)

        reply = await turn.run(work)
        await turn.run(deliver_due, bot.services)
        return reply_response(reply)

    async def on_decide(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        message = Message(text=f"agenda {data.get('value', '')}", sender=turn.person,
                          surface="teams", channel=turn.conversation_id)
        replies: list[Reply] = await turn.run(bot.handle, message)
        await turn.run(deliver_due, bot.services)  # the proposer's notice, the agenda edits
        return reply_response(replies[0]) if replies else reply_response(Reply(text="OK"))

    runtime.message_hooks.append(on_typed)
    runtime.invokes[PROPOSE_SUBMIT] = on_submit
    runtime.invokes[DECIDE] = on_decide
