"""Status campaigns, form fillings and submissions: the tables and the queries on them.

A filling is one row per respondent, campaign and group, holding the answers so far and the id of
the current question; it is written on every answer, before any reply is sent, so any process can
resume it after a crash. A submission is one row per campaign and group; edits append to its
history (who, when, what changed) instead of overwriting silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, exists, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base
from storage.search import index_version_column, remember_index_version
from storage.types import UTCDateTime

if TYPE_CHECKING:
    from bot.replies import Person

ACTIVE, PAUSED, SUBMITTED, CANCELLED = "active", "paused", "submitted", "cancelled"


class StatusCampaign(Base):
    __tablename__ = "status_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    form_id: Mapped[str] = mapped_column(String(60))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)  # the definition as it was at creation
    groups: Mapped[list[str]] = mapped_column(JSON)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminders: Mapped[list[str]] = mapped_column(JSON, default=list)  # UTC ISO instants
    state: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled/open/closed
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    schedule_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class StatusFilling(Base):
    __tablename__ = "status_fillings"
    __table_args__ = (UniqueConstraint("campaign_id", "group_id", "respondent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("status_campaigns.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str] = mapped_column(String(40))
    respondent: Mapped[str] = mapped_column(String(120), index=True)
    respondent_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    current: Mapped[str | None] = mapped_column(String(60))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(5), default="nb")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusSubmission(Base):
    __tablename__ = "status_submissions"
    __table_args__ = (UniqueConstraint("campaign_id", "group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("status_campaigns.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str] = mapped_column(String(40))
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_by_name: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class StatusChooser(Base):
    """A pending "which group?" question to someone who can answer for several."""

    __tablename__ = "status_choosers"

    respondent: Mapped[str] = mapped_column(String(120), primary_key=True)
    options: Mapped[list[list[Any]]] = mapped_column(JSON)  # [[campaign_id, group_id], …]
    language: Mapped[str] = mapped_column(String(5), default="nb")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- queries ----------------------------------------------------------------------------------


def campaign_by_name(session: Session, name: str) -> StatusCampaign | None:
    found = session.scalar(select(StatusCampaign).where(StatusCampaign.name == name))
    if found is None and name.isdigit():
        found = session.get(StatusCampaign, int(name))
    if found is None:
        wanted = name.strip().lower()
        for campaign in session.scalars(select(StatusCampaign)):
            if campaign.name.lower() == wanted:
                return campaign
    return found


def campaigns(session: Session) -> list[StatusCampaign]:
    return list(session.scalars(select(StatusCampaign).order_by(StatusCampaign.deadline_at)))


def open_campaigns(session: Session, now: datetime) -> list[StatusCampaign]:
    """Campaigns taking answers now: opened and before their deadline."""
    rows = session.scalars(
        select(StatusCampaign)
        .where(StatusCampaign.state == "open", StatusCampaign.deadline_at > now)
        .order_by(StatusCampaign.deadline_at, StatusCampaign.id)
    )
    return list(rows)


def submissions(session: Session, campaign_id: int) -> dict[str, StatusSubmission]:
    rows = session.scalars(
        select(StatusSubmission).where(StatusSubmission.campaign_id == campaign_id)
    )
    return {row.group_id: row for row in rows}


def submission(session: Session, campaign_id: int, group_id: str) -> StatusSubmission | None:
    return session.scalar(
        select(StatusSubmission).where(
            StatusSubmission.campaign_id == campaign_id, StatusSubmission.group_id == group_id
        )
    )


def filling(
    session: Session, campaign_id: int, group_id: str, respondent: str
) -> StatusFilling | None:
    return session.scalar(
        select(StatusFilling).where(
            StatusFilling.campaign_id == campaign_id,
            StatusFilling.group_id == group_id,
            StatusFilling.respondent == respondent,
        )
    )


def active_filling(session: Session, respondent: str, now: datetime) -> StatusFilling | None:
    """The filling that claims this person's next message (the latest active one still open)."""
    rows = session.scalars(
        select(StatusFilling)
        .join(StatusCampaign, StatusCampaign.id == StatusFilling.campaign_id)
        .where(
            StatusFilling.respondent == respondent,
            StatusFilling.status == ACTIVE,
            StatusCampaign.state == "open",
            StatusCampaign.deadline_at > now,
        )
        .order_by(StatusFilling.updated_at.desc(), StatusFilling.id.desc())
        .limit(1)
    )
    return rows.first()


def respondent_key(person: Person) -> str:
    """One key per human across surfaces (the directory id), else per platform account: whose
    fillings and "which group?" rows these are."""
    return person.person_id or f"{person.platform}:{person.user_id}"


def claims_next_message(session: Session, respondent: str, now: datetime) -> bool:
    """Whether a pending "which group?" or an active filling may claim this person's next
    message: one query, so the common case (no open form) costs one round trip. Being every
    message's first read, it also brings the search index's version along."""
    chooser = exists().where(StatusChooser.respondent == respondent)
    filling = (
        exists()
        .where(
            StatusFilling.respondent == respondent,
            StatusFilling.status == ACTIVE,
            StatusCampaign.id == StatusFilling.campaign_id,
            StatusCampaign.state == "open",
            StatusCampaign.deadline_at > now,
        )
    )
    claims, version = session.execute(select(or_(chooser, filling), index_version_column())).one()
    remember_index_version(session, version)
    return bool(claims)


def fillings_of(session: Session, respondent: str) -> list[StatusFilling]:
    return list(
        session.scalars(select(StatusFilling).where(StatusFilling.respondent == respondent))
    )
