"""What every sender shares: the send error the delivery loop reads, and Retry-After.

Senders (`integrations.slack.outbox`, `integrations.graph.teams`, `integrations.graph.webhook`,
and any in `integrations/transports/`) import this, never `integrations.delivery`, which imports
them through the transport registry: one direction, no cycle. The sender shape itself
(`Sender`) is the core's, `bot.destinations`, next to the `Transport` that builds it.
"""

from __future__ import annotations

import email.utils
import time

from bot.destinations import Sender

__all__ = ["SendError", "Sender", "parse_retry_after"]


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
