"""Bots wired to the local Slack and Graph stand-ins, with delivery timings shrunk for tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.config import load_settings
from bot.core import Bot
from integrations.delivery import DeliveryPolicy
from integrations.runtime.wiring import build_bot

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
    return build_bot(load_settings(posts_env(database_url, slack=slack, graph=graph, **extra)),
                     clock=clock, policy=policy)


def close_bot(bot: Bot) -> None:
    bot.services.close()
