"""`teams-user:<AAD object id>`: queued posts (status prompts, reminders, agenda notices) as
proactive 1:1 messages, through the SDK's Bot Connector client.

The conversation reference is the row stored when the user installed the app or first wrote
(`storage.teams`). This sender retries nothing itself: the outbox loop does (429 and 503 wait for
Retry-After). A 5xx or a timeout may mean Teams posted it, and the Bot Connector cannot be asked
what a 1:1 chat holds, so a post whose outcome is unknown is not sent again (never twice).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from microsoft_teams.api import ApiClient
from microsoft_teams.api.activities import MessageActivityInput
from microsoft_teams.common import Client, ClientOptions

from bot.config import TeamsSettings
from bot.replies import Reply
from integrations.send_errors import SendError, parse_retry_after
from integrations.teams.auth import ConnectorTokens
from integrations.teams.cards import message_activity


class TeamsSender:
    """Sends and edits posts in a person's 1:1 chat with the bot; refs are "conversation/id"."""

    def __init__(self, services: Any, settings: TeamsSettings) -> None:
        self.services = services
        self.settings = settings
        self.tokens = ConnectorTokens(settings)

    @classmethod
    def from_services(cls, services: Any) -> TeamsSender:
        settings = services.settings.teams
        if settings is None:
            raise SendError("Teams is not configured (TEAMS_APP_ID)", retryable=False)
        return cls(services, settings)

    def _chat(self, target: str) -> tuple[str, str]:
        from storage.teams import personal_chat

        with self.services.db.session() as session:
            row = personal_chat(session, target)
            if row is None:
                raise SendError("no Teams chat with this user yet (the app is not installed)",
                                retryable=False)
            return row.conversation_id, row.service_url

    def send(
        self, kind: str, target: str, reply: Reply, *, key: str, look_since: datetime | None
    ) -> str | None:
        if look_since is not None:
            raise SendError("outcome of an earlier try unknown; not sent again to avoid a "
                            "double post", retryable=False)
        conversation, service_url = self._chat(target)
        activity_id = self._call(service_url, conversation, reply, None)
        return f"{conversation}/{activity_id}"

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str | None:
        conversation, _, activity_id = ref.rpartition("/")
        _, service_url = self._chat(target)
        self._call(service_url, conversation, reply, activity_id)
        return ref

    def _call(self, service_url: str, conversation: str, reply: Reply,
              activity_id: str | None) -> str:
        async def run() -> str:
            client = Client(ClientOptions(timeout=20.0))
            api = ApiClient(service_url, client, token_provider=self.tokens)
            activity = MessageActivityInput.model_validate(message_activity(reply))
            try:
                if activity_id:
                    sent = await api.conversations.update_activity(conversation, activity_id,
                                                                   activity)
                else:
                    sent = await api.conversations.create_activity(conversation, activity)
            finally:
                await client.http.aclose()
            return str(sent.id or activity_id or "")

        try:
            return asyncio.run(run())
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            if status == 401:
                self.tokens.forget()
            if status in (429, 503):
                raise SendError(f"Teams {status}", retryable=True,
                                retry_after=parse_retry_after(
                                    exc.response.headers.get("retry-after"))) from None
            if status >= 500:
                raise SendError(f"Teams {status}", retryable=True, ambiguous=True) from None
            raise SendError(f"Teams {status}", retryable=status == 401) from None
        except httpx.ConnectError as exc:
            raise SendError(f"Teams unreachable: {type(exc).__name__}", retryable=True) from None
        except httpx.TimeoutException as exc:
            raise SendError(f"Teams timeout: {type(exc).__name__}", retryable=True,
                            ambiguous=True) from None
