"""Posting to a Teams channel through a Workflows ("webhook request") URL.

The simplest path the hospitals already use: no Graph permissions at all, the URL is the secret.
Workflows expect an Adaptive Card attachment. A webhook post cannot be edited, and its 5xx is
ambiguous (the flow may have run), which the outbox records.
"""

from __future__ import annotations

from datetime import datetime

from bot.replies import Reply
from integrations.graph.render import adaptive_card
from integrations.send_errors import SendError, parse_retry_after


def webhook_payload(reply: Reply) -> dict[str, object]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": adaptive_card(reply),
            }
        ],
    }


class WebhookSender:
    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout

    def send(
        self, kind: str, target: str, reply: Reply, *, key: str, look_since: datetime | None
    ) -> str | None:
        import httpx  # lazy: heavy optional dependency

        try:
            response = httpx.post(target, json=webhook_payload(reply), timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise SendError(f"webhook timed out: {exc}", retryable=True, ambiguous=True) from None
        except httpx.HTTPError as exc:
            raise SendError(f"webhook unreachable: {exc}", retryable=True) from None
        if response.status_code == 429:
            after = parse_retry_after(response.headers.get("Retry-After"))
            raise SendError("webhook 429", retryable=True, retry_after=after or 1.0)
        if response.status_code >= 500:
            raise SendError(f"webhook {response.status_code}", retryable=True, ambiguous=True)
        if response.status_code >= 400:
            raise SendError(f"webhook refused: {response.status_code} {response.text[:200]}",
                            retryable=False)
        return None

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str | None:
        raise SendError("Teams webhook posts cannot be edited", retryable=False)
