"""Questions members type about meetings, news and status reports reach the feature that answers
them, with that command's answer and rights; document and work-package questions stay with the
search, and an open form still claims the next message first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.clock import FixedClock
from bot.core import Bot
from bot.replies import Person, Reply, Section, Table
from commands.status_campaigns import NewCampaign
from commands.status_delivery import launch_campaign
from storage import agenda as store
from storage.news import add_news
from tests.support.status import OSLO, console_person, make_status_bot, oslo, say

NOW = oslo(2026, 3, 2, 10, 0)


@pytest.fixture
def bot(sqlite_url: str) -> Iterator[Bot]:
    instance = make_status_bot(sqlite_url, FixedClock(NOW))
    yield instance
    instance.services.db.dispose()


@pytest.fixture
def english(sqlite_url: str) -> Iterator[Bot]:
    """The same bot speaking English by default, to give a command's English answer."""
    instance = make_status_bot(sqlite_url, FixedClock(NOW), BOT_LANGUAGE="en")
    yield instance
    instance.services.db.dispose()


def in_language(bot: Bot, english: Bot, question: list[Reply]) -> Bot:
    """The bot whose commands answer in the question's language."""
    return english if question[0].language == "en" else bot


@pytest.fixture
def meetings(bot: Bot) -> dict[str, int]:
    """An AP8 meeting first, the board's a week later (both with an item), one past meeting."""
    with bot.services.db.session() as session:
        past = store.create_meeting(session, series="AP8", title="AP8-møte februar",
                                    start=datetime(2026, 2, 2, 9, 0, tzinfo=OSLO))
        ap8 = store.create_meeting(session, series="AP8", title="AP8-møte mars",
                                   start=datetime(2026, 3, 5, 9, 0, tzinfo=OSLO))
        board = store.create_meeting(session, series="Styret", title="Styremøte",
                                     start=datetime(2026, 3, 12, 12, 0, tzinfo=OSLO))
        store.add_item(session, ap8, title="eCRF-maler", minutes=15)
        store.add_item(session, board, title="Budsjett 2027", minutes=30)
        return {"past": past.id, "ap8": ap8.id, "board": board.id}


def member(bot: Bot, person_id: str = "inger-tvenning") -> Person:
    return console_person(bot, person_id)


def admin(bot: Bot) -> Person:
    return Person(platform="console", user_id="U0ADMIN", name="Sekretariatet", is_admin=True)


def same(replies: list[Reply], command: list[Reply]) -> bool:
    """The question got exactly what the command gives (text and every part)."""
    return [(r.intent, r.text, r.parts) for r in replies] == [
        (r.intent, r.text, r.parts) for r in command
    ]


# -- meetings and agendas ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "meeting"),
    [
        ("når er neste møte?", "ap8"),
        ("what's on the agenda for the next meeting?", "ap8"),
        ("hva står på dagsorden til styremøtet?", "board"),
        ("When is the next board meeting (Styret)?", "board"),
        ("Hva står på dagsordnen for neste AP8-møte?", "ap8"),  # a typo in "dagsorden"
        ("agenda for neste styremøte", "board"),  # begins with the command word
    ],
)
def test_a_question_about_a_meeting_shows_its_agenda(
    bot: Bot, meetings: dict[str, int], question: str, meeting: str
) -> None:
    person = member(bot)
    replies = say(bot, person, question)
    assert replies[0].intent == "agenda"
    assert same(replies, say(bot, person, f"agenda {meetings[meeting]}"))


@pytest.mark.parametrize(
    "question",
    ["Hvilke møter er det fremover?", "upcoming meetings?", "what meetings are coming up"],
)
def test_a_question_about_meetings_lists_the_upcoming_ones(
    bot: Bot, meetings: dict[str, int], question: str
) -> None:
    person = member(bot)
    replies = say(bot, person, question)
    listed = say(bot, person, "agenda")
    shown, table = replies[0].parts[0], listed[0].parts[0]
    assert replies[0].intent == "agenda" and isinstance(table, Table)
    assert isinstance(shown, Table) and shown.rows == table.rows
    assert "AP8-møte februar" not in replies[0].text  # past meetings are not upcoming


def test_without_meetings_the_question_gets_the_commands_answer(bot: Bot) -> None:
    replies = say(bot, member(bot), "når er neste møte?")
    assert same(replies, say(bot, member(bot), "agenda"))
    assert "Ingen kommende møter" in replies[0].text


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("mal for agenda til oppstartsmøte", "lm-agenda-oppstartmote"),
        ("agenda template for the start-up meeting", "ct-startup-meeting-agenda"),
        ("Hva er agendaen for et oppstartsmøte?", "lm-agenda-oppstartmote"),  # none planned
        ("when does the start-up meeting checklist apply?", "ct-startup-meeting-checklist"),
    ],
)
def test_document_questions_about_meetings_stay_documents(
    bot: Bot, meetings: dict[str, int], question: str, document: str
) -> None:
    reply = say(bot, member(bot), question)[0]
    assert reply.intent == "document"
    assert document in [r.id for r in reply.results[:3]]


def test_proposing_an_item_is_still_the_command(bot: Bot, meetings: dict[str, int]) -> None:
    reply = say(bot, member(bot), f"agenda propose {meetings['ap8']} Neste møte i mai | 10")[0]
    assert "#1" in reply.text and reply.intent == "agenda"


# -- news ----------------------------------------------------------------------------------------


@pytest.fixture
def news(bot: Bot) -> str:
    title = "Høstmøte for datahåndterere i Bergen"
    with bot.services.db.session() as session:
        add_news(session, title=title, link="https://www.norcrin.no/aktuelt/hostmote",
                 published=NOW, now=NOW)
    return title


@pytest.mark.parametrize(
    "question",
    ["hva er nytt?", "siste nytt fra NorCRIN", "Har dere noen nyheter?", "Hva er nytt i NorCRIN?",
     "nyhetene denne uka"],
)
def test_news_questions_in_bokmal_get_the_news(bot: Bot, news: str, question: str) -> None:
    person = member(bot)
    replies = say(bot, person, question)
    assert same(replies, say(bot, person, "nyheter"))
    assert news in replies[0].text


@pytest.mark.parametrize("question", ["any news?", "what's new at NorCRIN?", "is there any news?"])
def test_news_questions_in_english_get_the_news(bot: Bot, news: str, question: str) -> None:
    replies = say(bot, member(bot), question)
    assert replies[0].intent == say(bot, member(bot), "news")[0].intent
    assert replies[0].language == "en" and news in replies[0].text


def test_adding_news_stays_an_admin_command(bot: Bot, news: str) -> None:
    added = say(bot, admin(bot), "news add Julehilsen | https://www.norcrin.no/jul")[0]
    assert "Lagt til" in added.text
    refused = say(bot, member(bot), "news add Min sak | https://www.norcrin.no/min")[0]
    assert refused.intent == "refused"


def test_a_question_about_something_new_is_not_the_news(bot: Bot, news: str) -> None:
    reply = say(bot, member(bot), "Hva er nytt skjema for samtykke?")[0]
    assert news not in reply.text and reply.intent != say(bot, member(bot), "news")[0].intent


# -- status reports ------------------------------------------------------------------------------


@pytest.fixture
def campaign(bot: Bot) -> int:
    spec = NewCampaign(name="Vårmøtet 2026", deadline="2026-03-31", opens="now",
                       groups=["AP8", "AP10"])
    return launch_campaign(bot.services, spec, created_by="test").id


@pytest.mark.parametrize(
    "question",
    ["har AP8 levert status?", "who hasn't sent their status report yet?",
     "Hvem mangler statusrapport?", "Which work packages have submitted status?",
     "har alle levert statusrapprten?"],  # a typo
)
def test_who_submitted_is_the_overview_with_the_askers_rights(
    bot: Bot, english: Bot, campaign: int, question: str
) -> None:
    secretariat = admin(bot)
    overview = say(bot, secretariat, question)
    command = in_language(bot, english, overview)
    assert same(overview, say(command, secretariat, "status tabell"))
    assert any(isinstance(p, Table) for p in overview[0].parts)  # the live table, for admins

    leader = member(bot, "cecilie-moe")
    mine = say(bot, leader, question)
    assert same(mine, say(command, leader, "status tabell"))
    assert not any(isinstance(p, Table) for p in mine[0].parts)  # a member sees no one else's
    form = mine[0].parts[1]
    assert isinstance(form, Section) and "AP8" in form.text  # their own form, to start

    outsider = member(bot)
    assert same(say(bot, outsider, question), say(command, outsider, "status tabell"))


@pytest.mark.parametrize(
    ("question", "person_id"),
    [("må jeg fylle ut statusrapport?", "cecilie-moe"),
     ("do I have a status report to fill in?", "tanja-igland"),
     ("har jeg levert statusskjemaet?", "kirsti-soras")],
)
def test_a_question_about_my_status_report_is_the_status_command(
    bot: Bot, english: Bot, campaign: int, question: str, person_id: str
) -> None:
    person = member(bot, person_id)
    asked = say(bot, person, question)
    say(bot, person, "avbryt")
    assert same(asked, say(in_language(bot, english, asked), person, "status"))
    assert asked[0].text.startswith("1/")  # the form's first question


def test_an_open_form_claims_the_next_message_first(bot: Bot, campaign: int,
                                                    meetings: dict[str, int]) -> None:
    person = member(bot, "cecilie-moe")
    say(bot, person, "status")
    answer = "Vi har hatt tre møter; neste møte er i april."
    replies = say(bot, person, answer)
    assert replies[0].intent == "status" and "\n2/7 " in replies[0].text  # recorded as the answer


def test_work_package_and_status_topic_questions_stay_with_the_search(
    bot: Bot, campaign: int
) -> None:
    reply = say(bot, member(bot), "hvem leder AP8?")[0]
    assert reply.intent == "person" and "Cecilie Moe" in reply.text
    topic = say(bot, member(bot), "hva er status på SOP-revisjonen?")[0]
    assert topic.intent != "status"
