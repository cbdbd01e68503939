"""Asking a bot one question as `norcrin-bot ask --json` does, for the answer-quality tests."""

from __future__ import annotations

from typing import Any

from bot.replies import Message, Person
from storage import directory


def ask(bot: Any, text: str) -> dict[str, Any]:
    """The `ask --json` object of the bot's one reply to `text` from a terminal user."""
    [reply] = bot.handle(Message(text=text, sender=Person("cli", "t")))
    return dict(reply.as_json())


def assert_document_first(bot: Any, question: str, acceptable: set[str]) -> None:
    """The question is answered with documents, one of `acceptable` (ids) first."""
    answer = ask(bot, question)
    assert answer["intent"] == "document", answer
    assert answer["results"][0]["id"] in acceptable, answer


def holder_ids(db: Any, group: str | None = None, roles: list[str] | None = None) -> set[str]:
    """The ids of the people the directory lists with one of `roles` in `group` (any, if None):
    tests read expected people from the data, so a data correction does not break them."""
    with db.session() as session:
        return {h.person.id for h in directory.role_holders(
            session, group_ids=[group] if group else None, roles=roles)}
