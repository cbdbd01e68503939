"""Campaigns on a fixed clock: prompts, reminders only to non-submitters, the deadline summary,
permissions, editing with history, and the compiled report (JSON, Markdown golden file, .docx)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from bot.clock import FixedClock
from bot.core import Bot
from commands.status_campaigns import NewCampaign, reminder_times
from commands.status_delivery import launch_campaign, send_reminders
from commands.status_report import build_report, to_docx, to_json, to_markdown
from integrations.runtime.worker import Worker
from storage.forms import StatusCampaign, StatusFilling
from storage.outbox import OutboxPost
from storage.schedules import Schedule, ScheduleRun
from tests.support.slack_api import FakeSlackAPI
from tests.support.status import (
    BOT_TOKEN,
    OSLO,
    console_person,
    give_slack_ids,
    make_status_bot,
    oslo,
    say,
    say_all,
)

GOLDEN = Path(__file__).parent / "golden" / "status_report.md"
AP8_ANSWERS = [
    "Månedlige Teams-møter.",
    "OnePager for AP8",
    "12",
    "Ny representant fra Ahus.",
    "OnePager; DM SOP",
    "nei",
    "hopp over",
    "send inn",
]
AP10_ANSWERS = [
    "Kurset går som planlagt.",
    "Nytt kull",
    "3",
    "ingen",
    "hopp over",
    "ja",
    "Forsinket revisjon av kursmodul 4.",
    "Mer støtte til kursadmin.",
    "send inn",
]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(oslo(2026, 3, 2, 10, 0))


@pytest.fixture
def status_bot(sqlite_url: str, clock: FixedClock, fake_slack: FakeSlackAPI) -> Iterator[Bot]:
    bot = make_status_bot(
        sqlite_url,
        clock,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=fake_slack.base_url,
        SECRETARIAT_CHANNEL="C0SEKR",
    )
    give_slack_ids(bot)
    yield bot
    bot.services.db.dispose()


def _launch(bot: Bot, groups: list[str] | None = None, deadline: str = "2026-03-31") -> int:
    spec = NewCampaign(
        name="Vårmøtet 2026",
        deadline=deadline,
        opens="now",
        groups=groups or ["AP8", "AP9", "AP10"],
    )
    return launch_campaign(bot.services, spec, created_by="test").id


def _dm_texts(fake: FakeSlackAPI, user_id: str) -> list[str]:
    return [
        c.params.get("text", "")
        for c in fake.calls("chat.postMessage")
        if c.params.get("channel") == f"D{user_id}"
    ]


def test_reminders_stay_at_nine_oslo_time_across_dst() -> None:
    opens, deadline = oslo(2026, 3, 2, 10, 0), oslo(2026, 3, 31, 23, 59)
    times = reminder_times(opens, deadline, (7, 2, 0), OSLO)
    assert [t.astimezone(OSLO).strftime("%d.%m %H:%M") for t in times] == [
        "24.03 09:00",
        "29.03 09:00",
        "31.03 09:00",
    ]
    # 09:00 is 08:00Z before the change on 29 March and 07:00Z after it
    assert [t.hour for t in times] == [8, 7, 7]


def test_prompts_reminders_and_deadline_summary(
    status_bot: Bot, clock: FixedClock, fake_slack: FakeSlackAPI
) -> None:
    campaign_id = _launch(status_bot)
    worker = Worker(status_bot.services, grace=timedelta(days=2))
    worker.run_once()
    # leaders are prompted, deputies get a copy; everyone in scope, nobody else
    for user in ("U0CECILIE", "U0ANNE", "U0ERICA", "U0SANDRA", "U0TANJA", "U0KIRSTI"):
        assert len(_dm_texts(fake_slack, user)) == 1, user
    assert "nestleder" in _dm_texts(fake_slack, "U0ANNE")[0]
    assert not _dm_texts(fake_slack, "U0HELEN") and not _dm_texts(fake_slack, "U0INGER")

    cecilie = console_person(status_bot, "cecilie-moe")
    replies = say(status_bot, cecilie, "status")
    assert "AP8 Datahåndtering" in replies[0].text or "1/7" in replies[0].text
    say_all(status_bot, cecilie, AP8_ANSWERS)

    # the first reminder (24 March 09:00) goes only to the groups without a submission
    clock.set(oslo(2026, 3, 24, 9, 1))
    worker.run_once()
    for user in ("U0ERICA", "U0SANDRA", "U0TANJA", "U0KIRSTI"):
        texts = _dm_texts(fake_slack, user)
        assert len(texts) == 2 and texts[1].startswith("Påminnelse"), user
    assert len(_dm_texts(fake_slack, "U0CECILIE")) == 1
    assert len(_dm_texts(fake_slack, "U0ANNE")) == 1
    worker.run_once()  # nothing twice
    assert len(_dm_texts(fake_slack, "U0ERICA")) == 2

    tanja = console_person(status_bot, "tanja-igland")
    say(status_bot, tanja, "status")  # AP10 only: AP3 is not in this campaign
    say_all(status_bot, tanja, AP10_ANSWERS)

    # a reminder that runs after the deadline sends nothing
    clock.set(oslo(2026, 4, 1, 0, 5))
    with status_bot.services.db.session() as session:
        campaign = session.get(StatusCampaign, campaign_id)
        assert send_reminders(session, status_bot.services, campaign, 3, clock.now()) == 0
    worker.run_once()
    # the 31 March 09:00 reminder ran late (after the deadline) and sent nothing
    with status_bot.services.db.session() as session:
        ran = session.execute(
            select(Schedule.args, ScheduleRun.status)
            .join(ScheduleRun, ScheduleRun.schedule_id == Schedule.id)
            .where(Schedule.job == "status_reminder")
        ).all()
    assert {(args["reminder"], status) for args, status in ran} >= {(1, "done"), (3, "done")}
    assert len(_dm_texts(fake_slack, "U0ERICA")) == 2
    summary = [c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == "C0SEKR"]
    assert len(summary) == 1
    text = summary[0].params["text"]
    assert "Sendt inn: 2 av 3" in text
    assert "AP8: Cecilie Moe" in text and "AP10: Tanja Igland" in text
    assert "Mangler: AP9" in text
    assert "AP10: Forsinket revisjon av kursmodul 4." in text
    worker.run_once()
    assert (
        len([c for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == "C0SEKR"])
        == 1
    )
    with status_bot.services.db.session() as session:
        keys = list(
            session.scalars(
                select(OutboxPost.key).where(OutboxPost.key.like(f"status:{campaign_id}:remind%"))
            )
        )
    assert keys and not any(":AP8:" in k for k in keys)
    # after the deadline, the form no longer takes answers
    assert "ingen statusskjema" in say(status_bot, cecilie, "status")[0].text


def test_missed_reminder_is_sent_once_when_the_worker_is_back(
    status_bot: Bot, clock: FixedClock, fake_slack: FakeSlackAPI
) -> None:
    _launch(status_bot, groups=["AP9"])
    worker = Worker(status_bot.services)  # default grace (6 h)
    worker.run_once()
    clock.set(oslo(2026, 3, 24, 13, 0))  # down from 09:00 to 13:00
    worker.run_once()
    worker.run_once()
    assert [t.startswith("Påminnelse") for t in _dm_texts(fake_slack, "U0ERICA")] == [False, True]


def test_non_leader_is_refused_politely_naming_who_can(status_bot: Bot) -> None:
    _launch(status_bot)
    inger = console_person(status_bot, "inger-tvenning")
    reply = say(status_bot, inger, "status AP8")[0]
    assert reply.intent == "refused"
    assert "Cecilie Moe" in reply.text and "Anne Caroline Wiik" in reply.text
    assert "ingen statusskjema" in say(status_bot, inger, "status")[0].text
    with status_bot.services.db.session() as session:
        assert session.scalars(select(StatusFilling)).all() == []


def test_leader_of_several_groups_is_asked_which(status_bot: Bot) -> None:
    _launch(status_bot, groups=["AP3", "AP10"])
    tanja = console_person(status_bot, "tanja-igland")
    chooser = say(status_bot, tanja, "status")[0]
    assert "AP3 Monitorering" in chooser.text and "AP10" in chooser.text
    first = say(status_bot, tanja, "2")[0]
    assert "AP10" in first.text or "1/7" in first.text
    # the deputy (Helen is AP3's leader) may answer AP3 too, without mixing answers
    say(status_bot, tanja, "AP10-status")
    helen = console_person(status_bot, "helen-heyerdal")
    say(status_bot, helen, "status")
    say(status_bot, helen, "AP3-status")
    say(status_bot, tanja, "AP10-fokus")
    with status_bot.services.db.session() as session:
        rows = {
            (r.respondent, r.group_id): r.answers for r in session.scalars(select(StatusFilling))
        }
    assert rows[("tanja-igland", "AP10")] == {"status": "AP10-status", "focus": "AP10-fokus"}
    assert rows[("helen-heyerdal", "AP3")] == {"status": "AP3-status"}


def test_edit_after_submit_keeps_history_and_leaderless_groups(
    status_bot: Bot, clock: FixedClock
) -> None:
    campaign_id = _launch(status_bot, groups=["AP8", "GCP"])
    cecilie = console_person(status_bot, "cecilie-moe")
    say(status_bot, cecilie, "status")
    say_all(status_bot, cecilie, AP8_ANSWERS)
    clock.advance(timedelta(days=1))
    anne = console_person(status_bot, "anne-caroline-wiik")
    reopened = say(status_bot, anne, "status AP8")[0]
    assert "allerede sendt inn" in reopened.text or "Alle spørsmål" in reopened.text
    say_all(status_bot, anne, ["endre 3", "14", "send inn"])
    # GCP has no leader in the directory: a member is refused, an admin may answer
    refusal = say(status_bot, console_person(status_bot, "cecilie-moe"), "status GCP")[0]
    assert "bare sekretariatet" in refusal.text
    with status_bot.services.db.session() as session:
        report = to_json(build_report(session, session.get(StatusCampaign, campaign_id), OSLO))
    ap8, gcp = report["groups"]
    assert ap8["answers"]["meetings"] == 14
    assert [h["action"] for h in ap8["history"]] == ["submitted", "edited"]
    assert ap8["history"][1]["by_name"] == "Anne Caroline Wiik"
    assert ap8["history"][1]["changes"] == {"meetings": {"from": 12, "to": 14}}
    assert gcp == {
        "id": "GCP",
        "submitted_by": None,
        "submitted_at": None,
        "answers": {},
        "history": [],
    }


def _two_submissions(bot: Bot, clock: FixedClock) -> int:
    campaign_id = _launch(bot, groups=["AP8", "AP9", "AP10"])
    clock.set(oslo(2026, 3, 10, 14, 5))
    say(bot, console_person(bot, "cecilie-moe"), "status")
    say_all(bot, console_person(bot, "cecilie-moe"), AP8_ANSWERS)
    clock.set(oslo(2026, 3, 12, 8, 30))
    say(bot, console_person(bot, "tanja-igland"), "status")
    say_all(bot, console_person(bot, "tanja-igland"), AP10_ANSWERS)
    return campaign_id


def test_report_json_markdown_golden_and_docx(
    status_bot: Bot, clock: FixedClock, tmp_path: Path
) -> None:
    campaign_id = _two_submissions(status_bot, clock)
    with status_bot.services.db.session() as session:
        report = build_report(session, session.get(StatusCampaign, campaign_id), OSLO)
    data = to_json(report)
    assert list(data) == ["campaign", "deadline", "groups"]
    assert data["deadline"] == "2026-03-31"
    assert [g["id"] for g in data["groups"]] == ["AP8", "AP9", "AP10"]
    assert data["groups"][0]["submitted_by"] == "Cecilie Moe"
    assert data["groups"][0]["submitted_at"] == "2026-03-10T14:05:00+01:00"
    assert data["groups"][1]["submitted_by"] is None
    assert data["groups"][2]["answers"]["deviations"] is True

    assert to_markdown(report) == GOLDEN.read_text(encoding="utf-8")

    path = tmp_path / "report.docx"
    to_docx(report, path)
    document = Document(str(path))
    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style.name.startswith("Heading") or p.style.name == "Title"
    ]
    assert ("Title", "Statusrapport: Vårmøtet 2026") in headings
    for title in (
        "AP8 Datahåndtering",
        "AP9 Statistikk",
        "AP10 Nasjonalt kurs for studiesykepleiere",
    ):
        assert ("Heading 1", title) in headings
    assert ("Heading 2", "Avvik jfr. fremdriftsplan") in headings
    overview = document.tables[0]
    assert [c.text for c in overview.rows[0].cells] == [
        "Gruppe",
        "Sendt inn av",
        "Tidspunkt",
        "Avvik",
    ]
    assert [c.text for c in overview.rows[1].cells] == [
        "AP8 Datahåndtering",
        "Cecilie Moe",
        "10.03.2026 14:05",
        "Nei",
    ]
    assert overview.rows[3].cells[3].text == "Ja"
    people = document.tables[1]
    assert people.rows[0].cells[1].text == "Cecilie Moe (OUS)"
    assert "Forsinket revisjon av kursmodul 4." in [p.text for p in document.paragraphs]
