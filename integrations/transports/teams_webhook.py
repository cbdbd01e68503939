"""`teams-webhook:URL`: a Teams Workflows webhook. The URL is a credential (masked everywhere);
its posts cannot be edited."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.destinations import Sender, Transport
from integrations.graph.webhook import WebhookSender

if TYPE_CHECKING:
    from bot.core import Services


class TeamsWebhookTransport(Transport):
    kinds = ("teams-webhook",)
    usage = "teams-webhook:URL"
    secret = True

    def validate(self, kind: str, address: str) -> str | None:
        try:
            parts = urlsplit(address)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            return "the webhook must be an http(s) URL."
        return None

    def connect(self, services: Services) -> Sender:
        return WebhookSender()
