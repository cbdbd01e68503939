"""Status forms in Teams: the prompt's buttons, step by step in the chat or as one card.

"Answer here" starts the same filling the terminal and Slack use (`commands.status`), and typed
answers reach it through `Bot.handle` like any message. "Open form" replaces the prompt card by
the whole form (Input.* elements, prefilled from a paused filling); its Action.Execute is
validated by the same engine, errors are shown under their fields on the refreshed card, and a
valid submission turns the card into a receipt. All state is rows, so a restart loses nothing.
"""

from __future__ import annotations

from typing import Any

from bot.forms import FormDefinition, Question
from bot.replies import Reply
from commands import status as status_feature
from commands.status_messages import ANSWER_ACTION, MODAL_ACTION, START_ACTION, SUBMIT_ACTION
from integrations.graph.escape import card_plain_blocks
from integrations.teams.app import TeamsRuntime, Turn
from integrations.teams.cards import execute, plain_text, reply_card
from integrations.teams.handlers import card_response, message_response, reply_response

FORM_SUBMIT = "status_form_submit"


def _t(language: str, nb: str, en: str) -> str:
    return en if language == "en" else nb


def _input(question: Question, value: Any, language: str) -> dict[str, Any]:
    base: dict[str, Any] = {"id": f"q_{question.id}", "label": question.text.get(language)}
    if question.is_choice:
        current = value
        if question.type == "yes_no" and isinstance(value, bool):
            current = "yes" if value else "no"
        choices = [{"title": label, "value": v} for label, v in question.choices(language)]
        element = {"type": "Input.ChoiceSet", **base, "choices": choices,
                   "style": "compact" if question.type != "multiple_choice" else "expanded",
                   "isMultiSelect": question.type == "multiple_choice"}
        if isinstance(current, list):
            element["value"] = ",".join(str(v) for v in current)
        elif current is not None:
            element["value"] = str(current)
        return element
    element = {"type": "Input.Text", **base,
               "isMultiline": question.type == "long_text"}
    if question.max_length:
        element["maxLength"] = question.max_length
    if question.type == "date":
        element["placeholder"] = _t(language, "f.eks. 12. mars", "e.g. 12 March")
    if value is not None:
        element["value"] = str(value)
    return element


def form_card(form: FormDefinition, answers: dict[str, Any], language: str, *,
              campaign_id: int, group_id: str, intro: str,
              errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The whole form as one card; `errors` (question id → message) under their fields."""
    errors = errors or {}
    body: list[dict[str, Any]] = [*card_plain_blocks(f"Status {group_id}", size="Large",
                                                     weight="Bolder")]
    body.extend(reply_card(Reply(text=intro))["body"])
    for question in form.questions:
        body.append(_input(question, answers.get(question.id), language))
        hint = question.help.get(language) if question.help else None
        if hint:
            body.extend(card_plain_blocks(hint, isSubtle=True, size="Small"))
        if question.id in errors:
            body.extend(card_plain_blocks("⚠ " + errors[question.id], color="Attention"))
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [execute(_t(language, "Send inn", "Submit"), FORM_SUBMIT,
                            c=campaign_id, g=group_id)],
        "fallbackText": plain_text(Reply(text=intro)),
    }
    return card


def raw_answers(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """Question id → raw value as the engine reads it (lists for multiple choice, None if empty)."""
    out: dict[str, Any] = {}
    for question in form.questions:
        value = data.get(f"q_{question.id}")
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            out[question.id] = None
        elif question.type == "multiple_choice":
            out[question.id] = [v for v in str(value).split(",") if v]
        else:
            out[question.id] = value
    return out


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
        form, answers, intro = found
        return card_response(form_card(form, answers, language(), campaign_id=campaign or 0,
                                       group_id=group, intro=intro))

    async def on_form_submit(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        campaign = int(data["c"]) if str(data.get("c", "")).isdigit() else 0
        group = str(data.get("g") or "")
        found = await turn.run(status_feature.modal_for, services, turn.person, campaign, group,
                               language())
        if isinstance(found, Reply):
            return reply_response(found)
        form, _answers, intro = found
        raw = raw_answers(form, data)
        errors, replies = await turn.run(status_feature.submit_answers, services, turn.person,
                                         campaign, group, raw, language())
        if errors:
            return card_response(form_card(form, raw, language(), campaign_id=campaign,
                                           group_id=group, intro=intro, errors=errors))
        receipt = replies[0] if replies else Reply(text=_t(language(), "Sendt inn.", "Submitted."))
        return reply_response(receipt)

    runtime.invokes[START_ACTION] = on_start
    runtime.invokes["status_choose"] = on_start
    runtime.invokes[f"{ANSWER_ACTION}:*"] = on_answer
    runtime.invokes[ANSWER_ACTION] = on_answer
    runtime.invokes[SUBMIT_ACTION] = on_submit
    runtime.invokes[MODAL_ACTION] = on_open_form
    runtime.invokes[FORM_SUBMIT] = on_form_submit
