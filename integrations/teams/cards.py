"""Replies as Teams bot messages: one Adaptive Card (with the bot's own buttons) plus plain text.

The card body comes from `integrations.graph.render.adaptive_card` (RichTextBlocks: data is never
read as Markdown, links only to validated URLs, cut to fit Teams' ~28 KB). A bot can take button
presses, so buttons that name an action become `Action.Execute` (Universal Actions: Teams sends
an `adaptiveCard/action` invoke with the verb and data), and a `Choice` becomes a row of them.
The plain text goes in `summary` (notifications, clients without cards) and `fallbackText`.
"""

from __future__ import annotations

import json
from typing import Any

from bot.replies import Actions, Choice, Reply
from integrations.graph.render import BUDGET, adaptive_card, utf16_size

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_SUMMARY = 400
MAX_ACTIONS = 6  # Teams shows at most six actions on a card


def execute(title: str, verb: str, value: str | None = None, **data: Any) -> dict[str, Any]:
    """An Action.Execute; `data` comes back in the invoke, beside the verb."""
    payload: dict[str, Any] = {"verb": verb, **data}
    if value is not None:
        payload["value"] = value
    return {"type": "Action.Execute", "title": title[:60], "verb": verb, "data": payload}


def plain_text(reply: Reply, limit: int = MAX_SUMMARY) -> str:
    text = " ".join((reply.text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reply_card(reply: Reply, *, budget: int = BUDGET) -> dict[str, Any]:
    """The Adaptive Card (1.4) for a reply, with Action.Execute for the bot's buttons."""
    card = adaptive_card(reply, budget=budget)
    actions: list[dict[str, Any]] = []
    for part in reply.parts:
        if isinstance(part, Actions):
            for button in part.buttons:
                if button.action and not button.url:
                    actions.append(execute(button.label, button.action, button.value))
        elif isinstance(part, Choice):
            row = [execute(label, part.action, value) for label, value in part.options]
            if row:
                card["body"].append({"type": "ActionSet", "actions": row[:MAX_ACTIONS]})
    if actions:
        card["actions"] = [*actions, *card.get("actions", [])][:MAX_ACTIONS]
    card["fallbackText"] = plain_text(reply)
    return card


def message_activity(reply: Reply) -> dict[str, Any]:
    """The outgoing message activity (JSON as the Bot Connector takes it)."""
    card = reply_card(reply)
    activity: dict[str, Any] = {
        "type": "message",
        "summary": plain_text(reply),
        "attachments": [{"contentType": CARD_TYPE, "content": card}],
    }
    if utf16_size(json.dumps(activity)) > 28_000:  # a last guard; the card budget keeps below
        activity["attachments"] = [{"contentType": CARD_TYPE,
                                    "content": reply_card(reply, budget=BUDGET // 2)}]
    return activity
