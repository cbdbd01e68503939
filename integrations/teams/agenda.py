"""Agendas in Teams: "agenda propose" answers with the proposal form as a card; owners accept or
decline with card buttons.

The card is the agenda feature's `propose_modal` (rendered by `integrations.teams.forms`), checked
by `proposal_problems` and handed to `propose_from_modal` — the same functions the Slack modal
uses. The owner's Accept/Decline (`agenda_decide`, value "accept N") is the text command
"agenda accept N" through `Bot.handle`, and the pressed card is replaced by the outcome. Posted
agendas are edited in place by the outbox (`teams-user` posts are editable).
"""

from __future__ import annotations

from typing import Any

from bot.replies import Message, Reply
from bot.router import Context
from commands import agenda
from integrations.teams.app import TeamsRuntime, Turn
from integrations.teams.forms import modal_card, refused, submitted
from integrations.teams.handlers import card_response, reply_response
from storage.outbox import deliver_due

PROPOSE_SUBMIT = "agenda_propose_submit"
DECIDE = "agenda_decide"


def register(runtime: TeamsRuntime) -> None:
    bot = runtime.bot
    services = bot.services

    async def on_typed(turn: Turn, text: str) -> bool:
        words = text.split()
        head = [w.lower() for w in words[:2]]
        bare = len(words) == 2 or (len(words) == 3 and words[2].isdigit())
        if head not in (["agenda", "propose"], ["agenda", "foreslå"]) or not bare:
            return False  # with a title typed in, the text command handles it
        modal = await turn.run(agenda.propose_modal, services,
                               words[2] if len(words) == 3 else None)
        await turn.send_card(modal_card(modal, PROPOSE_SUBMIT))
        return True

    async def on_submit(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        modal = await turn.run(agenda.propose_modal, services, str(data.get("f_meeting") or ""))
        values = submitted(modal, data)
        problems = agenda.proposal_problems(values)
        if not str(values.get("title") or "").strip():
            problems["title"] = "Skriv inn saken / write the item"
        if problems:
            return card_response(modal_card(refused(modal, values, problems), PROPOSE_SUBMIT))

        def work() -> Reply:
            message = Message(text="agenda propose", sender=turn.person, surface="teams")
            context = Context(bot=bot, message=message, language=services.settings.language)
            return agenda.propose_from_modal(context, values)

        reply = await turn.run(work)
        await turn.run(deliver_due, services)  # the owner's proposal, at once
        return reply_response(reply)

    async def on_decide(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        message = Message(text=f"agenda {data.get('value', '')}", sender=turn.person,
                          surface="teams", channel=turn.conversation_id)
        replies: list[Reply] = await turn.run(bot.handle, message)
        await turn.run(deliver_due, services)  # the proposer's notice, the agenda edits
        return reply_response(replies[0]) if replies else reply_response(Reply(text="OK"))

    runtime.message_hooks.append(on_typed)
    runtime.invokes[PROPOSE_SUBMIT] = on_submit
    runtime.invokes[DECIDE] = on_decide
