"""Status forms in Teams: the prompt's buttons, step by step in the chat or as one card.

"Answer here" starts the same filling the terminal and Slack use (`commands.status`), and typed
answers reach it through `Bot.handle` like any message. "Open form" replaces the prompt card by
the whole form (Input.* elements, prefilled from a paused filling); its Action.Execute is
validated by the same engine, errors are shown under their fields on the refreshed card, and a
valid submission turns the card into a receipt. All state is rows, so a restart loses nothing.
"""

from __future__ import annotations

from typing import Any

from bot.replies import Reply
from commands import status as status_feature
from commands.status_messages import (
    ANSWER_ACTION,
    MODAL_ACTION,
    START_ACTION,
    SUBMIT_ACTION,
    modal_target,
)
from integrations.teams.app import TeamsRuntime, Turn
from integrations.teams.forms import modal_card, refused, submitted
from integrations.teams.handlers import card_response, message_response, reply_response

FORM_SUBMIT = "status_form_submit"


def _t(language: str, nb: str, en: str) -> str:
    return en if language == "en" else nb


def register(runtime: TeamsRuntime) -> None:
    services = runtime.bot.services

    def language() -> str:
        return str(services.settings.language)

    async def deliver(turn: Turn, replies: list[Reply] | None) -> dict[str, Any]:
        for reply in replies or []:
            await turn.send(reply)
        return message_response("✓")

    def split(data: dict[str, Any]) -> tuple[int | None, str]:
        campaign, _, group = str(data.get("value") or "").partition(":")
        return (int(campaign) if campaign.isdigit() else None), group

    async def on_start(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        campaign, group = split(data)
        replies = await turn.run(status_feature.start_for_group, services, turn.person, group,
                                 language(), campaign)
        return await deliver(turn, replies)

    async def on_answer(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        filling, question, value = [*str(data.get("value") or "").split("|", 2), "", ""][:3]
        replies = await turn.run(status_feature.apply_choice, services, turn.person,
                                 int(filling) if filling.isdigit() else 0, question, value)
        return await deliver(turn, replies)

    async def on_submit(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        filling = str(data.get("value") or "")

        def work() -> list[Reply] | None:
            return status_feature.apply_text(services, turn.person, "submit",
                                             filling_id=int(filling) if filling.isdigit() else None)

        return await deliver(turn, await turn.run(work))

    async def on_open_form(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        campaign, group = split(data)
        found = await turn.run(status_feature.modal_for, services, turn.person, campaign or 0,
                               group, language())
        if isinstance(found, Reply):
            return reply_response(found)
        return card_response(modal_card(found, FORM_SUBMIT))

    async def on_form_submit(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        metadata = str(data.get("metadata") or "")
        campaign, group = modal_target(metadata)
        found = await turn.run(status_feature.modal_for, services, turn.person, campaign, group,
                               language())
        if isinstance(found, Reply):
            return reply_response(found)
        values = submitted(found, data)
        errors, replies = await turn.run(status_feature.submit_modal, services, turn.person,
                                         metadata, values, language())
        if errors:
            return card_response(modal_card(refused(found, values, errors), FORM_SUBMIT))
        receipt = replies[0] if replies else Reply(text=_t(language(), "Sendt inn.", "Submitted."))
        return reply_response(receipt)

    runtime.invokes[START_ACTION] = on_start
    runtime.invokes["status_choose"] = on_start
    runtime.invokes[f"{ANSWER_ACTION}:*"] = on_answer
    runtime.invokes[ANSWER_ACTION] = on_answer
    runtime.invokes[SUBMIT_ACTION] = on_submit
    runtime.invokes[MODAL_ACTION] = on_open_form
    runtime.invokes[FORM_SUBMIT] = on_form_submit
