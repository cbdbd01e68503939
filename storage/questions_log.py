"""The teach-back loop's tables: asked questions, triage items for the secretariat, taught answers.

Privacy by construction: `question_log` never holds who asked; a triage item holds the asker only
while a reply is owed (open), and forgets them when it is answered or dismissed. `purge` removes
everything older than `QUESTION_LOG_DAYS`. Taught answers are the network's knowledge, not logs:
they keep the wording as taught and the admin who taught it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.text import (
    code_term,
    concept_term,
    concepts,
    content_words,
    document_codes,
    stems,
    words,
)
from storage.models import Base
from storage.types import UTCDateTime

KEY_LENGTH = 500
TRIAGE_STATUSES = ("open", "answered", "dismissed")
TRIAGE_REASONS = ("declined", "thumbs_down")
TAUGHT_KINDS = ("document", "group", "person", "text")
MAX_QUESTION = 1000


class QuestionLog(Base):
    """One question and how it went; no asker (see the module docstring)."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True)
    language: Mapped[str] = mapped_column(String(4))
    surface: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))  # answered | declined | taught | other
    feedback: Mapped[str | None] = mapped_column(String(8))  # up | down
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    guesses: Mapped[list[Any]] = mapped_column(JSON, default=list)


class TriageItem(Base):
    """A question the secretariat may answer: declined by the bot, or given a 👎."""

    __tablename__ = "triage_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_log.id", ondelete="SET NULL")
    )
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True)
    language: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True, default="open")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    asker: Mapped[str | None] = mapped_column(String(200))
    asker_destination: Mapped[str | None] = mapped_column(String(300))
    guesses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    passed_on_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    taught_id: Mapped[int | None] = mapped_column(Integer)


class TaughtAnswer(Base):
    """An admin's answer to a wording; later questions with the same key get it first."""

    __tablename__ = "taught_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(KEY_LENGTH), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    taught_by: Mapped[str] = mapped_column(String(200))
    taught_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TeachbackError(ValueError):
    """A bad id or value from an admin; the message is safe to show."""


def question_key(text: str) -> str:
    """What two wordings share when they mean the same: sorted stems, concepts and codes.

    Case, punctuation, word order, inflection ("leads"/"leading": the shortest of a word's
    Norwegian and English stems) and stop words drop out; a question made only of stop words
    keeps them, so "hva er det?" still has a key.
    """
    tokens = [t for t in content_words(text) if len(t) > 1] or words(text)
    found = {min(stems(t), key=lambda s: (len(s), s)) for t in tokens if stems(t)}
    found |= {concept_term(c) for c in concepts(words(text))}
    found |= {code_term(c) for c in document_codes(text)}
    return " ".join(sorted(found))[:KEY_LENGTH]


# -- the log ---------------------------------------------------------------------------------------


def log_question(
    session: Session,
    *,
    text: str,
    language: str,
    surface: str,
    intent: str,
    outcome: str,
    guesses: list[dict[str, str]],
    now: datetime,
    key: str | None = None,
) -> QuestionLog:
    row = QuestionLog(
        asked_at=now,
        question=text[:MAX_QUESTION],
        question_key=key if key is not None else question_key(text),
        language=language,
        surface=surface[:16],
        intent=intent[:16],
        outcome=outcome,
        guesses=guesses,
    )
    session.add(row)
    session.flush()
    return row


def record_feedback(session: Session, log_id: int, value: str, now: datetime) -> QuestionLog:
    row = session.get(QuestionLog, log_id)
    if row is None:
        raise TeachbackError(f"question {log_id} is no longer in the log")
    row.feedback = value
    row.feedback_at = now
    return row


# -- triage ----------------------------------------------------------------------------------------


def open_item(
    session: Session,
    *,
    log: QuestionLog,
    reason: str,
    asker: str | None,
    asker_destination: str | None,
    now: datetime,
) -> TriageItem:
    """The open item for a logged question and reason (one per question and reason)."""
    existing = session.scalar(
        select(TriageItem).where(
            TriageItem.question_log_id == log.id, TriageItem.reason == reason
        )
    )
    if existing is not None:
        return existing
    item = TriageItem(
        question_log_id=log.id,
        question=log.question,
        question_key=log.question_key,
        language=log.language,
        reason=reason,
        status="open",
        asked_at=now,
        asker=asker,
        asker_destination=asker_destination,
        guesses=list(log.guesses or []),
    )
    session.add(item)
    session.flush()
    return item


def get_item(session: Session, item_id: int | str) -> TriageItem:
    item = session.get(TriageItem, int(item_id)) if str(item_id).isdigit() else None
    if item is None:
        raise TeachbackError(f"no triage item {item_id}")
    return item


def list_items(session: Session, status: str | None = None) -> list[TriageItem]:
    query = select(TriageItem).order_by(TriageItem.id)
    if status:
        query = query.where(TriageItem.status == status)
    return list(session.scalars(query))


def close_item(
    session: Session, item: TriageItem, *, status: str, by: str, now: datetime,
    taught_id: int | None = None,
) -> None:
    """Answered or dismissed: no reply is owed any more, so the asker is forgotten."""
    if item.status != "open":
        raise TeachbackError(f"triage item {item.id} is already {item.status}")
    item.status = status
    item.closed_by = by[:200]
    item.closed_at = now
    item.taught_id = taught_id
    item.asker = None
    item.asker_destination = None


# -- taught answers --------------------------------------------------------------------------------


def teach(
    session: Session, *, question: str, kind: str, ref: str | None, text: str | None, by: str,
    now: datetime,
) -> TaughtAnswer:
    """Store a taught answer; an earlier active one for the same key is retired."""
    key = question_key(question)
    for old in session.scalars(
        select(TaughtAnswer).where(TaughtAnswer.question_key == key, TaughtAnswer.active)
    ):
        old.active = False
        old.retired_at = now
    row = TaughtAnswer(
        question=question[:MAX_QUESTION], question_key=key, kind=kind, ref=ref, text=text,
        taught_by=by[:200], taught_at=now, active=True,
    )
    session.add(row)
    session.flush()
    return row


def active_keys(session: Session) -> frozenset[str]:
    """The keys that have an active taught answer (few: one per taught wording)."""
    query = select(TaughtAnswer.question_key).where(TaughtAnswer.active)
    return frozenset(session.scalars(query))


def taught_for(session: Session, text: str, key: str | None = None) -> TaughtAnswer | None:
    """The active taught answer for a wording, newest first."""
    return session.scalar(
        select(TaughtAnswer)
        .where(TaughtAnswer.question_key == (key or question_key(text)), TaughtAnswer.active)
        .order_by(TaughtAnswer.taught_at.desc(), TaughtAnswer.id.desc())
        .limit(1)
    )


def get_taught(session: Session, taught_id: int | str) -> TaughtAnswer:
    row = session.get(TaughtAnswer, int(taught_id)) if str(taught_id).isdigit() else None
    if row is None:
        raise TeachbackError(f"no taught answer {taught_id}")
    return row


def list_taught(session: Session, *, include_retired: bool = False) -> list[TaughtAnswer]:
    query = select(TaughtAnswer).order_by(TaughtAnswer.id)
    if not include_retired:
        query = query.where(TaughtAnswer.active)
    return list(session.scalars(query))


def retire(session: Session, taught_id: int | str, now: datetime) -> TaughtAnswer:
    row = get_taught(session, taught_id)
    if not row.active:
        raise TeachbackError(f"taught answer {row.id} is already retired")
    row.active = False
    row.retired_at = now
    return row


# -- statistics and retention ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStats:
    since: datetime | None
    asked: int
    answered: int
    declined: int
    taught: int
    thumbs_up: int
    thumbs_down: int
    open_triage: int
    top_unanswered: list[tuple[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.date().isoformat() if self.since else None,
            "asked": self.asked,
            "answered": self.answered,
            "declined": self.declined,
            "taught": self.taught,
            "thumbs_up": self.thumbs_up,
            "thumbs_down": self.thumbs_down,
            "open_triage": self.open_triage,
            "top_unanswered": [{"question": q, "count": n} for q, n in self.top_unanswered],
        }


def stats(session: Session, since: datetime | None = None, top: int = 10) -> QuestionStats:
    """Counts over the log since `since`; "unanswered" = declined or given a 👎, by key."""
    window = [QuestionLog.asked_at >= since] if since else []

    def count(*conditions: Any) -> int:
        query = select(func.count(QuestionLog.id)).where(*window, *conditions)
        return int(session.scalar(query) or 0)

    misses = session.execute(
        select(QuestionLog.question_key, QuestionLog.question)
        .where(*window, (QuestionLog.outcome == "declined") | (QuestionLog.feedback == "down"))
        .order_by(QuestionLog.id.desc())
    ).all()
    counts: Counter[str] = Counter(key for key, _ in misses)
    latest: dict[str, str] = {}
    for key, wording in misses:
        latest.setdefault(key, wording)  # newest wording first
    open_query = select(func.count(TriageItem.id)).where(TriageItem.status == "open")
    if since:
        open_query = open_query.where(TriageItem.asked_at >= since)
    return QuestionStats(
        since=since,
        asked=count(),
        answered=count(QuestionLog.outcome.in_(("answered", "taught"))),
        declined=count(QuestionLog.outcome == "declined"),
        taught=count(QuestionLog.outcome == "taught"),
        thumbs_up=count(QuestionLog.feedback == "up"),
        thumbs_down=count(QuestionLog.feedback == "down"),
        open_triage=int(session.scalar(open_query) or 0),
        top_unanswered=[(latest[k], n) for k, n in counts.most_common(top)],
    )


def purge(session: Session, now: datetime, days: int) -> tuple[int, int]:
    """Delete log rows and triage items older than `days`; returns (log rows, items) removed.

    An open item that old is dropped too: after that long the answer is owed to no one.
    """
    cutoff = now - timedelta(days=days)
    items = session.execute(delete(TriageItem).where(TriageItem.asked_at < cutoff))
    logs = session.execute(delete(QuestionLog).where(QuestionLog.asked_at < cutoff))
    return int(getattr(logs, "rowcount", 0) or 0), int(getattr(items, "rowcount", 0) or 0)
