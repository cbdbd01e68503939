"""The campaign timetable: opening prompts, reminders and the deadline summary as scheduled jobs.

Each moment is a schedule row (`storage.schedules`) of one of the jobs below; the worker claims
each occurrence once and runs a missed one once when it is back. The jobs only queue posts in the
outbox under stable keys (campaign, moment, group, person, destination), so a job that runs twice
sends nothing twice. A reminder whose run comes after the deadline sends nothing at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, object_session

from bot.core import Services
from bot.destinations import TRANSPORTS, secretariat_destination
from bot.i18n import t as catalogue_t
from bot.jobs import JobFunction, short_destination
from bot.markup import esc
from bot.replies import Person, Reply, Section, Table
from commands.status_campaigns import NewCampaign, create_campaign, group_people, local_text
from commands.status_messages import heading, prompt_reply
from commands.status_report import build_report
from storage.forms import StatusCampaign, submissions
from storage.outbox import enqueue
from storage.schedules import add_schedule
from storage.teams import personal_chat

log = logging.getLogger(__name__)


def person_destinations(services: Services, person: Any) -> list[str]:
    """Where a directory person is reached: the terminal always; each set-up transport that can
    reach the handle the directory has for its surface (Slack user id: a DM, a Teams 1:1 chat
    with the bot: a proactive message, e-mail: mail)."""
    session = object_session(person)
    chat = personal_chat(session, person.id) if session is not None else None
    handles = {
        "console": person.id,
        "slack": person.slack_user_id,
        "teams": chat.aad_object_id if chat is not None else None,
        "mail": person.email,
    }
    people = [
        Person(platform=surface, user_id=handle, person_id=person.id, name=person.name)
        for surface, handle in handles.items()
        if handle
    ]
    return TRANSPORTS.reach_all(people, services.settings)


def _enqueue(session: Session, key: str, destination: str, reply: Reply) -> bool:
    return enqueue(session, key=key, destination=destination, reply=reply)


def _send_prompts(
    session: Session,
    services: Services,
    campaign: StatusCampaign,
    moment: str,
    *,
    reminder: bool,
    only_missing: bool,
) -> int:
    """Queue a prompt (or reminder) to each group's leader, deputies in copy; returns the count."""
    language = services.settings.language
    zone = services.settings.timezone
    done = submissions(session, campaign.id) if only_missing else {}
    queued = 0
    for group_id in campaign.groups:
        if group_id in done:
            continue
        people = group_people(session, group_id, language)
        leader_names = (
            " og ".join(p.name for p in people.leaders)
            if language != "en"
            else " and ".join(p.name for p in people.leaders)
        )
        recipients: list[tuple[Any, str | None]] = [(p, None) for p in people.leaders]
        recipients += [(p, leader_names or None) for p in people.deputies]
        if not recipients:
            log.info(
                "campaign %s: %s has no leader or deputy in the directory; only admins "
                "can answer for it",
                campaign.name,
                group_id,
            )
        for person, copy_of in recipients:
            reply = prompt_reply(
                name=person.name,
                campaign_id=campaign.id,
                campaign_name=campaign.name,
                group_id=group_id,
                group_title=people.title,
                deadline_at=campaign.deadline_at,
                zone=zone,
                language=language,
                copy_of=copy_of,
                reminder=reminder,
            )
            for destination in person_destinations(services, person):
                key = (
                    f"status:{campaign.id}:{moment}:{group_id}:{person.id}:"
                    f"{short_destination(destination)}"
                )
                queued += _enqueue(session, key, destination, reply)
    return queued


def open_campaign(
    session: Session, services: Services, campaign: StatusCampaign, now: datetime
) -> int:
    """Open a campaign and queue the prompts (idempotent); returns posts newly queued."""
    if now >= campaign.deadline_at:
        log.info("campaign %s: not opened, its deadline has passed", campaign.name)
        return 0
    if campaign.state == "scheduled":
        campaign.state = "open"
        campaign.opened_at = now
    if campaign.state != "open":
        return 0
    return _send_prompts(session, services, campaign, "open", reminder=False, only_missing=True)


def send_reminders(
    session: Session, services: Services, campaign: StatusCampaign, index: int, now: datetime
) -> int:
    """Remind the groups with no submission; nothing once the deadline has passed."""
    if now >= campaign.deadline_at:
        log.info("campaign %s: reminder %s skipped, the deadline has passed", campaign.name, index)
        return 0
    if campaign.state == "scheduled" and now >= campaign.opens_at:
        open_campaign(session, services, campaign, now)
    if campaign.state != "open":
        return 0
    return _send_prompts(
        session, services, campaign, f"remind{index}", reminder=True, only_missing=True
    )


def summary_reply(session: Session, services: Services, campaign: StatusCampaign) -> Reply:
    """The deadline summary: submitted (by whom, when), missing, and reported deviations."""
    language = services.settings.language
    zone = services.settings.timezone
    report = build_report(session, campaign, zone, language)

    t = partial(catalogue_t, language)

    submitted = [g for g in report.groups if g.submitted_by is not None]
    missing = [g for g in report.groups if g.submitted_by is None]
    question = report.deviation_question()
    rows = [
        (
            g.id,
            g.submitted_by or "",
            local_text(g.submitted_at, zone) if g.submitted_at else "",
            report.deviations(g),
        )
        for g in submitted
    ]
    now = services.clock.now()
    first = (
        t(
            f"Fristen for «{campaign.name}» er ute ({local_text(campaign.deadline_at, zone)}).",
            f"The deadline for “{campaign.name}” has passed "
            f"({local_text(campaign.deadline_at, zone)}).",
        )
        if now >= campaign.deadline_at
        else t(
            f"Status så langt for «{campaign.name}» "
            f"(frist {local_text(campaign.deadline_at, zone)}).",
            f"Status so far for “{campaign.name}” "
            f"(deadline {local_text(campaign.deadline_at, zone)}).",
        )
    )
    lines = [
        first,
        t(
            f"Sendt inn: {len(submitted)} av {len(report.groups)}.",
            f"Submitted: {len(submitted)} of {len(report.groups)}.",
        ),
    ]
    lines += [
        f"- {g.id}: {esc(g.submitted_by or '')}, {local_text(g.submitted_at, zone)}"
        for g in submitted
        if g.submitted_at
    ]
    lines.append(
        t("Mangler: ", "Missing: ") + (", ".join(g.id for g in missing) or t("ingen", "none"))
    )
    deviations = [g for g in submitted if question and g.answers.get(question.id) is True]
    follow_ups = [
        q.id
        for q in report.form.questions
        if question and q.when and q.when.question == question.id
    ]
    described = []
    for g in deviations:
        details = [g.answers[k] for k in follow_ups if g.answers.get(k)]
        described.append(f"- {g.id}: " + (esc(str(details[0])) if details else t("ja", "yes")))
    lines.append(
        t("Rapporterte avvik:", "Reported deviations:")
        + ("\n" + "\n".join(described) if described else t(" ingen", " none"))
    )
    parts: list[Any] = [
        heading(t(f"Statusrunde: {campaign.name}", f"Status round: {campaign.name}")),
        Section("\n".join(lines[:2])),
    ]
    columns = (
        t("Gruppe", "Group"),
        t("Sendt inn av", "Submitted by"),
        t("Tidspunkt", "At"),
        t("Avvik", "Deviations"),
    )
    if rows:
        parts.append(Table(columns=columns, rows=tuple(rows)))
    parts.append(Section(lines[-2]))
    parts.append(Section(lines[-1]))
    return Reply(
        text="\n".join(lines),
        parts=tuple(parts),
        language=language,  # type: ignore[arg-type]
        intent="status_summary",
    )


def close_campaign(
    session: Session, services: Services, campaign: StatusCampaign, now: datetime
) -> int:
    """Close at the deadline and post the summary to the secretariat channel (once)."""
    if campaign.state != "closed":
        campaign.state = "closed"
        campaign.closed_at = now
    destination = secretariat_destination(services.settings)
    if destination is None:
        log.warning(
            "campaign %s closed; SECRETARIAT_CHANNEL is not set, so the summary is only "
            "shown by `norcrin-bot status summary`",
            campaign.name,
        )
        return 0
    reply = summary_reply(session, services, campaign)
    return int(
        _enqueue(
            session,
            f"status:{campaign.id}:deadline:{short_destination(destination)}",
            destination,
            reply,
        )
    )


# -- scheduling -------------------------------------------------------------------------------


def schedule_campaign(session: Session, campaign: StatusCampaign, *, timezone: str) -> list[int]:
    """Store the campaign's moments as schedules of the jobs below; returns their ids."""
    ids = []
    if campaign.state == "scheduled":
        ids.append(
            add_schedule(
                session,
                job="status_open",
                args={"campaign": campaign.id},
                at=campaign.opens_at,
                timezone=timezone,
            )
        )
    for index, instant in enumerate(campaign.reminders, 1):
        ids.append(
            add_schedule(
                session,
                job="status_reminder",
                args={"campaign": campaign.id, "reminder": index},
                at=datetime.fromisoformat(instant),
                timezone=timezone,
            )
        )
    ids.append(
        add_schedule(
            session,
            job="status_deadline",
            args={"campaign": campaign.id},
            at=campaign.deadline_at,
            timezone=timezone,
        )
    )
    campaign.schedule_ids = [str(i) for i in ids]
    return ids


def _campaign(session: Session, args: dict[str, Any]) -> StatusCampaign | None:
    campaign = session.get(StatusCampaign, int(args.get("campaign", 0)))
    if campaign is None:
        log.warning("status job for unknown campaign %s", args.get("campaign"))
    return campaign


def status_open_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    with services.db.session() as session:
        campaign = _campaign(session, args)
        if campaign is not None:
            open_campaign(session, services, campaign, services.clock.now())


def status_reminder_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    with services.db.session() as session:
        campaign = _campaign(session, args)
        if campaign is not None:
            send_reminders(
                session, services, campaign, int(args.get("reminder", 0)), services.clock.now()
            )


def status_deadline_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    with services.db.session() as session:
        campaign = _campaign(session, args)
        if campaign is not None:
            close_campaign(session, services, campaign, services.clock.now())


# The jobs of a campaign's schedules, by the name `schedules.job` stores.
JOBS: dict[str, JobFunction] = {
    "status_open": status_open_job,
    "status_reminder": status_reminder_job,
    "status_deadline": status_deadline_job,
}


@dataclass(frozen=True)
class Launched:
    """What `launch_campaign` did, for the CLI and the Slack confirmation."""

    id: int
    name: str
    form_id: str
    groups: list[str]
    opens_at: datetime
    deadline_at: datetime
    reminders: list[datetime]
    opened: bool
    queued: int
    leaderless: list[str]


def launch_campaign(services: Services, spec: NewCampaign, *, created_by: str) -> Launched:
    """Create a campaign, schedule its moments and, when it opens now, queue the prompts.

    Raises CampaignError / FormDefinitionError with a message for the user.
    """
    now = services.clock.now()
    zone = services.settings.timezone
    with services.db.session() as session:
        campaign = create_campaign(session, spec, now=now, zone=zone, created_by=created_by)
        queued = open_campaign(session, services, campaign, now) if campaign.opens_at <= now else 0
        schedule_campaign(session, campaign, timezone=zone.key)
        launched = Launched(
            id=campaign.id,
            name=campaign.name,
            form_id=campaign.form_id,
            groups=list(campaign.groups),
            opens_at=campaign.opens_at,
            deadline_at=campaign.deadline_at,
            reminders=[datetime.fromisoformat(r) for r in campaign.reminders],
            opened=campaign.state == "open",
            queued=queued,
            leaderless=[g for g in campaign.groups if not group_people(session, g).answerers],
        )
    return launched


def launched_reply(launched: Launched, zone: Any, language: str) -> Reply:
    t = partial(catalogue_t, language)

    lines = [
        t(
            f"Statusrunden «{esc(launched.name)}» er opprettet.",
            f"The status round “{esc(launched.name)}” is created.",
        ),
        t("Grupper: ", "Groups: ") + ", ".join(launched.groups),
        t("Åpner: ", "Opens: ")
        + (t("nå", "now") if launched.opened else local_text(launched.opens_at, zone)),
        t("Frist: ", "Deadline: ") + local_text(launched.deadline_at, zone),
        t("Påminnelser: ", "Reminders: ")
        + (", ".join(local_text(r, zone) for r in launched.reminders) or "—"),
    ]
    if launched.leaderless:
        lines.append(
            t(
                "Uten leder i katalogen (bare administratorer kan svare): ",
                "No leader in the directory (only admins can answer): ",
            )
            + ", ".join(launched.leaderless)
        )
    text = "\n".join(lines)
    return Reply(
        text=text,
        parts=(Section(text),),
        language=language,  # type: ignore[arg-type]
        intent="status_created",
    )
