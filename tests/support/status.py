"""Helpers for the status-form tests: bots on a fixed clock, Slack ids for directory people."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.config import load_settings
from bot.core import Bot
from bot.replies import Message, Person, Reply
from integrations.runtime.wiring import build_bot

OSLO = ZoneInfo("Europe/Oslo")
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"

# Directory people the tests act as, with the Slack user ids the tests give them.
SLACK_IDS = {
    "cecilie-moe": "U0CECILIE",  # AP8 leader
    "anne-caroline-wiik": "U0ANNE",  # AP8 deputy
    "erica-ponzi": "U0ERICA",  # AP9 leader
    "sandra-siljeset": "U0SANDRA",  # AP9 deputy
    "tanja-igland": "U0TANJA",  # AP10 leader, AP3 deputy
    "kirsti-soras": "U0KIRSTI",  # AP10 deputy
    "helen-heyerdal": "U0HELEN",  # AP3 leader
    "inger-tvenning": "U0INGER",  # AP8 member (not allowed to submit)
}
ADMIN = "U0ADMIN"


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


def make_status_bot(database_url: str, clock: FixedClock, **env: str) -> Bot:
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "BOT_LANGUAGE": "nb",
            "TZ": "Europe/Oslo",
            "BOT_ADMINS": ADMIN,
            **env,
        }
    )
    return build_bot(settings, clock=clock)


def give_slack_ids(bot: Bot, ids: dict[str, str] = SLACK_IDS) -> None:
    from storage.models import Person as PersonRow

    with bot.services.db.session() as session:
        for person_id, user_id in ids.items():
            row = session.get(PersonRow, person_id)
            assert row is not None, person_id
            row.slack_user_id = user_id


def console_person(bot: Bot, person_id: str, *, admin: bool = False) -> Person:
    from storage.models import Person as PersonRow

    with bot.services.db.session() as session:
        row = session.get(PersonRow, person_id)
        assert row is not None, person_id
        return Person(
            platform="console", user_id=row.id, person_id=row.id, name=row.name, is_admin=admin
        )


def say(bot: Bot, person: Person, text: str) -> list[Reply]:
    return bot.handle(Message(text=text, sender=person, surface="console", channel="console"))


def say_all(bot: Bot, person: Person, lines: list[str]) -> list[Reply]:
    replies: list[Reply] = []
    for line in lines:
        replies = say(bot, person, line)
    return replies


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
