"""Our light markup, and the only ways data may enter it.

`Section`, `Note` and `Choice` text is written in a small Slack-like markup: `*bold*`, `_italic_`,
`` `code` ``, links `<https://…|label>` and the entities `&amp;`, `&lt;`, `&gt;`. Handlers put
data (names, titles, feed items, echoed user text) into it only through `esc()` and `link()`, so
it stays text on every surface. Renderers read markup back with `tokens()`, which yields only
text and validated http(s)/mailto links: anything else between `<` and `>` (`<!channel>`,
`<@U123>`, `<javascript:…|x>`) comes out as plain text, even where a handler forgot to escape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

WEB_SCHEMES = ("http", "https")
MAX_URL = 2000
# Characters a URL may keep as they are; everything else (space, |, <, >, ", `, {, }, \, ^, and
# non-ASCII) is percent-encoded, so a URL can neither end a `<url|label>` link nor an attribute.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ANGLED = re.compile(r"<([^<>\n]*)>")


def esc(text: str) -> str:
    """Data as markup text: `&`, `<`, `>` become entities, so nothing in it can become a link or
    a Slack mention (`<!channel>`, `<@U…>`, `<#C…>`, `<!subteam^…>` all need a raw `<`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The inverse of `esc` (only our three entities; `&amp;lt;` stays `&lt;` as text)."""
    return re.sub(r"&(amp|lt|gt);", lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)],
                  text)


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL, percent-encoded where it would break markup or
    HTML; None for anything else (javascript:, data:, relative, control characters)."""
    if not url:
        return None
    url = url.strip()
    if len(url) > MAX_URL or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    if not parts.netloc.isascii():  # bø.no: the host in IDNA form, the rest percent-encoded
        try:
            host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        netloc = parts.netloc.replace(parts.hostname, host) if parts.hostname in parts.netloc \
            else host
        url = parts._replace(netloc=netloc).geturl()
    return quote(url, safe=_URL_SAFE)


def safe_mailto(target: str) -> str | None:
    """`mailto:ADDRESS` for one plain e-mail address, else None."""
    address = target[len("mailto:"):] if target.lower().startswith("mailto:") else ""
    return f"mailto:{address}" if _EMAIL.fullmatch(address) else None


def link(url: str | None, label: str | None = None) -> str:
    """A markup link to `url` labelled `label` (both data), or just the escaped label (or URL)
    as text when the URL is not a usable http(s) URL."""
    text = label or url or ""
    target = safe_url(url)
    if target is None:
        return esc(text)
    return f"<{esc(target)}|{esc(text)}>"


@dataclass(frozen=True)
class Text:
    """Plain text (entities already decoded): every renderer escapes it for its surface."""

    text: str


@dataclass(frozen=True)
class Link:
    """A validated link: `url` is a safe http(s) or mailto URL, `label` plain text."""

    url: str
    label: str


def tokens(markup: str) -> list[Text | Link]:
    """Markup as text and validated links; any other `<…>` is text, shown as typed."""
    out: list[Text | Link] = []
    pending = ""
    position = 0
    for match in _ANGLED.finditer(markup):
        pending += unescape(markup[position:match.start()])
        position = match.end()
        target, _, label = match.group(1).partition("|")
        target = unescape(target)
        url = safe_mailto(target) if target.lower().startswith("mailto:") else safe_url(target)
        if url is None or target != target.strip():
            pending += unescape(match.group(0))  # `<!channel>`, `<@U1>`, `<javascript:…>`: text
            continue
        if pending:
            out.append(Text(pending))
            pending = ""
        out.append(Link(url, unescape(label) or target))
    pending += unescape(markup[position:])
    if pending:
        out.append(Text(pending))
    return out


def plain(markup: str) -> str:
    """Markup as plain text (for e-mail subjects, logs): entities decoded, links as labels."""
    return "".join(t.text if isinstance(t, Text) else t.label for t in tokens(markup))
