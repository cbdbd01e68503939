"""What every transport shares: the send error the delivery loop reads, and the sender shape.

Transports (`integrations.slack.outbox`, `integrations.graph.teams`, `integrations.graph.webhook`)
import this, never `integrations.delivery`, which imports them: one direction, no cycle.
"""

from __future__ import annotations

import email.utils
import time
from datetime import datetime
from typing import Protocol

from bot.replies import Reply


class SendError(Exception):
    """A failed attempt. `ambiguous`: the platform may have processed it (5xx on a POST)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class Sender(Protocol):
    def send(
        self, kind: str, target: str, reply: Reply, *, key: str, look_since: datetime | None
    ) -> str | None:
        """Post; returns a reference for later edits (Slack ts, Graph message id)."""
        ...

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str | None:
        """Replace the content of an earlier post in place."""
        ...


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: integer, fractional (Graph's `2.128`) or HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
