"""Every destination kind the outbox can post to: one module per transport, one line each here.

To add a kind (say Mattermost): write `integrations/transports/mattermost.py` with a
`Transport` subclass (kinds, `validate`, `connect` returning a sender with `send`/`edit`,
optionally `reach` and `editable_kinds`), and register it below. Start-up checks, `--to`,
`schedule add`, the outbox queue and delivery all consult `bot.destinations.TRANSPORTS`.
"""

from __future__ import annotations

from bot.destinations import TRANSPORTS
from integrations.transports.console import ConsoleTransport
from integrations.transports.mail import MailTransport
from integrations.transports.slack import SlackTransport
from integrations.transports.teams_graph import TeamsGraphTransport
from integrations.transports.teams_user import TeamsUserTransport
from integrations.transports.teams_webhook import TeamsWebhookTransport

TRANSPORTS.register(SlackTransport())
TRANSPORTS.register(TeamsGraphTransport())
TRANSPORTS.register(TeamsWebhookTransport())
TRANSPORTS.register(TeamsUserTransport())
TRANSPORTS.register(MailTransport())
TRANSPORTS.register(ConsoleTransport())

__all__ = ["TRANSPORTS"]
