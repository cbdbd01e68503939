"""What every sender raises and reads: `SendError` and the Retry-After header.

Senders retry nothing themselves; they raise `SendError` and the outbox's delivery loop
(`integrations/delivery.py`) decides: wait, back off, look for the post first, or give up.
"""

from __future__ import annotations

import email.utils
import time


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
