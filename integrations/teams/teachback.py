"""Teach-back in Teams: 👍/👎 under answers and "pass it on" are card buttons (Action.Execute).

The core (`commands.teachback`) is surface-neutral; this only reads the verb and the value, and
replaces the pressed card by the core's reply.
"""

from __future__ import annotations

from typing import Any

from commands import teachback
from integrations.teams.app import TeamsRuntime, Turn
from integrations.teams.handlers import reply_response


def register(runtime: TeamsRuntime) -> None:
    services = runtime.bot.services

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

    runtime.invokes[teachback.UP_ACTION] = on_feedback("up")
    runtime.invokes[teachback.DOWN_ACTION] = on_feedback("down")
    runtime.invokes[teachback.PASS_ACTION] = on_pass
