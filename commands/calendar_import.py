"""Meetings from an Outlook/Teams calendar (Graph calendarView), matched idempotently.

An event is matched by its Graph id (`meetings.source_event_id`): re-reading the calendar updates
a moved meeting and adds nothing twice. A malformed event is reported and skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from commands import posts
from storage.agenda import Meeting, create_meeting

if TYPE_CHECKING:
    from bot.core import Services

_SERIES = (
    (re.compile(r"\b(styre|board)", re.I), "Board"),
    (re.compile(r"\bAU\b"), "AU"),
    (re.compile(r"\b(AP|WP)\s?(\d{1,2})\b", re.I), "AP"),
    (re.compile(r"(prosjektmøte|project meeting)", re.I), "Project meeting"),
    (re.compile(r"(strategigruppe|strategy group)", re.I), "Strategy group"),
)


def guess_series(subject: str, default: str | None) -> str:
    if default:
        return default
    for pattern, series in _SERIES:
        match = pattern.search(subject)
        if match:
            return f"AP{int(match.group(2))}" if series == "AP" else series
    return "Meeting"


@dataclass
class CalendarReport:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def import_calendar(
    services: Services,
    *,
    user: str,
    start: datetime,
    end: datetime,
    series: str | None = None,
    destinations: list[str] | None = None,
) -> CalendarReport:
    events, problems = services.calendar.read(user, start, end)
    report = CalendarReport(problems=problems)
    now = services.clock.now()
    with services.db.session() as session:
        for event in events:
            meeting = session.scalar(select(Meeting).where(Meeting.source_event_id == event.id))
            if meeting is None:
                meeting = create_meeting(
                    session, series=guess_series(event.subject, series), title=event.subject,
                    start=event.start, end=event.end, place=event.location,
                    online_url=event.online_url, destinations=list(destinations or []),
                    language=services.settings.language, source_event_id=event.id, now=now,
                )
                posts.schedule_meeting_posts(session, meeting, now)
                report.added.append(meeting.id)
                continue
            changed = (meeting.title, meeting.start_at, meeting.end_at, meeting.place) != (
                event.subject, event.start, event.end, event.location)
            if not changed:
                report.unchanged += 1
                continue
            meeting.title, meeting.start_at, meeting.end_at = event.subject, event.start, event.end
            meeting.place = event.location
            posts.schedule_meeting_posts(session, meeting, now)
            posts.refresh_agenda(session, meeting, services.settings.timezone)
            report.updated.append(meeting.id)
    return report
