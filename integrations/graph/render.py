"""Replies as Teams HTML, Adaptive Cards and e-mail HTML, kept under Teams' ~28 KB limit.

Teams counts message size in UTF-16, so budgets are measured that way. A reply too large is cut
at a part boundary and ends with a link to the rest, rather than being refused by Teams.
"""

from __future__ import annotations

import json
from typing import Any

from bot.i18n import t
from bot.markup import link, safe_url
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
from integrations.graph.escape import (
    anchor,
    card_blocks,
    card_plain_blocks,
    html_text,
    inline_html,
    open_url,
)

TEAMS_LIMIT = 28_000  # bytes, UTF-16
BUDGET = 24_000  # leave room for the envelope and attachments
MORE_URL = "https://www.norcrin.no/"


def utf16_size(text: str) -> int:
    return len(text.encode("utf-16-le"))


def part_html(part: Part) -> str:
    """One part as HTML: headings, cards and table cells are plain data, the rest our markup."""
    if isinstance(part, Heading):
        return f"<h2>{html_text(part.text)}</h2>"
    if isinstance(part, Section):
        return f"<p>{inline_html(part.text)}</p>"
    if isinstance(part, Note):
        return f"<p><small>{inline_html(part.text)}</small></p>"
    if isinstance(part, Table):
        head = "".join(f"<th>{html_text(c)}</th>" for c in part.columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html_text(cell)}</td>" for cell in row) + "</tr>"
            for row in part.rows
        )
        caption = f"<p><b>{html_text(part.title)}</b></p>" if part.title else ""
        return f"{caption}<table><tr>{head}</tr>{rows}</table>"
    if isinstance(part, Actions):
        links = [anchor(b.url, b.label) for b in part.buttons if safe_url(b.url)]
        return f"<p>{' · '.join(links)}</p>" if links else ""
    if isinstance(part, Choice):
        return f"<p>{inline_html(part.prompt)}</p>"
    if isinstance(part, ContactCard | DocumentCard | GroupCard):
        title = getattr(part, "name", None) or getattr(part, "title", "")
        return f"<p><b>{html_text(str(title))}</b></p>"
    return ""


def _more_link(reply: Reply) -> str:
    for part in reply.parts:
        if isinstance(part, Actions):
            for button in part.buttons:
                url = safe_url(button.url)
                if url:
                    return url
    return MORE_URL


def reply_html(reply: Reply, *, budget: int = BUDGET) -> str:
    """Well-formed HTML for a channel message, cut at a part boundary to fit `budget`."""
    chunks = [part_html(p) for p in reply.parts] or [f"<p>{inline_html(reply.text)}</p>"]
    out: list[str] = []
    for index, chunk in enumerate(chunks):
        rest = len(chunks) - index
        more = (
            f'<p><i>… {rest} {t(reply.language, "til", "more")}: '
            f"{anchor(_more_link(reply), _more_link(reply))}"
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


def _card_part(part: Part) -> list[dict[str, Any]]:
    """One part as card blocks; only RichTextBlocks, so no data is ever read as Markdown."""
    if isinstance(part, Heading):
        return card_plain_blocks(part.text, size="Large", weight="Bolder")
    if isinstance(part, Note):
        return card_blocks(part.text, isSubtle=True, size="Small")
    if isinstance(part, Table):
        rows = [" · ".join(cell for cell in row if cell) for row in part.rows]
        heading = card_plain_blocks(part.title, weight="Bolder") if part.title else []
        return heading + [b for row in rows for b in card_plain_blocks(row)]
    if isinstance(part, Section):
        return card_blocks(part.text)
    if isinstance(part, Choice):
        return card_blocks(part.prompt)
    if isinstance(part, ContactCard | DocumentCard | GroupCard):
        return _card_record(part)
    return []


def _card_record(part: ContactCard | DocumentCard | GroupCard) -> list[dict[str, Any]]:
    """A person, document or group: its name in bold, then the fields the directory holds."""
    if isinstance(part, ContactCard):
        title = part.name
        lines = [", ".join(part.roles), part.organisation or "", ", ".join(part.groups),
                 part.email or "", part.phone or ""]
    elif isinstance(part, DocumentCard):
        title = f"{part.code} {part.title}".strip()
        lines = [part.subtitle or " · ".join(x for x in (part.kind, part.area or "") if x),
                 part.summary or ""]
    else:
        title = part.title
        lines = [part.purpose or "", part.leader or "", part.deputy or ""]
    blocks = card_plain_blocks(title, weight="Bolder")
    for line in lines:
        for block in card_plain_blocks(line, isSubtle=True):
            blocks.append({**block, "spacing": "None"})
    url = getattr(part, "url", None)
    if url and safe_url(url):
        blocks.extend(card_blocks(link(url, url), isSubtle=True, size="Small"))
    return blocks


def adaptive_card(reply: Reply, *, budget: int = BUDGET) -> dict[str, Any]:
    """An Adaptive Card 1.4 (only Action.OpenUrl: submit actions need a Teams bot)."""
    body: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    parts = list(reply.parts) or [Section(reply.text)]
    for index, part in enumerate(parts):
        if isinstance(part, Actions):
            actions.extend(a for a in (open_url(b.label, b.url) for b in part.buttons) if a)
            continue
        blocks = _card_part(part)
        if utf16_size(json.dumps([*body, *blocks])) > budget:
            rest = len(parts) - index
            more = _more_link(reply)
            body.extend(card_blocks(f"… {rest} more: {link(more)}", isSubtle=True))
            break
        body.extend(blocks)
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        card["actions"] = actions[:6]
    return card
