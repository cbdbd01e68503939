"""Agendas: numbering and time slots as in the real agenda, the script contract, in-place edits
of posted agendas, and proposals from members decided by the owner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core import Bot
from bot.replies import Message, Person
from storage import agenda as store
from storage.outbox import deliver_due
from tests.support.graph_api import FakeGraphAPI
from tests.support.posts import close_bot, make_posts_bot
from tests.support.slack_api import FakeSlackAPI

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def bot(sqlite_url: str, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI) -> Iterator[Bot]:
    instance = make_posts_bot(sqlite_url, slack=fake_slack, graph=fake_graph)
    yield instance
    close_bot(instance)


def last_line(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_the_real_strategy_group_agenda(cli: Any) -> None:
    meeting = last_line(
        cli(
            "agenda",
            "new",
            "--series",
            "Strategigruppe",
            "--title",
            "RHF-enes strategigruppe for forskning",
            "--start",
            "2025-02-12 09:30",
            "--place",
            "Gardermoen, Radisson RED Oslo Airport",
        )
    )
    assert meeting.isdigit()
    cli(
        "agenda",
        "add",
        meeting,
        "--title",
        "Videreføring av NorCRIN",
        "--minutes",
        "60",
        "--presenter",
        "Svein Skeie",
    )
    cli("agenda", "add", meeting, "--title", "Kort pause", "--minutes", "10", "--kind", "break")
    cli(
        "agenda",
        "add",
        meeting,
        "--title",
        "Organisering av faginndelingen",
        "--minutes",
        "40",
        "--kind",
        "discussion",
    )
    cli("agenda", "add", meeting, "--title", "Lunsj", "--minutes", "40", "--kind", "break")
    item = last_line(
        cli(
            "agenda",
            "add",
            meeting,
            "--title",
            "Digitalt samtykke til forskning",
            "--minutes",
            "60",
            "--presenter",
            "Morgan Henrik Lunde",
            "--kind",
            "orientation",
        )
    )
    assert item.isdigit()
    data = json.loads(cli("agenda", "show", meeting, "--format", "json"))
    assert set(data) == {"meeting", "start", "items"}
    assert data["meeting"] == int(meeting) and data["start"] == "2025-02-12 09:30"
    rows = [(i["start"], i["end"], i["number"], i["title"], i["kind"]) for i in data["items"]]
    assert rows == [
        ("09:30", "09:35", "1-2025", "Godkjenning av innkalling og dagsorden", "decision"),
        ("09:35", "09:40", "2-2025", "Godkjenning av referat fra forrige møte", "decision"),
        ("09:40", "10:40", "3-2025", "Videreføring av NorCRIN", "decision"),
        ("10:40", "10:50", None, "Kort pause", "break"),
        ("10:50", "11:30", "4-2025", "Organisering av faginndelingen", "discussion"),
        ("11:30", "12:10", None, "Lunsj", "break"),
        ("12:10", "13:10", "5-2025", "Digitalt samtykke til forskning", "orientation"),
    ]
    assert set(data["items"][0]) == {"number", "title", "start", "end", "presenter", "kind"}
    assert data["items"][2]["presenter"] == "Svein Skeie"
    assert data["items"][0]["presenter"] is None
    markdown = cli("agenda", "show", meeting, "--format", "md")
    assert "- 09.30-09.35 **1-2025** Godkjenning av innkalling og dagsorden" in markdown
    assert "- 10.40-10.50 *Kort pause*" in markdown
    assert "onsdag 12. februar 2025 kl. 09.30–13.10" in markdown
    ics = cli("agenda", "show", meeting, "--format", "ics")
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and "DTSTART:20250212T083000Z" in lines
    assert "DTEND:20250212T121000Z" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "LOCATION:Gardermoen\\, Radisson RED Oslo Airport" in "".join(
        line[1:] if line.startswith(" ") else "\n" + line for line in lines
    )


def test_numbers_continue_through_the_year_and_restart_in_january(bot: Bot) -> None:
    def meeting(series: str, start: datetime, extra: int) -> store.Meeting:
        with bot.services.db.session() as session:
            made = store.create_meeting(session, series=series, title=series, start=start)
            for index in range(extra):
                store.add_item(session, made, title=f"Sak {index}", minutes=15)
            return made

    def numbers(made: store.Meeting) -> list[str | None]:
        with bot.services.db.session() as session:
            row = store.get_meeting(session, made.id)
            return [slot.number for slot in store.slots(session, row)]

    november = meeting("Board", datetime(2025, 11, 20, 10, 0, tzinfo=OSLO), 2)
    december = meeting("Board", datetime(2025, 12, 31, 23, 0, tzinfo=OSLO), 1)
    other = meeting("AU", datetime(2025, 12, 1, 10, 0, tzinfo=OSLO), 0)
    new_year = meeting("board", datetime(2026, 1, 1, 0, 30, tzinfo=OSLO), 1)  # 23:30 UTC on 31st
    assert numbers(november) == ["1-2025", "2-2025", "3-2025", "4-2025"]
    assert numbers(december) == ["5-2025", "6-2025", "7-2025"]
    assert numbers(other) == ["1-2025", "2-2025"]
    assert numbers(new_year) == ["1-2026", "2-2026", "3-2026"]
    with bot.services.db.session() as session:  # an item added to November renumbers December
        store.add_item(
            session,
            store.get_meeting(session, november.id),
            title="Ny",
            minutes=5,
            kind="orientation",
            position=1,
        )
        store.add_item(
            session, store.get_meeting(session, november.id), title="Pause", minutes=5, kind="break"
        )
    assert numbers(november)[0] == "1-2025" and numbers(november)[-1] is None
    assert numbers(december) == ["6-2025", "7-2025", "8-2025"]
    assert numbers(new_year) == ["1-2026", "2-2026", "3-2026"]


def test_posted_agenda_is_edited_in_place_on_slack_and_teams(
    cli: Any, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI
) -> None:
    meeting = last_line(
        cli(
            "agenda", "new", "--series", "AP8", "--title", "AP8-møte", "--start", "2030-02-12 09:30"
        )
    )
    team = "teams:team-1/19:ap8@thread.tacv2"
    out = cli("agenda", "post", meeting, "--to", "C123", "--to", team)
    assert out.splitlines()[0].startswith("slack:C123\tsent\t")
    assert out.splitlines()[1].startswith(f"{team}\tsent\t")
    (posted,) = fake_slack.messages("C123")
    cli("agenda", "add", meeting, "--title", "Datahåndteringsplaner", "--minutes", "20")
    assert len(fake_slack.calls("chat.postMessage")) == 1
    (update,) = fake_slack.calls("chat.update")
    assert update.params["ts"] == posted["ts"]
    assert "Datahåndteringsplaner" in fake_slack.messages("C123")[0]["text"]
    (message,) = fake_graph.messages("team-1", "19:ap8@thread.tacv2")
    assert "Datahåndteringsplaner" in message["body"]["content"]
    assert len(fake_graph.requests("POST", "/teams/")) == 1 and fake_graph.requests(
        "PATCH", "/teams/"
    )
    again = cli("agenda", "post", meeting, "--to", "slack:C123")
    assert "unchanged (sent)" in again
    assert (
        len(fake_slack.calls("chat.postMessage")) == 1 and len(fake_slack.calls("chat.update")) == 1
    )


def test_post_reports_failure_with_nonzero_exit(cli: Any, fake_slack: FakeSlackAPI) -> None:
    meeting = last_line(
        cli("agenda", "new", "--series", "AU", "--title", "AU", "--start", "2030-02-12 09:30")
    )
    fake_slack.error_next("chat.postMessage", "channel_not_found")
    out = cli("agenda", "post", meeting, "--to", "slack:C404", status=1)
    assert out.startswith("slack:C404\tfailed\tSlack refused: channel_not_found")


def test_meeting_with_a_channel_plans_post_reminder_and_minutes(cli: Any) -> None:
    meeting = last_line(
        cli(
            "agenda",
            "new",
            "--series",
            "Board",
            "--title",
            "Styremøte",
            "--start",
            "2030-06-12 10:00",
            "--channel",
            "slack:C1",
        )
    )
    listed = json.loads(cli("schedule", "list", "--format", "json"))
    plan = {(s["job"], s["at"]) for s in listed if s["args"] == {"meeting": int(meeting)}}
    assert plan == {
        ("agenda", "2030-06-05T10:00:00+02:00"),
        ("agenda-reminder", "2030-06-11T10:00:00+02:00"),
        ("agenda-minutes", "2030-06-12T10:40:00+02:00"),
    }


def _say(bot: Bot, person: Person, text: str) -> str:
    (reply,) = bot.handle(Message(text=text, sender=person))
    return reply.text


def _inbox(bot: Bot, person: Person) -> list[str]:
    deliver_due(bot.services)
    hook = bot.services.console_pending[0]
    return [reply.text for reply in hook(person)]


def test_proposals_are_decided_by_the_owner_and_the_proposer_is_told(bot: Bot) -> None:
    with bot.services.db.session() as session:
        meeting = store.create_meeting(
            session,
            series="AP8",
            title="AP8-møte",
            start=datetime(2030, 3, 4, 9, 0, tzinfo=OSLO),
            owner="kari-owner",
        )
        meeting_id = meeting.id
    member = Person(platform="console", user_id="ola", person_id="ola", name="Ola")
    owner = Person(platform="console", user_id="kari-owner", person_id="kari-owner", name="Kari")
    outsider = Person(platform="console", user_id="per", person_id="per", name="Per")

    assert "#1" in _say(bot, member, f"agenda propose {meeting_id} eCRF-maler | 15 | Ola")
    _say(bot, member, f"agenda propose {meeting_id} Kaffemaskin")
    (ask, _second) = _inbox(bot, owner)
    assert "eCRF-maler" in ask
    assert "Bare møteeier" in _say(bot, outsider, "agenda accept 1")
    assert "sak 3-2030" in _say(bot, owner, "agenda accept 1 20 3")
    assert "Avslått" in _say(bot, owner, "agenda decline 2 ikke et faglig tema")
    told = _inbox(bot, member)
    assert any("sak 3-2030" in t for t in told)
    assert any("ikke et faglig tema" in t for t in told)
    with bot.services.db.session() as session:
        row = store.get_meeting(session, meeting_id)
        planned = [(s.number, s.item.title, s.item.minutes) for s in store.slots(session, row)]
    assert planned[2] == ("3-2030", "eCRF-maler", 20)
    assert "already" in _say(bot, owner, "agenda accept 1") or "allerede" in _say(
        bot, owner, "agenda accept 1"
    )
    shown = _say(bot, owner, f"agenda move {row.items[2].id} 1")
    assert shown.splitlines()[1].startswith("09.00-09.20 1-2030 eCRF-maler")
