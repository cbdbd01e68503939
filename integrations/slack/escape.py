"""Everything the bot sends to Slack as mrkdwn (`text`, sections, context) passes through here.

Slack parses `<…>` in `text` and mrkdwn as links and mentions, and `&` as the start of an entity.
`mrkdwn()` rebuilds a string from `bot.markup.tokens()`: text is escaped (`&`, `<`, `>`) and only
validated http(s)/mailto links survive as `<url|label>`, so `<!channel>`, `<!here>`, `<@U…>`,
`<#C…>` and `<!subteam^…>` can never be formed from data, whoever built the string.
"""

from __future__ import annotations

import re

from bot.markup import Link, esc, plain, safe_url, tokens

__all__ = ["button_url", "esc", "mrkdwn", "mrkdwn_cut", "notification_text"]

_PARTIAL_TAIL = re.compile(r"(<[^>]*|&[a-z]*)$")


def mrkdwn(markup: str) -> str:
    """Our markup as safe Slack mrkdwn."""
    out = []
    for token in tokens(markup):
        if isinstance(token, Link):
            out.append(f"<{esc(token.url)}|{esc(token.label)}>")
        else:
            out.append(esc(token.text))
    return "".join(out)


def notification_text(text: str, limit: int) -> str:
    """A message's top-level `text` (notifications, fallback): whatever a handler put in it,
    plain text only — markup links are reduced to their labels, so none can come from data."""
    return _cut(esc(plain(text)), limit)


def mrkdwn_cut(markup: str, limit: int) -> str:
    """Safe mrkdwn within `limit` characters, never cut inside an entity or a link."""
    return _cut(mrkdwn(markup), limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return _PARTIAL_TAIL.sub("", text[: limit - 1]).rstrip() + "…"


def button_url(url: str | None) -> str | None:
    """A button's link only if it is an http(s) URL within Slack's 3000 characters."""
    safe = safe_url(url)
    return safe if safe and len(safe) <= 3000 else None
