"""Outbox posts to Slack channels and DMs: chat.postMessage / chat.update, no hidden retries.

The client has no retry handlers: the outbox's loop retries (and logs) every attempt itself, so
429 Retry-After is honoured without a second, invisible layer of retries. Each post carries the
outbox key as message metadata, which lets an operator find the post for any row.
"""

from __future__ import annotations

import urllib.error

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import ConfigError, Settings
from bot.replies import Reply
from integrations.delivery import SendError, parse_retry_after
from integrations.slack.render import message_payload

_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)


class SlackSender:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackSender:
        if not settings.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is not set")
        base = settings.slack_api_url if settings.slack_api_url.endswith("/") else (
            settings.slack_api_url + "/"
        )
        return cls(WebClient(token=settings.slack_bot_token, base_url=base, timeout=15,
                             retry_handlers=[]))

    def send(self, kind: str, target: str, reply: Reply, *, key: str, look_since: object) -> str:
        channel = self._call(lambda: self._dm_channel(target)) if kind == "slack-user" else target
        response = self._call(
            lambda: self.client.chat_postMessage(
                channel=channel,
                unfurl_links=False,
                metadata={"event_type": "norcrin_post", "event_payload": {"key": key[:200]}},
                **message_payload(reply),
            )
        )
        ts = str(response["ts"])
        return f"{response.get('channel') or channel}/{ts}" if kind == "slack-user" else ts

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str:
        channel, _, ts = ref.rpartition("/") if kind == "slack-user" else (target, "", ref)
        payload = message_payload(reply)
        self._call(lambda: self.client.chat_update(channel=channel, ts=ts, **payload))
        return ref

    def _dm_channel(self, user_id: str) -> str:
        return str(self.client.conversations_open(users=user_id)["channel"]["id"])

    @staticmethod
    def _call(fn):  # type: ignore[no-untyped-def]
        try:
            return fn()
        except SlackApiError as exc:
            status = exc.response.status_code
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = str(data.get("error") or f"HTTP {status}")
            if status == 429 or error == "ratelimited":
                after = parse_retry_after(exc.response.headers.get("Retry-After"))
                raise SendError(f"Slack 429 {error}", retryable=True,
                                retry_after=after if after is not None else 1.0) from None
            if status >= 500 or error in _TRANSIENT_ERRORS:
                raise SendError(f"Slack {status} {error}", retryable=True) from None
            raise SendError(f"Slack refused: {error}", retryable=False) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise SendError(f"Slack unreachable: {exc}", retryable=True) from None
