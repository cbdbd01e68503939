"""Assembling the Teams surface: the SDK App on our edge adapter and token provider, the core
handlers, then each feature's card verbs."""

from __future__ import annotations

from microsoft_teams.apps import App
from microsoft_teams.common import Client, ClientOptions

from bot.config import TeamsSettings
from bot.core import Bot
from bot.features import Feature, surface_listeners
from commands import FEATURES
from integrations.teams import agenda, handlers, status, teachback
from integrations.teams.app import MESSAGES_PATH, EdgeAdapter, RetryMiddleware, TeamsRuntime
from integrations.teams.auth import ConnectorTokens, InboundAuth

# Teams card verbs and typed-command hooks per feature name (`Feature.listeners`); checked
# against `commands.FEATURES` when the app is built.
LISTENERS = {
    "status": status.register,
    "agenda": agenda.register,
    "teachback": teachback.register,
}


def teams_listeners(features: tuple[Feature, ...]) -> list[str]:
    """The feature names whose Teams listeners to register, in feature order (checked)."""
    return surface_listeners(features, "teams", "Teams", LISTENERS)


def build_teams_app(bot: Bot, settings: TeamsSettings | None = None) -> TeamsRuntime:
    settings = settings or bot.services.settings.teams
    if settings is None:
        raise ValueError("Teams is not configured (TEAMS_APP_ID)")
    tokens = ConnectorTokens(settings)
    client = Client(ClientOptions(timeout=20.0))
    client.use(RetryMiddleware())
    app = App(
        client_id=settings.app_id,
        tenant_id=settings.tenant_id,
        token=tokens,
        client=client,
        http_server_adapter=EdgeAdapter(),
        messaging_endpoint=MESSAGES_PATH,
    )
    runtime = TeamsRuntime(bot=bot, settings=settings, app=app, auth=InboundAuth(settings),
                           tokens=tokens)
    handlers.register(runtime)
    for name in teams_listeners(FEATURES):
        LISTENERS[name](runtime)
    return runtime
