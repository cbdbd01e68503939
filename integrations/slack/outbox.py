"""Outbox posts to Slack channels and DMs: chat.postMessage / chat.update, no hidden retries.

The client has no retry handlers: the outbox's loop retries (and logs) every attempt itself, so
429 Retry-After is honoured without a second, invisible layer of retries. Each post carries the
outbox key as message metadata; when the outcome of an earlier try is unknown (a 5xx or timeout
after sending, a worker that died or lost the database before recording), the next try first
reads the channel's recent history for a message with that key and records it instead of posting
again.
"""

from __future__ import annotations

import logging
import urllib.error
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import ConfigError, Settings
from bot.replies import Reply
from integrations.send_errors import SendError, parse_retry_after
from integrations.slack.client import TRANSIENT_ERRORS
from integrations.slack.history import messages_with_key
from integrations.slack.render import message_payload

log = logging.getLogger("norcrin_bot.outbox")

METADATA_EVENT = "norcrin_post"
HISTORY_PAGES = 5  # x 200 messages: how far back a look-up reads a busy channel
# Look-ups that cannot work with this installation: post anyway (at least once) and say so.
_LOOKUP_IMPOSSIBLE = frozenset({"missing_scope", "not_in_channel", "channel_not_found"})



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

    def send(
        self, kind: str, target: str, reply: Reply, *, key: str, look_since: datetime | None
    ) -> str:
        channel = self._call(lambda: self._dm_channel(target)) if kind == "slack-user" else target
        ts = self.find(channel, key, look_since) if look_since is not None else None
        if ts is None:
            response = self._call(
                lambda: self.client.chat_postMessage(
                    channel=channel,
                    unfurl_links=False,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key[:200]}},
                    **message_payload(reply),
                )
            )
            ts, channel = str(response["ts"]), str(response.get("channel") or channel)
        return f"{channel}/{ts}" if kind == "slack-user" else ts

    def find(self, channel: str, key: str, since: datetime) -> str | None:
        """The ts of our post with this outbox key in the channel since `since`, if any."""
        oldest = f"{(since - timedelta(minutes=5)).timestamp():.6f}"

        def page(cursor: str | None) -> Any:
            return self._call(lambda: self.client.conversations_history(
                channel=channel, oldest=oldest, limit=200, include_all_metadata=True,
                cursor=cursor))

        try:
            for message in messages_with_key(page, METADATA_EVENT, key[:200], HISTORY_PAGES):
                log.info("outbox %s: found in the channel (ts %s); not posted again",
                         key, message.get("ts"))
                return str(message["ts"])
        except SendError as exc:
            if not any(error in str(exc) for error in _LOOKUP_IMPOSSIBLE):
                raise
            log.warning("outbox %s: cannot read %s to look for an earlier try (%s); posting",
                        key, channel, exc)
        return None

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
            if status >= 500 or error in TRANSIENT_ERRORS:  # may have been posted: look first
                raise SendError(f"Slack {status} {error}", retryable=True, ambiguous=True) from None
            raise SendError(f"Slack refused: {error}", retryable=False) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise SendError(f"Slack unreachable: {exc}", retryable=True,
                            ambiguous=isinstance(exc, TimeoutError)) from None
