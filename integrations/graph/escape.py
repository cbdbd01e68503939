"""Everything the bot sends to Teams and e-mail passes through here: HTML and Adaptive Cards.

HTML: text is HTML-escaped, links come only from `bot.markup.tokens()` (validated http(s) or
mailto) and their `href` is attribute-escaped. Adaptive Cards: Teams parses Markdown in a
`TextBlock`, so data never goes into one; text is laid out as `RichTextBlock`s of `TextRun`s,
which Teams shows as typed (no Markdown), with links as runs that open a validated URL.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.markup import Link, Text, safe_url, tokens

_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_BOLD = re.compile(r"\*([^*\n]+)\*")
_ITALIC = re.compile(r"(?<![\w/])_([^_\n]+)_(?!\w)")
_CODE = re.compile(r"`([^`\n]+)`")


def html_text(value: str) -> str:
    """Plain data as HTML text."""
    return html.escape(value, quote=False)


def anchor(url: str | None, label: str) -> str:
    """`<a href>` to a validated http(s) URL, or the label as text when the URL is unusable."""
    target = safe_url(url)
    if target is None:
        return html_text(label)
    return f'<a href="{html.escape(target, quote=True)}">{html_text(label)}</a>'


def _with_placeholders(markup: str) -> tuple[str, list[Link]]:
    """Markup with each link replaced by `\\x00N\\x00`, so formatting never reaches into a URL."""
    links: list[Link] = []
    pieces: list[str] = []
    for token in tokens(markup.replace("\x00", "")):
        if isinstance(token, Text):
            pieces.append(token.text)
        else:
            pieces.append(f"\x00{len(links)}\x00")
            links.append(token)
    return "".join(pieces), links


def inline_html(markup: str) -> str:
    """Our markup (*bold*, _italic_, `code`, <url|label>) as HTML; all data escaped."""
    plain, links = _with_placeholders(markup)
    out = html_text(plain)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    out = _ITALIC.sub(r"<i>\1</i>", out)
    out = _PLACEHOLDER.sub(
        lambda m: (f'<a href="{html.escape(links[int(m.group(1))].url, quote=True)}">'
                   f"{html_text(links[int(m.group(1))].label)}</a>"),
        out,
    )
    return out.replace("\n", "<br>")


def _runs(line: str, style: dict[str, Any]) -> list[dict[str, Any]]:
    plain, links = _with_placeholders(line)
    runs: list[dict[str, Any]] = []
    for index, segment in enumerate(_BOLD.split(plain)):
        bold = {"weight": "Bolder"} if index % 2 else {}
        position = 0
        for match in [*_PLACEHOLDER.finditer(segment), None]:
            end = match.start() if match else len(segment)
            piece = segment[position:end].replace("`", "")
            if piece:
                runs.append({"type": "TextRun", "text": piece, **style, **bold})
            if match is None:
                break
            target = links[int(match.group(1))]
            runs.append({"type": "TextRun", "text": target.label, **style, **bold,
                         "selectAction": {"type": "Action.OpenUrl", "url": target.url}})
            position = match.end()
    return runs


def card_blocks(markup: str, **style: Any) -> list[dict[str, Any]]:
    """Our markup as RichTextBlocks (one per line): Teams renders their runs as plain text."""
    blocks: list[dict[str, Any]] = []
    for line in markup.split("\n"):
        runs = _runs(line, style)
        if runs:
            block: dict[str, Any] = {"type": "RichTextBlock", "inlines": runs}
            if blocks:
                block["spacing"] = "None"
            blocks.append(block)
    return blocks


def card_plain_blocks(value: str, **style: Any) -> list[dict[str, Any]]:
    """Plain data (a heading, a table row) as a RichTextBlock, no markup read at all."""
    if not value.strip():
        return []
    return [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": value, **style}]}]


def open_url(title: str, url: str | None) -> dict[str, Any] | None:
    target = safe_url(url)
    return {"type": "Action.OpenUrl", "title": title[:60], "url": target} if target else None
