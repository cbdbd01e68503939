"""Queueing agendas and digests, and the scheduled jobs that do it.

An agenda is posted once per destination under the key `agenda:MEETING:DEST`; later changes are
queued as edits of that post (`update_of`), so a channel sees one agenda message that stays
current instead of a new message per change. Reminders, minutes skeletons and digests are keyed
by (schedule, occurrence, destination) like every other scheduled post.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.destinations import TRANSPORTS
from bot.i18n import t
from bot.jobs import JobFunction, post_key, short_destination
from bot.markup import esc, link
from bot.replies import Actions, Button, Heading, Note, Reply, Section
from commands.agenda_views import agenda_reply, minutes_reply, reminder_reply
from storage import outbox, schedules
from storage.agenda import Meeting, get_meeting, meeting_end
from storage.news import Digest, NewsItem, items_by_ids, make_digest, pending_items
from storage.outbox import OutboxPost

if TYPE_CHECKING:
    from bot.core import Services

log = logging.getLogger(__name__)

NEWS_URL = "https://www.norcrin.no/aktuelt/"


def _digest_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


def agenda_key(meeting_id: int, destination: str) -> str:
    return f"agenda:{meeting_id}:{short_destination(destination)}"


def publish_agenda(
    session: Session,
    meeting: Meeting,
    destinations: list[str],
    tz: Any,
    *,
    edits_only: bool = False,
) -> list[str]:
    """Queue the agenda for each destination: a first post, or an in-place edit if it changed.

    Returns the outbox keys that now need delivering (nothing when the agenda is unchanged).
    """
    reply = agenda_reply(session, meeting, tz)
    payload = outbox.reply_to_dict(reply)
    keys: list[str] = []
    for destination in destinations:
        editable = TRANSPORTS.editable(destination)  # refuses an unknown kind at once
        key = agenda_key(meeting.id, destination)
        original = outbox.get_post(session, key)
        if original is None:
            if not edits_only and outbox.enqueue(session, key=key, destination=destination,
                                                 reply=reply):
                keys.append(key)
            continue
        versions = list(session.scalars(
            select(OutboxPost).where(OutboxPost.update_of == key).order_by(OutboxPost.id)))
        latest = versions[-1].payload if versions else original.payload
        if latest == payload:
            continue
        if not versions and outbox.replace_pending_payload(session, key, reply):
            keys.append(key)  # not sent yet: the first post simply carries the new agenda
            continue
        if not editable:
            continue  # webhook and mail posts cannot be edited; no second copy is sent
        edit_key = f"{key}:rev{len(versions) + 1}:{_digest_hash(payload)}"
        if outbox.enqueue(session, key=edit_key, destination=destination, reply=reply,
                          update_of=key):
            keys.append(edit_key)
    return keys


def posted_destinations(session: Session, meeting_id: int) -> list[str]:
    rows = session.scalars(
        select(OutboxPost.destination).where(
            OutboxPost.key.like(f"agenda:{meeting_id}:%"), OutboxPost.update_of.is_(None)
        )
    )
    return list(dict.fromkeys(rows))


def refresh_agenda(session: Session, meeting: Meeting, tz: Any) -> list[str]:
    """After any agenda change: edit every agenda post already queued or sent, in place."""
    session.flush()
    session.expire(meeting, ["items"])
    return publish_agenda(session, meeting, posted_destinations(session, meeting.id), tz,
                          edits_only=True)


def schedule_meeting_posts(session: Session, meeting: Meeting, now: datetime) -> list[int]:
    """(Re)plan the agenda post N days before, the reminder the day before and the minutes
    skeleton after the meeting, to the meeting's destinations.

    Re-planning (after every `agenda add`, move or edit) updates the meeting's schedules in place:
    one that has not run yet gets its new time, one that has run stays as it is (its post is
    edited in place instead), and one no longer planned is removed — no inactive copies pile up.
    """
    planned: dict[str, schedules.Schedule] = {}
    for schedule_id in meeting.schedule_ids or []:
        row = session.get(schedules.Schedule, schedule_id)
        if row is not None and row.active:
            planned[row.job] = row
    ids: list[int] = []
    plan: list[tuple[str, datetime]] = []
    if meeting.destinations and meeting.start_at > now:
        post_at = max(now, meeting.start_at - timedelta(days=meeting.post_days_before))
        plan = [("agenda", post_at), ("agenda-reminder", meeting.start_at - timedelta(days=1)),
                ("agenda-minutes", meeting_end(session, meeting) + timedelta(minutes=30))]
        plan = [(name, at) for name, at in plan
                if not (name == "agenda-reminder" and (at <= post_at or at <= now))]
    for name, at in plan:
        row = planned.pop(name, None)
        if row is not None and schedules.runs(session, row.id):
            ids.append(row.id)  # already ran: the posted agenda is edited in place
        elif row is not None:
            row.at = at.astimezone(UTC)
            row.destinations = list(meeting.destinations)
            ids.append(row.id)
        else:
            ids.append(schedules.add_schedule(
                session, job=name, args={"meeting": meeting.id},
                destinations=list(meeting.destinations), at=at, now=now,
            ))
    for row in planned.values():  # no longer planned
        if schedules.runs(session, row.id):
            row.active = False
        else:
            session.delete(row)
    meeting.schedule_ids = ids
    return ids


# -- digests -----------------------------------------------------------------------------------


def _short_date(when: datetime, language: str, tz: Any) -> str:
    local = when.astimezone(tz)
    return local.strftime(t(language, "%d.%m.%Y", "%d %b %Y"))


def digest_reply(items: list[NewsItem], language: str, tz: Any) -> Reply:
    title = t(language, "Nytt fra NorCRIN", "News from NorCRIN")
    parts: list[Any] = [Heading(title)]
    lines = []
    for item in items:
        line = f"*{link(item.link, item.title)}*\n{_short_date(item.published_at, language, tz)}"
        if item.summary:
            line += " — " + esc(item.summary)
        parts.append(Section(line))
        lines.append(f"{item.title} ({_short_date(item.published_at, language, tz)}) {item.link}")
    if not items:
        parts.append(Section(t(language, "Ingen nye saker.", "No new items.")))
    parts.append(Actions((Button("norcrin.no", url=NEWS_URL),)))
    parts.append(Note(f"{len(items)} {t(language, 'saker', 'items')}"))
    return Reply(text=title + "\n" + "\n".join(lines), parts=tuple(parts),
                 language=language, intent="digest")  # type: ignore[arg-type]


def digest_markdown(items: list[NewsItem], language: str, tz: Any) -> str:
    title = t(language, "Nytt fra NorCRIN", "News from NorCRIN")
    out = [f"# {title}", ""]
    for item in items:
        date = item.published_at.astimezone(tz).date().isoformat()
        line = f"- **[{item.title}]({item.link})** ({date})"
        if item.summary:
            line += f" — {item.summary}"
        out.append(line)
    if not items:
        out.append(t(language, "_Ingen nye saker._", "_No new items._"))
    return "\n".join(out) + "\n"


def queue_digest(
    session: Session, *, key: str, destinations: list[str], now: datetime, language: str, tz: Any,
    min_items: int = 1, key_prefix: str | None = None,
) -> tuple[Digest | None, list[str]]:
    digest = make_digest(session, key=key, now=now, min_items=min_items)
    if digest is None:
        return None, []
    reply = digest_reply(items_by_ids(session, list(digest.item_ids)), language, tz)
    keys = []
    for destination in destinations:
        post = f"{key_prefix or f'digest:{digest.id}'}:{short_destination(destination)}"
        outbox.enqueue(session, key=post, destination=destination, reply=reply)
        keys.append(post)
    return digest, keys


def preview_items(session: Session) -> list[NewsItem]:
    return pending_items(session)


# -- jobs --------------------------------------------------------------------------------------


def _tz(services: Services) -> Any:
    return services.settings.timezone


def digest_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    """Gather news since the last digest; with `min_items`, wait until that many have come."""
    with services.db.session() as session:
        digest, _ = queue_digest(
            session,
            key=f"s{args.get('schedule_id')}:{occurrence.astimezone(UTC).isoformat()}",
            destinations=list(args.get("destinations") or []),
            now=services.clock.now(),
            language=str(args.get("language") or services.settings.language),
            tz=_tz(services),
            min_items=int(args.get("min_items") or 1),
            key_prefix=post_key(args, occurrence, "").rstrip(":"),
        )
    if digest is None:
        log.info("digest: not enough new items at %s; nothing posted", occurrence.isoformat())


def agenda_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    """Post the agenda (or bring an earlier post up to date, in place)."""
    with services.db.session() as session:
        meeting = get_meeting(session, args["meeting"])
        publish_agenda(session, meeting, list(args.get("destinations") or meeting.destinations),
                       _tz(services))


def reminder_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    _post_about_meeting(services, args, occurrence, reminder_reply)


def minutes_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    _post_about_meeting(services, args, occurrence, minutes_reply)


def _post_about_meeting(
    services: Services,
    args: dict[str, Any],
    occurrence: datetime,
    build: Callable[[Session, Meeting, Any], Reply],
) -> None:
    """Queue one post about a meeting to each destination, keyed by schedule and occurrence."""
    with services.db.session() as session:
        meeting = get_meeting(session, args["meeting"])
        reply = build(session, meeting, _tz(services))
        for destination in args.get("destinations") or meeting.destinations:
            outbox.enqueue(session, key=post_key(args, occurrence, destination),
                           destination=destination, reply=reply)


# The jobs this module runs, by the name `schedules.job` stores.
DIGEST_JOBS: dict[str, JobFunction] = {"digest": digest_job}
AGENDA_JOBS: dict[str, JobFunction] = {
    "agenda": agenda_job,
    "agenda-reminder": reminder_job,
    "agenda-minutes": minutes_job,
}
