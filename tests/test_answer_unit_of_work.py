"""A PostgreSQL answer is one unit of work: one pooled connection, one transaction, and a log
row and results that are either both written or both not."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.replies import Message, Person
from storage.provenance import ConversationResults
from storage.questions_log import QuestionLog

pytestmark = pytest.mark.postgres


def _count_round_trip_kinds(bot, text: str) -> dict[str, int]:
    counts = {"checkout": 0, "commit": 0, "statement": 0}
    engine = bot.services.db.engine

    def checkout(*_args: object) -> None:
        counts["checkout"] += 1

    def commit(*_args: object) -> None:
        counts["commit"] += 1

    def statement(*_args: object) -> None:
        counts["statement"] += 1

    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine, "commit", commit)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        bot.handle(Message(text=text, sender=Person("cli", "uow")))
    finally:
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine, "commit", commit)
        event.remove(engine, "before_cursor_execute", statement)
    return counts


@pytest.mark.parametrize("text", ["who leads AP3?", "CV mal for utprøver", "Tanja Iglund"])
def test_an_answer_is_one_connection_and_one_transaction(make_bot, pg_url, text):
    bot = make_bot(pg_url)
    bot.handle(Message(text="warm up", sender=Person("cli", "uow")))
    counts = _count_round_trip_kinds(bot, text)
    assert counts["checkout"] == 1
    assert counts["commit"] == 1
    # open-form check, index version, search, directory, question log, results shown
    assert counts["statement"] <= 10, counts


def test_a_failed_commit_writes_nothing_and_the_person_gets_an_apology(make_bot, pg_url):
    bot = make_bot(pg_url)
    engine = bot.services.db.engine

    def before_commit(_session: Session) -> None:  # the database refuses the message's one commit
        raise RuntimeError("commit refused")

    with bot.services.db.engine.connect() as connection:
        logged = connection.scalar(select(func.count()).select_from(QuestionLog))
    event.listen(Session, "before_commit", before_commit)
    try:
        [reply] = bot.handle(Message(text="who leads AP8?", sender=Person("cli", "uow-fail")))
    finally:
        event.remove(Session, "before_commit", before_commit)
    assert reply.intent == "error"
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(QuestionLog)) == logged
        assert connection.scalar(
            select(func.count())
            .select_from(ConversationResults)
            .where(ConversationResults.conversation.like("%uow-fail%"))
        ) == 0
