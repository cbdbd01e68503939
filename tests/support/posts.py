"""Bots wired to the local Slack and Graph stand-ins, with delivery timings shrunk for tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app import build_bot
from bot.clock import Clock
from bot.config import load_settings
from bot.core import Bot
from integrations.delivery import DeliveryPolicy

FAST_POLICY = DeliveryPolicy(
    lease=timedelta(seconds=5),
    tries_per_claim=3,
    max_attempts=4,
    backoff=0.05,
    backoff_cap=0.2,
    retry_later=timedelta(seconds=1),
    defer_update=timedelta(seconds=1),
)
MAIL_SENDER = "postmottak@norcrin.no"


def posts_env(database_url: str, *, slack: Any = None, graph: Any = None, **extra: str) -> dict:
    env = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "BOT_LANGUAGE": "nb",
        "TZ": "Europe/Oslo",
    }
    if slack is not None:
        env["SLACK_API_URL"] = slack.base_url
    if graph is not None:
        env["GRAPH_BASE_URL"] = graph.base_url
        env["GRAPH_ACCESS_TOKEN"] = "test-graph-token"
        env["GRAPH_MAIL_SENDER"] = MAIL_SENDER
    env.update(extra)
    return env


def make_posts_bot(
    database_url: str,
    *,
    slack: Any = None,
    graph: Any = None,
    clock: Clock | None = None,
    policy: DeliveryPolicy = FAST_POLICY,
    **extra: str,
) -> Bot:
    """A prepared bot whose Slack and Graph calls go to the given fakes over real HTTP."""
    bot = build_bot(load_settings(posts_env(database_url, slack=slack, graph=graph, **extra)),
                    clock=clock)
    bot.services.extras["outbox_policy"] = policy
    return bot


def close_bot(bot: Bot) -> None:
    gateway = bot.services.extras.get("graph")
    if gateway is not None:
        gateway.close()
    bot.services.db.dispose()
