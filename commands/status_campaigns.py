"""Status campaigns: creating them, who answers for which group, submitting, and the timetable.

Platform-neutral: every function takes a session (or the bot's services) and returns data or
replies; prompts, reminders and the deadline summary go out through the shared outbox, keyed so a
job that runs again (a retry, a second worker) never sends anything twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.form_engine import changes, start
from bot.forms import FormDefinition, form_to_data, load_form, parse_form
from bot.interactions import FieldError
from bot.replies import Person
from storage import directory
from storage.forms import (
    ACTIVE,
    PAUSED,
    SUBMITTED,
    StatusCampaign,
    StatusFilling,
    StatusSubmission,
    campaign_by_name,
    fillings_of,
    open_campaigns,
    respondent_key,
    submission,
    submissions,
)
from storage.forms import filling as find_filling

log = logging.getLogger(__name__)

FORMS_DIR = Path(__file__).with_name("forms")
DEFAULT_FORM = "wp_status"
DEFAULT_REMINDER_DAYS = (7, 2, 0)
REMINDER_TIME = time(9, 0)  # "in the morning", local time
DEADLINE_TIME = time(23, 59)  # a date-only deadline means the end of that day, local time
SCOPE_KINDS = ("work_package", "working_group")


class CampaignError(FieldError):
    """A campaign cannot be created or used as asked; the message is for the user and `field`
    names the setting it is about (name, deadline, opens, groups, form), so a form shows it
    under that field."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message, field)


def packaged_forms() -> dict[str, Path]:
    return {p.stem: p for p in sorted(FORMS_DIR.glob("*.yaml"))}


def resolve_form(name: str | None) -> FormDefinition:
    return load_form(name or DEFAULT_FORM, packaged_forms())


def campaign_form(campaign: StatusCampaign) -> FormDefinition:
    return parse_form(campaign.form, f"campaign {campaign.name!r}")


def display_name(person: Person) -> str:
    return person.name or person.user_id


# -- time -------------------------------------------------------------------------------------


def parse_deadline(text: str, zone: ZoneInfo) -> datetime:
    """`YYYY-MM-DD` (end of that day, local) or an ISO date-time (local unless it has an offset)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), DEADLINE_TIME, zone).astimezone(
                ZoneInfo("UTC")
            )
        return _local_instant(datetime.fromisoformat(text), zone)
    except ValueError:
        raise CampaignError(
            f"--deadline {text!r} is not a date (YYYY-MM-DD)", "deadline"
        ) from None


def parse_opens(text: str | None, zone: ZoneInfo, now: datetime) -> datetime:
    if not text or text.strip().lower() in ("now", "nå"):
        return now
    try:
        value = text.strip()
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), REMINDER_TIME, zone).astimezone(
                ZoneInfo("UTC")
            )
        return _local_instant(datetime.fromisoformat(value), zone)
    except ValueError:
        raise CampaignError(
            f"--opens {text!r} is neither 'now' nor an ISO time", "opens"
        ) from None


def _local_instant(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(ZoneInfo("UTC"))


def reminder_times(
    opens_at: datetime, deadline_at: datetime, days: tuple[int, ...], zone: ZoneInfo
) -> list[datetime]:
    """Reminders at 09:00 local time `days` before the deadline's date, between open and deadline.

    Computed on the local calendar then converted, so a reminder stays at 09:00 Oslo time on both
    sides of a daylight-saving change.
    """
    deadline_day = deadline_at.astimezone(zone).date()
    out = []
    for n in sorted(set(days), reverse=True):
        local = datetime.combine(deadline_day - timedelta(days=n), REMINDER_TIME, zone)
        instant = local.astimezone(ZoneInfo("UTC"))
        if opens_at < instant < deadline_at:
            out.append(instant)
    return out


def local_text(instant: datetime, zone: ZoneInfo, *, with_time: bool = True) -> str:
    local = instant.astimezone(zone)
    return local.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


# -- groups and people ------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupPeople:
    group_id: str
    title: str
    leaders: tuple[Any, ...]  # storage.models.Person rows
    deputies: tuple[Any, ...]
    members: tuple[Any, ...]

    @property
    def answerers(self) -> tuple[Any, ...]:
        return self.leaders + self.deputies


def group_people(session: Session, group_id: str, language: str = "nb") -> GroupPeople:
    group = directory.group(session, group_id)
    holders = directory.role_holders(session, group_ids=[group_id])
    by_role: dict[str, list[Any]] = {"leader": [], "deputy": [], "member": []}
    seen: set[str] = set()
    for holder in holders:
        role = holder.role if holder.role in ("leader", "deputy") else "member"
        key = f"{role}:{holder.person.id}"
        if key in seen or (
            role == "member"
            and any(p.id == holder.person.id for p in by_role["leader"] + by_role["deputy"])
        ):
            continue
        seen.add(key)
        by_role[role].append(holder.person)
    return GroupPeople(
        group_id=group_id,
        title=group.title(language) if group else group_id,
        leaders=tuple(by_role["leader"]),
        deputies=tuple(by_role["deputy"]),
        members=tuple(by_role["member"]),
    )


def default_scope(session: Session) -> list[str]:
    """All work packages and working groups, AP1…AP14 in numeric order, then GCP, JUS, INT."""
    rows = [g for g in directory.groups(session) if g.kind in SCOPE_KINDS]
    return [g.id for g in sorted(rows, key=_group_order)]


_WORKING_GROUP_ORDER = ("GCP", "JUS", "INT")


def _group_order(group: Any) -> tuple[int, int, str]:
    """AP1…AP14 numerically, then GCP, JUS, INT (the annual report's order), then the rest."""
    gid = group if isinstance(group, str) else group.id
    if gid.startswith("AP") and gid[2:].isdigit():
        return (0, int(gid[2:]), gid)
    if gid in _WORKING_GROUP_ORDER:
        return (1, _WORKING_GROUP_ORDER.index(gid), gid)
    return (2, 0, gid)


def sort_groups(group_ids: list[str]) -> list[str]:
    return sorted(group_ids, key=lambda g: _group_order(g))


def may_answer(session: Session, person: Person, group_id: str) -> bool:
    if person.is_admin:
        return True
    if not person.person_id:
        return False
    people = group_people(session, group_id)
    return any(p.id == person.person_id for p in people.answerers)


def refusal_text(session: Session, group_id: str, language: str) -> str:
    """A polite no that names who can answer for the group."""
    people = group_people(session, group_id, language)
    names = [p.name for p in people.leaders] + [p.name for p in people.deputies]
    if language == "en":
        who = " and ".join(names) if names else None
        if who:
            return (
                f"Sorry, only the leader and deputy of {people.title} ({who}) or the "
                f"secretariat can submit its status."
            )
        return (
            f"Sorry, {people.title} has no leader in the directory, so only the secretariat "
            f"(administrators) can submit its status."
        )
    who = " og ".join(names) if names else None
    if who:
        return (
            f"Beklager, bare leder og nestleder i {people.title} ({who}) eller sekretariatet "
            f"kan sende inn status for gruppen."
        )
    return (
        f"Beklager, {people.title} har ingen leder i katalogen, så bare sekretariatet "
        f"(administratorer) kan sende inn status for gruppen."
    )


# -- creating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCampaign:
    name: str
    deadline: str
    opens: str | None = None
    groups: list[str] | None = None
    form: str | None = None
    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS


def create_campaign(
    session: Session, spec: NewCampaign, *, now: datetime, zone: ZoneInfo, created_by: str
) -> StatusCampaign:
    """Validate and store a campaign (not yet opened, nothing scheduled)."""
    name = " ".join(spec.name.split())
    if not name:
        raise CampaignError("the campaign needs a name", "name")
    if campaign_by_name(session, name) is not None:
        raise CampaignError(f"a campaign named {name!r} already exists", "name")
    form = resolve_form(spec.form)
    deadline_at = parse_deadline(spec.deadline, zone)
    opens_at = parse_opens(spec.opens, zone, now)
    if deadline_at <= now:
        raise CampaignError(
            f"the deadline {local_text(deadline_at, zone)} has already passed", "deadline"
        )
    if opens_at >= deadline_at:
        raise CampaignError("the campaign must open before its deadline", "deadline")
    if spec.groups:
        wanted = [g.strip().upper().replace(" ", "") for g in spec.groups if g.strip()]
        unknown = [g for g in wanted if directory.group(session, g) is None]
        if unknown:
            known = ", ".join(default_scope(session))
            raise CampaignError(
                f"unknown group(s) {', '.join(unknown)} (known: {known})", "groups"
            )
        groups = sort_groups(list(dict.fromkeys(wanted)))
    else:
        groups = default_scope(session)
    reminders = reminder_times(opens_at, deadline_at, spec.reminder_days, zone)
    campaign = StatusCampaign(
        name=name,
        form_id=form.id,
        form=form_to_data(form),
        groups=groups,
        opens_at=opens_at,
        deadline_at=deadline_at,
        reminders=[r.isoformat() for r in reminders],
        state="scheduled",
        created_by=created_by,
        created_at=now,
        schedule_ids=[],
    )
    session.add(campaign)
    session.flush()
    return campaign


# -- pending forms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    campaign_id: int
    campaign_name: str
    group_id: str
    group_title: str
    deadline_at: datetime
    submitted: bool
    role: str  # leader / deputy / admin


def pending_for(
    session: Session,
    person: Person,
    now: datetime,
    language: str,
    *,
    include_submitted: bool = False,
) -> list[Pending]:
    """Open campaigns' groups this person leads or deputises (not yet submitted unless asked)."""
    if not person.person_id:
        return []
    out: list[Pending] = []
    holders = directory.role_holders(session, roles=["leader", "deputy"])
    mine = {(h.group.id, h.role) for h in holders if h.person.id == person.person_id}
    for campaign in open_campaigns(session, now):
        done = submissions(session, campaign.id)
        for group_id in campaign.groups:
            roles = [role for gid, role in mine if gid == group_id]
            if not roles:
                continue
            submitted = group_id in done
            if submitted and not include_submitted:
                continue
            group = directory.group(session, group_id)
            out.append(
                Pending(
                    campaign.id,
                    campaign.name,
                    group_id,
                    group.title(language) if group else group_id,
                    campaign.deadline_at,
                    submitted,
                    "leader" if "leader" in roles else "deputy",
                )
            )
    return out


# -- fillings and submissions -----------------------------------------------------------------


def open_filling(
    session: Session,
    campaign: StatusCampaign,
    group_id: str,
    person: Person,
    now: datetime,
    language: str,
) -> tuple[StatusFilling, str]:
    """Start, resume or (after a submission) re-open the person's filling for a group.

    Returns the row and what happened: "new", "resumed" or "editing". Other active fillings of
    the same person are paused, so exactly one claims their next message.
    """
    key = respondent_key(person)
    form = campaign_form(campaign)
    row = find_filling(session, campaign.id, group_id, key)
    done = submission(session, campaign.id, group_id)
    for other in fillings_of(session, key):
        if other.status == ACTIVE and other is not row:
            other.status = PAUSED
            other.updated_at = now
    if row is None:
        row = StatusFilling(
            campaign_id=campaign.id,
            group_id=group_id,
            respondent=key,
            respondent_name=display_name(person),
            created_at=now,
            answers={},
        )
        session.add(row)
    if row.status in (ACTIVE, PAUSED) and (row.answers or row.status == PAUSED):
        outcome = "resumed"
        state = start(form, row.answers)
        current = row.current if row.current and form.question(row.current) else state.current
    elif done is not None:
        outcome = "editing"
        state = start(form, done.answers)
        row.answers = dict(done.answers)
        current = state.current
    else:
        outcome = "new"
        row.answers = {}
        current = start(form, {}).current
    row.status = ACTIVE
    row.current = current
    row.language = language
    row.updated_at = now
    session.flush()
    return row, outcome


def save_submission(
    session: Session,
    campaign: StatusCampaign,
    group_id: str,
    person: Person,
    answers: dict[str, Any],
    now: datetime,
) -> tuple[StatusSubmission, dict[str, Any]]:
    """Store the group's one submission, or record an edit of it in its history.

    Returns the row and the change set (empty for a first submission).
    """
    existing = submission(session, campaign.id, group_id)
    who, name = respondent_key(person), display_name(person)
    if existing is None:
        row = StatusSubmission(
            campaign_id=campaign.id,
            group_id=group_id,
            submitted_by=who,
            submitted_by_name=name,
            submitted_at=now,
            updated_at=now,
            answers=dict(answers),
            history=[
                {
                    "at": now.isoformat(),
                    "by": who,
                    "by_name": name,
                    "action": "submitted",
                    "changes": {},
                }
            ],
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # someone else submitted for the group a moment ago
            existing = submission(session, campaign.id, group_id)
            assert existing is not None
        else:
            return row, {}
    diff = changes(existing.answers, answers)
    if diff:
        existing.history = [
            *existing.history,
            {
                "at": now.isoformat(),
                "by": who,
                "by_name": name,
                "action": "edited",
                "changes": diff,
            },
        ]
        existing.answers = dict(answers)
        existing.updated_at = now
    return existing, diff


def finish_filling(row: StatusFilling, answers: dict[str, Any], now: datetime) -> None:
    row.status = SUBMITTED
    row.answers = answers
    row.current = None
    row.updated_at = now


def accepting(campaign: StatusCampaign, now: datetime) -> bool:
    return campaign.state == "open" and now < campaign.deadline_at


def answer_window(campaign: StatusCampaign, zone: ZoneInfo) -> tuple[date, date]:
    """Dates that make sense in this campaign's answers: from a year before it opened to a quarter
    after its deadline. A day-month without year is the next such date from today if that lies
    inside, else the last one before; a date with a year outside is refused ("check the year")."""
    opens = campaign.opens_at.astimezone(zone).date()
    deadline = campaign.deadline_at.astimezone(zone).date()
    return opens - timedelta(days=366), deadline + timedelta(days=92)


def is_idle(row: StatusFilling, now: datetime, idle_minutes: int) -> bool:
    """A filling nobody has touched for `idle_minutes` no longer claims the person's messages."""
    return now - row.updated_at >= timedelta(minutes=idle_minutes)


def reactivate(session: Session, row: StatusFilling, now: datetime) -> None:
    """Make a paused filling the one that claims the person's messages (pausing any other)."""
    for other in fillings_of(session, row.respondent):
        if other.status == ACTIVE and other is not row:
            other.status = PAUSED
            other.updated_at = now
    row.status = ACTIVE
    row.updated_at = now
