"""The domain vocabulary every surface renders: what the bot says, whatever the surface.

A handler returns a `Reply`; adapters (Slack Block Kit, Rich console, Teams HTML) translate its
parts. Every reply carries `text`, a plain-text rendering that doubles as the notification
fallback, so a surface that understands none of the parts can still say something sensible.
Buttons (`Actions`, `Button` with an optional `Confirm`) and choices (`Choice`) are parts; whole
forms, input hints and field problems are in `bot.interactions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.destinations import TRANSPORTS

Language = str  # "nb" or "en" (bot.config.LANGUAGES)


@dataclass(frozen=True)
class Confirm:
    """Ask before an action with consequences: a title, what will happen, and the two answers
    (a `Button`'s; here rather than in `bot.interactions`, which replies do not need)."""

    title: str
    text: str
    confirm: str
    deny: str


@dataclass(frozen=True)
class Button:
    """A link (url) or an action the bot handles itself (action + value); `confirm` makes a
    surface that can ask first (a Slack confirm dialog) ask before the action is sent."""

    label: str
    url: str | None = None
    action: str | None = None
    value: str | None = None
    style: Literal["primary", "danger"] | None = None
    confirm: Confirm | None = None


@dataclass(frozen=True)
class Section:
    """A paragraph of lightly formatted text (`*bold*`, `_italic_`, `<url|label>` links)."""

    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Note:
    """Small print: sources, hints, 'did you mean'."""

    text: str


@dataclass(frozen=True)
class ContactCard:
    """A person: only fields the directory actually holds are shown."""

    person_id: str
    name: str
    roles: tuple[str, ...]
    organisation: str | None
    groups: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class DocumentCard:
    code: str
    title: str
    kind: str
    area: str | None
    url: str | None
    summary: str | None = None
    subtitle: str | None = None


@dataclass(frozen=True)
class GroupCard:
    group_id: str
    title: str
    purpose: str | None
    leader: str | None = None
    deputy: str | None = None
    members: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Choice:
    """A question with a fixed set of answers; surfaces render buttons or numbered options."""

    prompt: str
    action: str
    options: tuple[tuple[str, str], ...]  # (label, value)


Part = Section | Heading | Note | ContactCard | DocumentCard | GroupCard | Table | Actions | Choice


@dataclass(frozen=True)
class Result:
    """One ranked hit, as the machine contract (`ask --json`) reports it."""

    kind: Literal["person", "group", "document"]
    id: str
    label: str
    url: str | None
    score: float

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {"kind": self.kind, "id": self.id}
        data["name" if self.kind == "person" else "title"] = self.label
        data["url"] = self.url
        data["score"] = round(self.score, 4)
        return data


@dataclass(frozen=True)
class Reply:
    """What the bot answers to one message."""

    text: str
    parts: tuple[Part, ...] = ()
    language: Language = "nb"
    intent: str = "help"
    results: tuple[Result, ...] = ()
    ephemeral: bool = False
    multiline: bool = False  # the next answer may span lines (a terminal reads until "." / empty)

    def as_json(self) -> dict[str, object]:
        return {
            "language": self.language,
            "intent": self.intent,
            "text": self.text,
            "results": [r.as_json() for r in self.results],
        }


@dataclass(frozen=True)
class Person:
    """Who is talking to the bot, as far as the directory knows."""

    platform: str
    user_id: str
    person_id: str | None = None
    name: str | None = None
    is_admin: bool = False

    @property
    def destination(self) -> str:
        """Where to tell this person something: what the transport of their chat surface says
        (a Slack DM), else their terminal inbox."""
        return TRANSPORTS.reach(self) or f"console:{self.person_id or self.user_id}"


@dataclass(frozen=True)
class Message:
    """One inbound message from any surface."""

    text: str
    sender: Person
    surface: str = "console"
    channel: str | None = None
    thread: str | None = None
    direct: bool = True
    extra: dict[str, str] = field(default_factory=dict)


_PART_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Section,
        Heading,
        Note,
        ContactCard,
        DocumentCard,
        GroupCard,
        Table,
        Actions,
        Choice,
    )
}


def _encode(value: object) -> object:
    if isinstance(value, Button | Confirm):
        fields = {k: _encode(getattr(value, k)) for k in value.__dataclass_fields__}
        return {"_type": type(value).__name__, **fields}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def part_to_dict(part: Part) -> dict[str, object]:
    """A JSON-safe form of a reply part (for queued posts: the outbox stores replies as JSON)."""
    data = {k: _encode(getattr(part, k)) for k in part.__dataclass_fields__}
    return {"_type": type(part).__name__, **data}


def part_from_dict(data: dict[str, object]) -> Part:
    values = dict(data)
    cls = _PART_TYPES[str(values.pop("_type"))]
    for key, value in list(values.items()):
        if isinstance(value, list):
            values[key] = _decode_list(value)
    return cls(**values)  # type: ignore[no-any-return]


def _decode_list(items: list[object]) -> tuple[object, ...]:
    out: list[object] = []
    for item in items:
        if isinstance(item, dict) and item.get("_type") == "Button":
            fields = {k: v for k, v in item.items() if k != "_type"}
            confirm = fields.get("confirm")
            if isinstance(confirm, dict):
                fields["confirm"] = Confirm(**{k: v for k, v in confirm.items() if k != "_type"})
            out.append(Button(**fields))  # type: ignore[arg-type]
        elif isinstance(item, list):
            out.append(_decode_list(item))
        else:
            out.append(item)
    return tuple(out)


def reply_to_dict(reply: Reply) -> dict[str, object]:
    return {
        "text": reply.text,
        "parts": [part_to_dict(p) for p in reply.parts],
        "language": reply.language,
        "intent": reply.intent,
    }


def reply_from_dict(data: dict[str, object]) -> Reply:
    raw_parts = data.get("parts") or []
    assert isinstance(raw_parts, list)
    parts = tuple(part_from_dict(p) for p in raw_parts)
    return Reply(
        text=str(data.get("text", "")),
        parts=parts,
        language=str(data.get("language", "nb")),
        intent=str(data.get("intent", "post")),
    )
