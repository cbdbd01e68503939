"""Replies as Teams HTML, Adaptive Cards and e-mail HTML, kept under Teams' ~28 KB limit.

Teams counts message size in UTF-16, so budgets are measured that way. A reply too large is cut
at a part boundary and ends with a link to the rest, rather than being refused by Teams.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from bot.replies import (
    Actions,
    Choice,
    ContactCard,
    DocumentCard,
    GroupCard,
    Heading,
    Note,
    Part,
    Reply,
    Section,
    Table,
)

TEAMS_LIMIT = 28_000  # bytes, UTF-16
BUDGET = 24_000  # leave room for the envelope and attachments
MORE_URL = "https://www.norcrin.no/"

_LINK = re.compile(r"&lt;(https?://[^|&]+?)\|(.+?)&gt;")
_BARE_LINK = re.compile(r"&lt;(https?://[^|&]+?)&gt;")
_BOLD = re.compile(r"\*([^*\n]+)\*")
_ITALIC = re.compile(r"(?<![\w/])_([^_\n]+)_(?!\w)")
_CODE = re.compile(r"`([^`\n]+)`")


def utf16_size(text: str) -> int:
    return len(text.encode("utf-16-le"))


def inline_html(text: str) -> str:
    """Our light markup (*bold*, _italic_, `code`, <url|label>) as escaped HTML."""
    out = html.escape(text, quote=False)
    out = _LINK.sub(lambda m: f'<a href="{m.group(1)}">{m.group(2)}</a>', out)
    out = _BARE_LINK.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', out)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    out = _ITALIC.sub(r"<i>\1</i>", out)
    return out.replace("\n", "<br>")


def part_html(part: Part) -> str:
    if isinstance(part, Heading):
        return f"<h2>{html.escape(part.text, quote=False)}</h2>"
    if isinstance(part, Section):
        return f"<p>{inline_html(part.text)}</p>"
    if isinstance(part, Note):
        return f"<p><small>{inline_html(part.text)}</small></p>"
    if isinstance(part, Table):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in part.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{inline_html(cell)}</td>" for cell in row) + "</tr>"
            for row in part.rows
        )
        caption = f"<p><b>{html.escape(part.title)}</b></p>" if part.title else ""
        return f"{caption}<table><tr>{head}</tr>{rows}</table>"
    if isinstance(part, Actions):
        links = [
            f'<a href="{html.escape(b.url)}">{html.escape(b.label)}</a>'
            for b in part.buttons
            if b.url
        ]
        return f"<p>{' · '.join(links)}</p>" if links else ""
    if isinstance(part, Choice):
        return f"<p>{inline_html(part.prompt)}</p>"
    if isinstance(part, ContactCard | DocumentCard | GroupCard):
        title = getattr(part, "name", None) or getattr(part, "title", "")
        return f"<p><b>{html.escape(str(title))}</b></p>"
    return ""


def _more_link(reply: Reply) -> str:
    for part in reply.parts:
        if isinstance(part, Actions):
            for button in part.buttons:
                if button.url:
                    return button.url
    return MORE_URL


def reply_html(reply: Reply, *, budget: int = BUDGET) -> str:
    """Well-formed HTML for a channel message, cut at a part boundary to fit `budget`."""
    chunks = [part_html(p) for p in reply.parts] or [f"<p>{inline_html(reply.text)}</p>"]
    out: list[str] = []
    for index, chunk in enumerate(chunks):
        rest = len(chunks) - index
        more = (
            f'<p><i>… {rest} {"more" if reply.language == "en" else "til"}: '
            f'<a href="{html.escape(_more_link(reply))}">{html.escape(_more_link(reply))}</a>'
            "</i></p>"
        )
        if utf16_size("".join([*out, chunk, more])) > budget:
            out.append(more)
            break
        out.append(chunk)
    return "".join(out)


def mail_html(reply: Reply) -> str:
    body = "".join(part_html(p) for p in reply.parts) or f"<p>{inline_html(reply.text)}</p>"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        f'<body style="font-family: Segoe UI, Arial, sans-serif">{body}</body></html>'
    )


def _card_text(text: str) -> str:
    """Our markup as Adaptive Card markdown (**bold**, _italic_, [label](url))."""
    out = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"[\2](\1)", text)
    out = re.sub(r"\*([^*\n]+)\*", r"**\1**", out)
    return out.replace("`", "")


def adaptive_card(reply: Reply, *, budget: int = BUDGET) -> dict[str, Any]:
    """An Adaptive Card 1.4 (only Action.OpenUrl: submit actions need a Teams bot)."""
    body: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    parts = list(reply.parts) or [Section(reply.text)]
    for index, part in enumerate(parts):
        if isinstance(part, Heading):
            block: dict[str, Any] = {"type": "TextBlock", "text": part.text, "size": "Large",
                                     "weight": "Bolder", "wrap": True}
        elif isinstance(part, Actions):
            actions.extend(
                {"type": "Action.OpenUrl", "title": b.label[:60], "url": b.url}
                for b in part.buttons if b.url
            )
            continue
        elif isinstance(part, Note):
            block = {"type": "TextBlock", "text": _card_text(part.text), "isSubtle": True,
                     "size": "Small", "wrap": True}
        elif isinstance(part, Table):
            lines = [" · ".join(row) for row in part.rows]
            block = {"type": "TextBlock", "text": _card_text("\n\n".join(lines)), "wrap": True}
        else:
            text = getattr(part, "text", None) or getattr(part, "prompt", None) or str(
                getattr(part, "title", getattr(part, "name", ""))
            )
            block = {"type": "TextBlock", "text": _card_text(text), "wrap": True}
        if utf16_size(json.dumps([*body, block])) > budget:
            rest = len(parts) - index
            body.append({"type": "TextBlock", "wrap": True, "isSubtle": True,
                         "text": f"… {rest} more: [{_more_link(reply)}]({_more_link(reply)})"})
            break
        body.append(block)
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        card["actions"] = actions[:6]
    return card
