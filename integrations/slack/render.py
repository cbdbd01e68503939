"""Replies as Block Kit, built with `slack_sdk.models` so every payload is validated on the way out.

Slack rejects a message with more than 50 blocks, a section over 3000 characters or a button label
over 75; rather than let a long answer fail, everything is cut to fit and the cut is announced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.i18n import t
from bot.markup import esc
from bot.replies import (
    Actions,
    Button,
    Choice,
    Confirm,
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
from integrations.slack.escape import button_url, mrkdwn_cut, notification_text

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_BUTTON = 75
MAX_HEADER = 150
MAX_TEXT = 3900  # the top-level fallback text; Slack truncates far later, notifications earlier
MORE_URL = "https://www.norcrin.no/"


escape = esc  # data (names, titles) as mrkdwn text: no markup, no mention


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def button(
    label: str,
    *,
    action_id: str,
    url: str | None = None,
    value: str | None = None,
    style: str | None = None,
    confirm: Confirm | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=cut(label, MAX_BUTTON), emoji=True),
        action_id=cut(action_id, 255),
        url=button_url(url),
        value=cut(value, 2000) if value else None,
        style=style,
        confirm=confirm_object(confirm) if confirm else None,
    )


def confirm_object(confirm: Confirm) -> ConfirmObject:
    """A core confirmation as Slack's confirm dialog (title 100, text 300, buttons 30)."""
    return ConfirmObject(
        title=PlainTextObject(text=cut(confirm.title, 100)),
        text=PlainTextObject(text=cut(confirm.text, 300)),
        confirm=PlainTextObject(text=cut(confirm.confirm, 30)),
        deny=PlainTextObject(text=cut(confirm.deny, 30)),
    )


def _mrkdwn(text: str) -> MarkdownTextObject:
    """Every mrkdwn object is built here, so all of them pass `integrations.slack.escape`."""
    return MarkdownTextObject(text=mrkdwn_cut(text, MAX_SECTION) or " ")


def _sections(text: str) -> list[Block]:
    """Long text as several sections, split on line breaks, each within Slack's limit."""
    blocks: list[Block] = []
    chunk = ""
    for line in text.split("\n"):
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > MAX_SECTION and chunk:
            blocks.append(SectionBlock(text=_mrkdwn(chunk)))
            chunk = line
        else:
            chunk = candidate
    if chunk.strip():
        blocks.append(SectionBlock(text=_mrkdwn(chunk)))
    return blocks


def _buttons(buttons: Iterable[Button], prefix: str) -> ActionsBlock | None:
    elements = [
        button(
            b.label,
            action_id=b.action or f"{prefix}:{i}",
            url=b.url,
            value=b.value,
            style=b.style,
            confirm=b.confirm,
        )
        for i, b in enumerate(list(buttons)[:25])
    ]
    return ActionsBlock(elements=elements) if elements else None


def mrkdwn_object(text: str) -> MarkdownTextObject:
    """A safe mrkdwn text object for other Slack views (modals) built outside this module."""
    return _mrkdwn(text)


def render_part(part: Part, index: int, language: str) -> list[Block]:
    if isinstance(part, Section):
        return _sections(part.text)
    if isinstance(part, Heading):
        return [HeaderBlock(text=PlainTextObject(text=cut(part.text, MAX_HEADER)))]
    if isinstance(part, Note):
        return [ContextBlock(elements=[_mrkdwn(part.text)])] if part.text else []
    if isinstance(part, ContactCard):
        lines = [f"*{escape(part.name)}*"]
        if part.roles:
            lines.append(escape("; ".join(part.roles)))
        if part.organisation:
            lines.append(escape(part.organisation))
        contact = []
        if part.email:
            contact.append(f"<mailto:{escape(part.email)}|{escape(part.email)}>")
        if part.phone:
            contact.append(escape(part.phone))
        if contact:
            lines.append(" · ".join(contact))
        return [SectionBlock(text=_mrkdwn("\n".join(lines)))]
    if isinstance(part, DocumentCard):
        lines = [f"*{escape(part.code)}* — {escape(part.title)}"]
        if part.subtitle:
            lines.append(f"_{escape(part.subtitle)}_")
        meta = " · ".join(filter(None, [part.kind, part.area]))
        if meta:
            lines.append(escape(meta))
        if part.summary:
            lines.append(escape(part.summary))
        accessory = (
            button(t(language, "Åpne", "Open"), action_id=f"open_document:{index}", url=part.url)
            if part.url
            else None
        )
        return [SectionBlock(text=_mrkdwn("\n".join(lines)), accessory=accessory)]
    if isinstance(part, GroupCard):
        lines = [f"*{escape(part.title)}*"]
        if part.purpose:
            lines.append(escape(part.purpose))
        blocks: list[Block] = [SectionBlock(text=_mrkdwn("\n".join(lines)))]
        fields = []
        if part.leader:
            fields.append(_mrkdwn(f"*{t(language, 'Leder', 'Leader')}*\n{escape(part.leader)}"))
        if part.deputy:
            fields.append(
                _mrkdwn(f"*{t(language, 'Nestleder', 'Deputy')}*\n{escape(part.deputy)}")
            )
        if fields:
            blocks.append(SectionBlock(fields=fields))
        if part.members:
            label = t(language, "Medlemmer", "Members")
            blocks.extend(_sections(f"*{label}:* " + escape(", ".join(part.members))))
        return blocks
    if isinstance(part, Table):
        header = " · ".join(f"*{escape(c)}*" for c in part.columns)
        rows = [" · ".join(escape(cell) for cell in row if cell) for row in part.rows]
        title = f"*{escape(part.title)}*\n" if part.title else ""
        return _sections(title + header + "\n" + "\n".join(rows))
    if isinstance(part, Actions):
        actions = _buttons(part.buttons, f"link_{index}")
        return [actions] if actions else []
    if isinstance(part, Choice):
        blocks = _sections(part.prompt)
        elements = [
            button(label, action_id=f"{part.action}:{i}", value=value)
            for i, (label, value) in enumerate(part.options[:25])
        ]
        if elements:
            blocks.append(ActionsBlock(elements=elements))
        return blocks
    return []


def render_blocks(reply: Reply, *, max_blocks: int = MAX_BLOCKS) -> list[dict[str, object]]:
    """Block Kit for a reply, validated, within the block limit (50 a message, 100 a view)."""
    blocks: list[Block] = []
    for index, part in enumerate(reply.parts):
        blocks.extend(render_part(part, index, reply.language))
    if not blocks:
        blocks = _sections(reply.text)
    if len(blocks) > max_blocks:
        hidden = len(blocks) - (max_blocks - 1)
        more = f"… {hidden} {t(reply.language, 'til', 'more')} — <{MORE_URL}|norcrin.no>"
        blocks = [*blocks[: max_blocks - 1], ContextBlock(elements=[_mrkdwn(more)])]
    return [b.to_dict() for b in blocks]  # to_dict() validates recursively


def fallback_text(reply: Reply) -> str:
    """The top-level `text`: Slack parses links and mentions in it too, so it is escaped."""
    return notification_text(reply.text, MAX_TEXT).strip() or " "


def message_payload(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / chat.update / respond()."""
    return {"text": fallback_text(reply), "blocks": render_blocks(reply)}


def divider() -> dict[str, object]:
    return DividerBlock().to_dict()
