"""Ports: what the core and the features need from outside, as Protocols.

`storage/` and `integrations/` implement them; the composition root
(`integrations/runtime/wiring.py`) puts the implementations into `bot.core.Services`, so a feature
sends a post, reads a feed or a calendar without importing a transport. The value types crossing
a port (an outcome, a feed entry, a calendar event) live here too, for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.core import Services


class Database(Protocol):
    """Transactions on the bot's database (`storage.db.Database`)."""

    def session(self) -> AbstractContextManager[Any]:
        """A unit of work: committed on leaving, rolled back on an error."""
        ...

    def unit(self) -> AbstractContextManager[None]:
        """One message's unit of work, which `shared_session()` blocks inside it join."""
        ...

    def shared_session(self) -> AbstractContextManager[Any]:
        """A session joining the current unit (reads, and the writes that come last)."""
        ...

    def dispose(self) -> None: ...


# -- delivery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened to one outbox post in one delivery round."""

    key: str
    destination: str
    status: str  # sent | retry | failed | deferred | lost-lease | unrecorded
    ref: str | None = None
    error: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "deferred")


class Delivery(Protocol):
    """Sends (or edits in place) the outbox's due posts to their destinations."""

    def deliver(
        self,
        services: Services,
        *,
        now: datetime | None,
        limit: int,
        keys: Sequence[str] | None,
    ) -> list[Outcome]:
        """Claim due posts (all, or those `keys`) and send them; safe in many processes."""
        ...

    def close(self) -> None: ...


# -- news feeds ------------------------------------------------------------------------------


class FeedError(Exception):
    """The source could not be read as a feed; the message is safe to print."""


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    title: str
    link: str
    published: datetime
    summary: str | None


class FeedReader(Protocol):
    """Reads an RSS/Atom feed (URL or file) within a size and time budget."""

    def __call__(
        self, source: str, *, max_bytes: int, deadline: float
    ) -> tuple[list[FeedEntry], list[str]]:
        """The entries, and one line per entry that was skipped (and why)."""
        ...


# -- calendars -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEvent:
    id: str
    subject: str
    start: datetime
    end: datetime
    location: str | None
    online_url: str | None


class CalendarSource(Protocol):
    """A mailbox's calendar view (Microsoft Graph in production)."""

    def read(
        self, user: str, start: datetime, end: datetime
    ) -> tuple[list[CalendarEvent], list[str]]:
        """Events in [start, end), and one line per malformed event that was skipped."""
        ...

    def close(self) -> None: ...
