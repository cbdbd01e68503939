"""Teach-back in Teams: 👍/👎 under answers, "pass it on", and the secretariat's buttons, all
card buttons (Action.Execute).

The core (`commands.teachback`, `commands.teachback_admin`) is surface-neutral; this reads the
verb and the value and replaces the pressed card by the core's reply. The secretariat's buttons
are for admins (`BOT_ADMINS`: an Entra object id, e-mail or directory id) only; "Answer…" turns
the card into a short form with one text field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.replies import Reply
from commands import teachback, teachback_admin
from integrations.graph.escape import card_plain_blocks
from integrations.teams.app import TeamsRuntime, Turn
from integrations.teams.cards import execute
from integrations.teams.handlers import card_response, reply_response
from storage import questions_log as store

ANSWER_SUBMIT = "teachback_answer_submit"


def _t(language: str, nb: str, en: str) -> str:
    return en if language == "en" else nb


def answer_card(item_id: str, question: str, language: str, error: str | None = None
                ) -> dict[str, Any]:
    body = [
        *card_plain_blocks(f"#{item_id}: {question}", weight="Bolder"),
        {"type": "Input.Text", "id": "text", "isMultiline": True,
         "label": _t(language, "Svar", "Answer")},
    ]
    if error:
        body.extend(card_plain_blocks("⚠ " + error, color="Attention"))
    return {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard", "version": "1.4", "body": body,
            "actions": [execute(_t(language, "Send", "Send"), ANSWER_SUBMIT, item_id)],
            "fallbackText": question[:200]}


def register(runtime: TeamsRuntime) -> None:
    services = runtime.bot.services

    def language() -> str:
        return str(services.settings.language)

    def refusal() -> dict[str, Any]:
        text = _t(language(), "Beklager, bare sekretariatet (administratorer) kan svare på disse.",
                  "Sorry, only the secretariat (administrators) can answer these.")
        return reply_response(Reply(text=text, language=language(), intent="refused"))

    def on_feedback(value: str) -> Any:
        async def handle(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
            raw = str(data.get("value") or "")
            log_id = int(raw) if raw.isdigit() else 0
            reply = await turn.run(teachback.feedback, services, turn.person, log_id, value)
            return reply_response(reply)

        return handle

    async def on_pass(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        reply, keys = await turn.run(teachback.pass_on, services, turn.person,
                                     str(data.get("value") or ""))
        await turn.run(teachback.deliver_now, services, keys)
        return reply_response(reply)

    async def admin(turn: Turn, work: Callable[[str], tuple[str, list[str]]]) -> dict[str, Any]:
        if not turn.person.is_admin:
            return refusal()

        def run() -> tuple[str, list[str]]:
            try:
                return work(teachback.asker_name(turn.person))
            except store.TeachbackError as exc:
                return str(exc), []

        line, keys = await turn.run(run)
        await turn.run(teachback.deliver_now, services, keys)
        return reply_response(Reply(text=line, language=language(), intent="triage"))

    async def on_guess(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        item_id, kind, ref = [*str(data.get("value") or "").split("|", 2), "", ""][:3]
        return await admin(turn, lambda by: teachback_admin.answer_item(services, item_id, kind,
                                                                        ref, by))

    async def on_dismiss(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        item_id = str(data.get("value") or "")
        return await admin(turn, lambda by: teachback_admin.dismiss_item(services, item_id, by))

    async def on_answer(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        if not turn.person.is_admin:
            return refusal()
        item_id = str(data.get("value") or "")

        def question() -> str | None:
            with services.db.session() as session:
                try:
                    item = store.get_item(session, item_id)
                except store.TeachbackError:
                    return None
                return str(item.question) if item.status == "open" else None

        text = await turn.run(question)
        if text is None:
            return reply_response(Reply(text=f"#{item_id}: —", intent="triage"))
        return card_response(answer_card(item_id, text, language()))

    async def on_answer_submit(turn: Turn, data: dict[str, Any]) -> dict[str, Any]:
        text = str(data.get("text") or "").strip()
        item_id = str(data.get("value") or "")
        if not text:
            return card_response(answer_card(item_id, "", language(), _t(
                language(), "Skriv et svar.", "Write an answer.")))
        return await admin(turn, lambda by: teachback_admin.answer_item(services, item_id,
                                                                        "text", text, by))

    runtime.invokes[teachback.UP_ACTION] = on_feedback("up")
    runtime.invokes[teachback.DOWN_ACTION] = on_feedback("down")
    runtime.invokes[teachback.PASS_ACTION] = on_pass
    runtime.invokes[f"{teachback.GUESS_ACTION}:*"] = on_guess
    runtime.invokes[teachback.DISMISS_ACTION] = on_dismiss
    runtime.invokes[teachback.ANSWER_ACTION] = on_answer
    runtime.invokes[ANSWER_SUBMIT] = on_answer_submit
