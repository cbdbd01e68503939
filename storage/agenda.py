"""Meetings, agenda items and proposals, with the network's numbering and time slots.

Item numbers are derived, not stored: `N-YYYY` counts the numbered items of the same series in the
same (local) year, meeting by meeting in start order and item by item in agenda order, so a
reordered or inserted item renumbers consistently and January starts again at 1. Breaks and lunch
take time but no number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, and_, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.models import Base
from storage.types import UTCDateTime

KINDS = ("decision", "discussion", "orientation", "break")
OSLO = ZoneInfo("Europe/Oslo")

OPENING_ITEMS = {
    "nb": (
        "Godkjenning av innkalling og dagsorden",
        "Godkjenning av referat fra forrige møte",
    ),
    "en": ("Approval of the notice and agenda", "Approval of the minutes of the last meeting"),
}


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    series: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(1000))
    destinations: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(4), default="nb")
    post_days_before: Mapped[int] = mapped_column(Integer, default=7)
    schedule_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    source_event_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    presenter: Mapped[str | None] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="decision")
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)

    meeting: Mapped[Meeting] = relationship(back_populates="items")


class Proposal(Base):
    __tablename__ = "agenda_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    presenter: Mapped[str | None] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer, default=10)
    kind: Mapped[str] = mapped_column(String(20), default="discussion")
    note: Mapped[str | None] = mapped_column(Text)
    proposer: Mapped[str] = mapped_column(String(200))
    proposer_destination: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgendaError(ValueError):
    """A user-facing problem with an agenda request."""


@dataclass(frozen=True)
class Slot:
    """An item placed in time: `number` is None for breaks."""

    item: AgendaItem
    number: str | None
    start: datetime  # local (Europe/Oslo)
    end: datetime


def local(when: datetime, tz: ZoneInfo = OSLO) -> datetime:
    return when.astimezone(tz)


def create_meeting(
    session: Session,
    *,
    series: str,
    title: str,
    start: datetime,
    end: datetime | None = None,
    place: str | None = None,
    online_url: str | None = None,
    destinations: list[str] | None = None,
    owner: str | None = None,
    language: str = "nb",
    post_days_before: int = 7,
    default_items: bool = True,
    source_event_id: str | None = None,
    now: datetime | None = None,
) -> Meeting:
    if start.tzinfo is None:
        raise AgendaError("the start time must be timezone-aware")
    if not series.strip() or not title.strip():
        raise AgendaError("a meeting needs a series and a title")
    meeting = Meeting(
        series=series.strip(),
        title=title.strip(),
        start_at=start.astimezone(UTC),
        end_at=end.astimezone(UTC) if end else None,
        place=place,
        online_url=online_url,
        destinations=list(destinations or []),
        owner=owner,
        language=language if language in OPENING_ITEMS else "nb",
        post_days_before=post_days_before,
        schedule_ids=[],
        source_event_id=source_event_id,
        created_at=now or datetime.now(UTC),
    )
    session.add(meeting)
    session.flush()
    if default_items:
        for title_text in OPENING_ITEMS[meeting.language]:
            add_item(session, meeting, title=title_text, minutes=5, kind="decision")
    return meeting


def get_meeting(session: Session, meeting_id: int | str) -> Meeting:
    try:
        key = int(str(meeting_id).strip())
    except ValueError:
        raise AgendaError(f"{meeting_id!r} is not a meeting id") from None
    meeting = session.get(Meeting, key)
    if meeting is None:
        raise AgendaError(f"no meeting with id {key}")
    return meeting


def upcoming_meetings(session: Session, now: datetime, limit: int = 20) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.start_at >= now - timedelta(hours=12))
            .order_by(Meeting.start_at)
            .limit(limit)
        )
    )


def add_item(
    session: Session,
    meeting: Meeting,
    *,
    title: str,
    minutes: int,
    presenter: str | None = None,
    kind: str = "decision",
    attachments: list[str] | None = None,
    position: int | None = None,
) -> AgendaItem:
    """Append (or insert at 1-based `position`) an item; later items move down."""
    if kind not in KINDS:
        raise AgendaError(f"kind must be one of {', '.join(KINDS)}")
    if not title.strip():
        raise AgendaError("an item needs a title")
    if not 0 < minutes <= 24 * 60:
        raise AgendaError("minutes must be between 1 and 1440")
    items = list(meeting.items)
    item = AgendaItem(
        meeting_id=meeting.id,
        title=title.strip(),
        presenter=(presenter or "").strip() or None,
        minutes=minutes,
        kind=kind,
        attachments=list(attachments or []),
        position=0,
    )
    index = len(items) if position is None else max(0, min(position - 1, len(items)))
    items.insert(index, item)
    meeting.items.append(item)
    _renumber_positions(items)
    session.flush()
    return item


def _renumber_positions(items: list[AgendaItem]) -> None:
    for index, item in enumerate(items, start=1):
        item.position = index


def get_item(session: Session, item_id: int | str) -> AgendaItem:
    try:
        item = session.get(AgendaItem, int(str(item_id)))
    except ValueError:
        item = None
    if item is None:
        raise AgendaError(f"no agenda item with id {item_id}")
    return item


def move_item(session: Session, item: AgendaItem, position: int) -> None:
    items = [i for i in item.meeting.items if i.id != item.id]
    items.insert(max(0, min(position - 1, len(items))), item)
    _renumber_positions(items)
    session.flush()


def edit_item(item: AgendaItem, **changes: Any) -> None:
    for name in ("title", "presenter", "minutes", "kind"):
        value = changes.get(name)
        if value is None:
            continue
        if name == "kind" and value not in KINDS:
            raise AgendaError(f"kind must be one of {', '.join(KINDS)}")
        if name == "minutes" and not 0 < int(value) <= 1440:
            raise AgendaError("minutes must be between 1 and 1440")
        setattr(item, name, int(value) if name == "minutes" else str(value).strip())


def remove_item(session: Session, item: AgendaItem) -> None:
    meeting = item.meeting
    meeting.items.remove(item)
    session.delete(item)
    _renumber_positions(list(meeting.items))
    session.flush()


def _year_bounds(start: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    year = start.astimezone(tz).year
    return (
        datetime(year, 1, 1, tzinfo=tz).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC),
    )


def numbers_before(session: Session, meeting: Meeting, tz: ZoneInfo = OSLO) -> int:
    """Numbered items of the same series in the same year, in meetings before this one."""
    lo, hi = _year_bounds(meeting.start_at, tz)
    earlier = or_(
        Meeting.start_at < meeting.start_at,
        and_(Meeting.start_at == meeting.start_at, Meeting.id < meeting.id),
    )
    query = (
        select(func.count(AgendaItem.id))
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(
            func.lower(Meeting.series) == meeting.series.lower(),
            Meeting.start_at >= lo,
            Meeting.start_at < hi,
            earlier,
            AgendaItem.kind != "break",
        )
    )
    return int(session.scalar(query) or 0)


def slots(session: Session, meeting: Meeting, tz: ZoneInfo = OSLO) -> list[Slot]:
    """Items with their numbers and local time slots, from the start and the durations."""
    year = meeting.start_at.astimezone(tz).year
    counter = numbers_before(session, meeting, tz)
    cursor = meeting.start_at.astimezone(tz)
    out: list[Slot] = []
    for item in meeting.items:
        end = (cursor.astimezone(UTC) + timedelta(minutes=item.minutes)).astimezone(tz)
        number = None
        if item.kind != "break":
            counter += 1
            number = f"{counter}-{year}"
        out.append(Slot(item=item, number=number, start=cursor, end=end))
        cursor = end
    return out


def meeting_end(session: Session, meeting: Meeting) -> datetime:
    """The stated end, else the end of the last item (at least the start)."""
    if meeting.end_at:
        return meeting.end_at
    planned = slots(session, meeting)
    return planned[-1].end.astimezone(UTC) if planned else meeting.start_at


def add_proposal(
    session: Session,
    meeting: Meeting,
    *,
    title: str,
    proposer: str,
    proposer_destination: str | None,
    minutes: int = 10,
    presenter: str | None = None,
    kind: str = "discussion",
    note: str | None = None,
    now: datetime,
) -> Proposal:
    if kind not in KINDS or kind == "break":
        raise AgendaError("a proposed item is a decision, discussion or orientation")
    if not title.strip():
        raise AgendaError("a proposal needs a title")
    proposal = Proposal(
        meeting_id=meeting.id,
        title=title.strip(),
        presenter=(presenter or "").strip() or None,
        minutes=max(1, min(int(minutes), 600)),
        kind=kind,
        note=note,
        proposer=proposer,
        proposer_destination=proposer_destination,
        status="pending",
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    return proposal


def get_proposal(session: Session, proposal_id: int | str) -> Proposal:
    try:
        proposal = session.get(Proposal, int(str(proposal_id)))
    except ValueError:
        proposal = None
    if proposal is None:
        raise AgendaError(f"no proposal with id {proposal_id}")
    return proposal


def pending_proposals(session: Session, meeting_id: int | None = None) -> list[Proposal]:
    query = select(Proposal).where(Proposal.status == "pending").order_by(Proposal.id)
    if meeting_id is not None:
        query = query.where(Proposal.meeting_id == meeting_id)
    return list(session.scalars(query))
