"""Destination kinds: one `Transport` per kind of place a post can go, all in one registry.

A destination is `kind:address` (`slack:C0123`, `teams-webhook:https://…`, `console:operator`).
Each kind belongs to exactly one registered transport, which says whether an address is
well-formed, whether its posts can be edited, how a chat user is reached directly, and builds the
sender that posts. Everything that takes a destination — settings and stored schedules at
start-up, `schedule add` and `--to`, the outbox queue, and delivery — asks `TRANSPORTS`, so an
unknown kind or a malformed address is refused with the same clear, masked error everywhere and
nothing falls through to a default sender. The transports live in `integrations/transports/`,
one module each, and are registered there (one line each).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol

from bot.redact import declare_secret_kind, mask_destination

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import Services
    from bot.replies import Person, Reply

MAX_DESTINATION = 2000  # the outbox column's width


class DestinationError(ValueError):
    """A destination no transport takes, or a malformed address; the message is safe to print
    (a secret address is masked in it)."""


class Sender(Protocol):
    """Posts and edits for one bot; built by `Transport.connect` and kept for the bot's life.

    Failures are raised as `integrations.send_errors.SendError` (retryable, ambiguous, …):
    the outbox's delivery loop owns every retry, a sender never retries on its own."""

    def send(
        self, kind: str, target: str, reply: Reply, *, key: str, look_since: datetime | None
    ) -> str | None:
        """Post; returns a reference for later edits (Slack ts, Graph message id). With
        `look_since`, an earlier try's outcome is unknown: look for that post first."""
        ...

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str | None:
        """Replace the content of an earlier post in place."""
        ...


class Transport:
    """One kind (or a few sibling kinds) of destination. Subclass, set the class attributes,
    implement `validate` and `connect`; `reach` and `editable` have defaults."""

    kinds: ClassVar[tuple[str, ...]] = ()
    usage: ClassVar[str] = ""  # the address forms, for error messages: "slack:CHANNEL, …"
    surface: ClassVar[str | None] = None  # the chat surface whose people `reach` can address
    editable_kinds: ClassVar[tuple[str, ...]] = ()  # kinds whose posts can be edited in place
    secret: ClassVar[bool] = False  # the address is a credential: never shown, always masked

    def validate(self, kind: str, address: str) -> str | None:
        """Why `address` (stripped, non-empty) is not a valid `kind` address; None if it is."""
        raise NotImplementedError

    def connect(self, services: Services) -> Sender:
        """The sender for one bot (its settings, clients and credentials)."""
        raise NotImplementedError

    def reach(self, person: Person) -> str | None:
        """A destination that reaches `person` directly (a DM), if this transport can."""
        return None

    def recognise(self, user_id: str) -> str | None:
        """A destination for a bare user id of this surface (no platform known, e.g. a
        meeting's `--owner`), if the id has this surface's shape."""
        return None

    def enabled(self, settings: Settings) -> bool:
        """Whether this bot is set up to post here (for posts it starts on its own)."""
        return True

    def editable(self, kind: str) -> bool:
        return kind in self.editable_kinds


class TransportRegistry:
    """Kind name -> transport. `check` is the one parser of destinations."""

    def __init__(self) -> None:
        self._by_kind: dict[str, Transport] = {}

    def register(self, transport: Transport) -> Transport:
        """Add a transport; a kind already taken is a programming error, refused at once."""
        if not transport.kinds:
            raise ValueError(f"{type(transport).__name__} declares no destination kind")
        for kind in transport.kinds:
            if not kind or ":" in kind or kind != kind.strip().lower():
                raise ValueError(f"{kind!r} is not a destination kind name")
            taken = self._by_kind.get(kind)
            if taken is not None and taken is not transport:
                raise ValueError(f"destination kind {kind!r} is already {type(taken).__name__}'s")
        for kind in transport.kinds:
            self._by_kind[kind] = transport
            if transport.secret:
                declare_secret_kind(kind)
        return transport

    def unregister(self, transport: Transport) -> None:
        for kind in transport.kinds:
            if self._by_kind.get(kind) is transport:
                del self._by_kind[kind]

    @contextmanager
    def registered(self, transport: Transport) -> Iterator[Transport]:
        """`transport` registered for the duration of a `with` block (tests, plug-ins)."""
        self.register(transport)
        try:
            yield transport
        finally:
            self.unregister(transport)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._by_kind)

    def transports(self) -> list[Transport]:
        return list(dict.fromkeys(self._by_kind.values()))

    def usage(self) -> str:
        forms = [t.usage or ", ".join(f"{k}:ADDRESS" for k in t.kinds) for t in self.transports()]
        return ", ".join(forms) or "no destination kinds are registered"

    def transport(self, kind: str) -> Transport:
        found = self._by_kind.get(kind)
        if found is None:
            raise DestinationError(
                f"no transport for destination kind {kind!r} (known: {', '.join(self.kinds)})"
            )
        return found

    def check(self, destination: str) -> tuple[str, str]:
        """`slack:C123` -> ("slack", "C123"), or DestinationError naming the (masked)
        destination: an unknown kind, a missing or malformed address."""
        shown = mask_destination(destination)
        kind, sep, target = destination.partition(":")
        target = target.strip()
        found = self._by_kind.get(kind)
        if not sep or found is None or not target:
            raise DestinationError(f"{shown!r} is not a destination ({self.usage()}).")
        if len(destination) > MAX_DESTINATION:
            raise DestinationError(f"{shown!r}: longer than {MAX_DESTINATION} characters.")
        problem = found.validate(kind, target)
        if problem:
            raise DestinationError(f"{shown!r}: {problem}")
        return kind, target

    def editable(self, destination: str) -> bool:
        """Whether posts to `destination` can be edited in place (else they are not re-sent)."""
        kind, _ = self.check(destination)
        return self.transport(kind).editable(kind)

    def reach(self, person: Person) -> str | None:
        """Where to tell `person` something directly: the transport of their chat surface, else
        the first transport that can reach them (the terminal inbox reaches anyone)."""
        ordered = sorted(self.transports(), key=lambda t: t.surface != person.platform)
        for transport in ordered:
            destination = transport.reach(person)
            if destination:
                return destination
        return None

    def reach_all(self, handles: list[Person], settings: Settings) -> list[str]:
        """Every destination that reaches one person directly, in the order of `handles` (one
        `Person` per surface the directory knows them on: platform "console", "slack", "mail"):
        each handle through the set-up transport of its surface, if that can reach it."""
        found: list[str] = []
        for person in handles:
            for transport in self.transports():
                if transport.surface != person.platform or not transport.enabled(settings):
                    continue
                destination = transport.reach(person)
                if destination and destination not in found:
                    found.append(destination)
        return found

    def reach_id(self, user_id: str) -> str:
        """Where to tell someone known only by an id (a person id or a chat user id): the
        transport whose user ids look like it, else their terminal inbox."""
        for transport in self.transports():
            destination = transport.recognise(user_id)
            if destination:
                return destination
        return f"console:{user_id}"

    def sender(self, services: Services, kind: str) -> Sender:
        return self.transport(kind).connect(services)


TRANSPORTS = TransportRegistry()
"""The registry every layer consults; `integrations/transports/__init__.py` fills it."""

BARE_CHANNEL_KIND = "slack"  # a setting without `kind:` is a Slack channel id (the first surface)


def channel_destination(value: str) -> str:
    """A configured channel (`SECRETARIAT_CHANNEL`) as a destination: `kind:address` as given,
    a bare id as a Slack channel."""
    return value if ":" in value else f"{BARE_CHANNEL_KIND}:{value}"


def secretariat_destination(settings: Settings) -> str | None:
    """Where the secretariat is told things: `SECRETARIAT_CHANNEL` as a destination, if set."""
    channel = settings.secretariat_channel
    return channel_destination(channel) if channel else None

