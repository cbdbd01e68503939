"""Forms are a mode, not a trap (issue 8, items 1–3): an idle form pauses, questions and bot
commands typed mid-form are answered without being recorded, `svar:` forces an answer, commands
match only as whole commands, and every recorded answer is echoed as it was understood — in the
terminal (the bot's console surface) and over Slack (signed HTTP to the real bolt app)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.clock import FixedClock
from bot.core import Bot
from bot.replies import Reply
from commands.status_campaigns import NewCampaign
from commands.status_delivery import launch_campaign
from storage.forms import PAUSED, StatusFilling
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import serve_slack
from tests.support.slack_signing import block_actions_payload, message_event
from tests.support.status import (
    BOT_TOKEN,
    SIGNING_SECRET,
    console_person,
    give_slack_ids,
    make_status_bot,
    oslo,
    say,
    wait_for,
)

DATED_FORM = """
id: check
title: {nb: Statussjekk, en: Status check}
questions:
  - id: status
    type: long_text
    text:
      nb: Status – hva har gruppen gjort?
      en: Status – what has the group done?
  - id: last_meeting
    type: date
    text:
      nb: Når var siste møte?
      en: When was the last meeting?
  - id: meetings
    type: number
    validation: {min: 0, integer: true}
    text:
      nb: Hvor mange møter?
      en: How many meetings?
  - id: deviations
    type: yes_no
    text:
      nb: Avvik?
      en: Deviations?
  - id: phase
    type: single_choice
    text: {nb: Fase, en: Phase}
    options:
      - {value: plan, label: {nb: Planlegging, en: Planning}}
      - {value: run, label: {nb: Gjennomføring, en: Running}}
"""


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def filling(bot: Bot, campaign_id: int | None = None) -> StatusFilling:
    with bot.services.db.session() as session:
        query = session.query(StatusFilling)
        if campaign_id is not None:
            query = query.filter_by(campaign_id=campaign_id)
        row = query.one()
        session.expunge(row)
        return row


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(oslo(2026, 3, 2, 10, 0))


@pytest.fixture
def form_file(tmp_path: Path) -> Path:
    path = tmp_path / "check.yaml"
    path.write_text(DATED_FORM, encoding="utf-8")
    return path


def launch(bot: Bot, form: str | None = None, name: str = "Vårmøtet 2026") -> int:
    spec = NewCampaign(name=name, deadline="2026-03-31", opens="now", groups=["AP8"], form=form)
    return launch_campaign(bot.services, spec, created_by="test").id


@pytest.fixture
def status_bot(sqlite_url: str, clock: FixedClock) -> Iterator[Bot]:
    bot = make_status_bot(sqlite_url, clock, FORM_IDLE_MINUTES="30")
    yield bot
    bot.services.db.dispose()


def test_questions_and_commands_mid_form_are_answered_not_recorded(
    status_bot: Bot, form_file: Path
) -> None:
    launch(status_bot, str(form_file))
    cecilie = console_person(status_bot, "cecilie-moe")
    assert "1/5" in text_of(say(status_bot, cecilie, "status"))

    aside = say(status_bot, cecilie, "hvem leder AP8?")
    assert "Cecilie Moe" in aside[0].text and aside[0].intent != "status"  # the answer itself
    assert aside[-1].text.endswith("1/5 Status – hva har gruppen gjort?")  # asked again
    for command in ("help", "hjelp", "sop SUSAR", "wp 8", "contact UNN", "agenda"):
        replies = say(status_bot, cecilie, command)
        assert len(replies) == 2 and replies[-1].text.endswith("gjort?"), command
    assert filling(status_bot).answers == {}

    # a real answer that starts with a command word is an answer (whole commands only)
    replies = say(status_bot, cecilie, "Status er at vi har hatt tre møter")
    assert replies[0].text.startswith("Lagret: Status er at vi har hatt tre møter")
    assert "2/5 Når var siste møte?" in replies[0].text
    # a question that should be recorded, with svar:
    say(status_bot, cecilie, "tilbake")
    replies = say(status_bot, cecilie, "svar: Hva skjedde? Vi møttes tre ganger.")
    assert "Lagret: Hva skjedde? Vi møttes tre ganger." in replies[0].text
    assert filling(status_bot).answers == {"status": "Hva skjedde? Vi møttes tre ganger."}
    # not plainly a question: no question mark at the end, or no question word first
    for answer, why in (("Hvem som helst kan delta", "no ?"), ("Møtene går bra?", "no word")):
        say(status_bot, cecilie, "tilbake")
        assert f"Lagret: {answer}" in say(status_bot, cecilie, answer)[0].text, why


def test_strict_answers_are_refused_with_examples_and_echoed(
    status_bot: Bot, form_file: Path
) -> None:
    launch(status_bot, str(form_file))
    cecilie = console_person(status_bot, "cecilie-moe")
    say(status_bot, cecilie, "status")
    say(status_bot, cecilie, "Alt går bra.")
    for wrong in ("32. februar", "45. mai", "99", "12.03.26", "neste år", "12. mars 2099"):
        reply = say(status_bot, cecilie, wrong)[0]
        assert f"«{wrong}»" in reply.text, wrong  # the refusal quotes what was written
        assert "2/5" in reply.text, wrong
    assert "finnes" in say(status_bot, cecilie, "32. februar")[0].text
    assert "f.eks. 12. mars" in say(status_bot, cecilie, "45. mai")[0].text
    assert "fire sifre" in say(status_bot, cecilie, "12.03.26")[0].text
    assert "sjekk året" in say(status_bot, cecilie, "12. mars 2099")[0].text
    assert "last_meeting" not in filling(status_bot).answers
    # a day and month without a year: this campaign's period (deadline 31.03.2026), never 2045
    assert say(status_bot, cecilie, "12. februar")[0].text.startswith("Lagret: 12.02.2026")
    for wrong in ("tre", "3 møter", "nan", "-1", "2,5"):
        assert "3/5" in say(status_bot, cecilie, wrong)[0].text, wrong
    assert say(status_bot, cecilie, "12")[0].text.startswith("Lagret: 12\n")
    refused = say(status_bot, cecilie, "kanskje")[0].text
    assert "Svar ja eller nei" in refused
    assert say(status_bot, cecilie, "nei")[0].text.startswith("Lagret: Nei")
    refused = say(status_bot, cecilie, "ferdig med det")[0].text
    assert "1. Planlegging, 2. Gjennomføring" in refused
    review = say(status_bot, cecilie, "2")[0].text
    assert review.startswith("Lagret: Gjennomføring") and "send inn" in review
    assert filling(status_bot).answers == {
        "status": "Alt går bra.",
        "last_meeting": "2026-02-12",
        "meetings": 12,
        "deviations": False,
        "phase": "run",
    }


def test_an_idle_form_pauses_and_waits(any_db_url: str, clock: FixedClock, form_file: Path) -> None:
    bot = make_status_bot(any_db_url, clock, FORM_IDLE_MINUTES="20")
    campaign = launch(bot, str(form_file), name=f"Pause {uuid.uuid4().hex[:6]}")
    try:
        cecilie = console_person(bot, "cecilie-moe")
        say(bot, cecilie, "status")
        say(bot, cecilie, "Alt går bra.")
        clock.advance(timedelta(minutes=19))
        assert "2/5" in say(bot, cecilie, "32. februar")[0].text  # still active after 19 min
        clock.advance(timedelta(minutes=20))

        replies = say(bot, cecilie, "12. februar")  # handled as usual: not recorded
        assert replies[-1].text == (
            "Statusskjemaet for AP8 Datahåndtering venter på deg (spørsmål 2 av 5) – "
            "skriv `status` for å fortsette."
        )
        assert "Lagret" not in text_of(replies)
        row = filling(bot, campaign)
        assert row.status == PAUSED and row.answers == {"status": "Alt går bra."}
        # paused is stored, not remembered: a bot on the same database sees it
        other = make_status_bot(any_db_url, clock)
        try:
            later = say(other, cecilie, "hvem leder AP8?")
            assert "Cecilie Moe" in later[0].text and len(later) == 1  # no note the second time
            resumed = say(other, cecilie, "status")
            assert "Vi fortsetter der du slapp" in resumed[0].parts[0].text  # type: ignore[union-attr]
            assert resumed[0].text == "2/5 Når var siste møte?"
            assert say(other, cecilie, "12. februar")[0].text.startswith("Lagret: 12.02.2026")
        finally:
            other.services.db.dispose()
    finally:
        forget_campaign(bot, campaign)  # leave the shared PostgreSQL database as it was
        bot.services.db.dispose()


def forget_campaign(bot: Bot, campaign_id: int) -> None:
    from storage.forms import StatusCampaign
    from storage.outbox import OutboxPost
    from storage.schedules import Schedule

    with bot.services.db.session() as session:
        row = session.get(StatusCampaign, campaign_id)
        assert row is not None
        for schedule_id in row.schedule_ids:
            session.query(Schedule).filter_by(id=int(schedule_id)).delete()
        session.query(StatusFilling).filter_by(campaign_id=campaign_id).delete()
        session.query(OutboxPost).filter(OutboxPost.key.like(f"status:{campaign_id}:%")).delete(
            synchronize_session=False
        )
        session.delete(row)


def test_form_idle_minutes_is_a_checked_setting() -> None:
    from bot.config import ConfigError, load_settings

    assert load_settings({"DATABASE_URL": "sqlite://"}).form_idle_minutes == 30
    assert (
        load_settings({"DATABASE_URL": "sqlite://", "FORM_IDLE_MINUTES": "5"}).form_idle_minutes
        == 5
    )
    with pytest.raises(ConfigError, match="FORM_IDLE_MINUTES"):
        load_settings({"DATABASE_URL": "sqlite://", "FORM_IDLE_MINUTES": "soon"})


# -- Slack: the same rules in a DM, and a multi-line message is one answer ---------------------


def test_the_same_rules_over_slack(
    sqlite_url: str, clock: FixedClock, fake_slack: FakeSlackAPI, form_file: Path
) -> None:
    bot = make_status_bot(
        sqlite_url,
        clock,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.base_url,
    )
    give_slack_ids(bot)
    launch(bot, str(form_file))
    channel = "DU0CECILIE"

    def posts() -> list[dict[str, Any]]:
        return [
            c.params for c in fake_slack.calls("chat.postMessage") if c.params["channel"] == channel
        ]

    try:
        with serve_slack(bot, fake_slack) as served:

            def dm(text: str, count: int = 1) -> list[dict[str, Any]]:
                before = len(posts())
                event = message_event(text, user="U0CECILIE", channel=channel, channel_type="im")
                assert served.http.send_event(event).status == 200
                return wait_for(
                    lambda: len(p := posts()) >= before + count and p[before:], what=text
                )

            def click(post: dict[str, Any], value_end: str) -> list[dict[str, Any]]:
                for block in post["blocks"]:
                    Block.parse(block)  # every payload is valid Block Kit
                button = next(
                    e
                    for b in post["blocks"]
                    if b["type"] == "actions"
                    for e in b["elements"]
                    if e.get("value", "").endswith(value_end)
                )
                before = len(posts())
                payload = block_actions_payload(
                    "U0CECILIE", button["action_id"], button["value"], channel_id=channel
                )
                assert served.http.send_interaction(payload).status == 200
                return wait_for(lambda: len(p := posts()) > before and p[before:], what=value_end)

            assert "1/5" in dm("status")[0]["text"]
            answer, again = dm("hvem leder AP8?", count=2)
            assert "Cecilie Moe" in answer["text"] and again["text"].endswith("gjort?")
            helped, again = dm("help", count=2)
            assert helped["text"] != again["text"] and again["text"].endswith("gjort?")
            saved = dm("Status er at vi har hatt tre møter")[0]["text"]
            assert saved.startswith("Lagret: Status er at vi har hatt tre møter\n2/5")
            dm("tilbake")
            saved = dm("Tre møter:\n- januar\n- februar")[0]["text"]
            assert saved.startswith("Lagret:\nTre møter:\n- januar\n- februar")
            assert "finnes" in dm("32. februar")[0]["text"]
            assert dm("12. februar")[0]["text"].startswith("Lagret: 12.02.2026")
            yes_no = dm("svar: 12")[0]
            assert yes_no["text"].startswith("Lagret: 12\n4/5")
            phase = click(yes_no, "|deviations|no")[0]
            assert phase["text"].startswith("Lagret: Nei\n5/5")
            clock.advance(timedelta(minutes=31))
            answer, note = dm("wp 8", count=2)
            assert "AP8" in answer["text"] and "skriv `status` for å fortsette" in note["text"]
            assert filling(bot).status == PAUSED
            # a button of the paused form takes it up again, unchanged
            review = click(phase, "|phase|run")[0]
            assert review["text"].startswith("Lagret: Gjennomføring\nAlle spørsmål er besvart")
    finally:
        bot.services.db.dispose()
    row = filling(bot)
    assert row.status == "active"
    assert row.answers == {
        "status": "Tre møter:\n- januar\n- februar",
        "last_meeting": "2026-02-12",
        "meetings": 12,
        "deviations": False,
        "phase": "run",
    }
