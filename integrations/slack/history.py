"""Finding our own earlier posts by their message metadata key (outbox posts, inbox answers).

Each post of unknown outcome carries `{"event_type": ..., "event_payload": {"key": ...}}`; a
later try reads the channel or thread (`include_all_metadata`) page by page for that key before
posting again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

Page = Callable[[str | None], Mapping[str, Any]]  # cursor -> one page of conversations.* messages


def messages_with_key(page: Page, event_type: str, key: str, pages: int) -> Iterator[Any]:
    """The messages whose metadata is `event_type` with this `key`, reading at most `pages`
    pages; errors of `page` reach the caller."""
    cursor: str | None = None
    for _ in range(pages):
        found = page(cursor)
        for message in found.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == event_type and payload.get("key") == key:
                yield message
        cursor = (found.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return
