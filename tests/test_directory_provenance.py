"""The directory as the 2024 annual report has it: every fact with its source, merged work
packages answered for their successor, "source?" after an answer, and weaker sources held back."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.replies import Message
from bot.replies import Person as Sender
from bot.roles import ROLES_BY_GROUP_KIND
from storage import directory
from storage.loader import export_text, import_file
from storage.models import Group, Membership, Person
from storage.provenance import DirectoryConflict, conflicts, decide
from tests.support.pg import throwaway_database
from tests.support.slack_signing import app_mention_event, message_event
from tests.test_cli import run
from tests.test_slack_app import assert_valid_blocks

REPORT = next(
    iter(sorted((Path(__file__).resolve().parents[2] / "shared" / "seeds").glob("001_*.txt"))), None
)

# Leader and deputy of every work package number as the 2024 report names them; merged ones
# (table 1.1, lines 138-143) are answered for their successor.
WORK_PACKAGES = {
    1: ("AP1", "Marianne Saugestad", None),
    2: ("AP2", "Bente Vangen", "Martha Colban"),
    3: ("AP3", "Helen Heyerdal", "Tanja Igland"),
    4: ("AP12", "Ellen Johnsen", "Ashwini Sethupathy"),
    5: ("AP8", "Cecilie Moe", "Anne Caroline Wiik"),
    6: ("AP2", "Bente Vangen", "Martha Colban"),
    7: ("AP7", "Hasse Zarè", "Thomas Kadar"),
    8: ("AP8", "Cecilie Moe", "Anne Caroline Wiik"),
    9: ("AP9", "Erica Ponzi", "Sandra Siljeset"),
    10: ("AP10", "Tanja Igland", "Kirsti Sørås"),
    11: ("AP11", "Jon Borgaard", "Kristin Jonsdottir"),
    12: ("AP12", "Ellen Johnsen", "Ashwini Sethupathy"),
    13: ("AP13", "Kristian Berge", "Aksel Paulsen"),
    14: ("AP14", "Mariann Sundstrøm", "Yvonne Nordvoll"),
}
MERGED = {4: 2022, 5: 2021, 6: 2021}


def ask(bot, text: str, user: str = "tester", channel: str | None = None, surface="console"):
    [reply] = bot.handle(Message(text, Sender(surface, user), surface=surface, channel=channel))
    return reply


@pytest.mark.parametrize("number", sorted(WORK_PACKAGES))
@pytest.mark.parametrize(
    "template, which",
    [
        ("hvem leder AP{n}?", 1),
        ("who leads WP {n}?", 1),
        ("hvem er nestleder i arbeidspakke {n}?", 2),
        ("who is the deputy leader of AP{n}?", 2),
    ],
)
def test_leader_and_deputy_of_every_work_package(bot, number, template, which):
    successor, *names = WORK_PACKAGES[number]
    expected = names[which - 1]
    reply = ask(bot, template.format(n=number))
    people = [r.label for r in reply.results if r.kind == "person"]
    if expected is None:
        # nobody holds the role: declined, naming who can help (their contacts may be results)
        assert reply.intent == "none", reply.text
        assert "ingen nestleder" in reply.text or "no deputy" in reply.text, reply.text
    else:
        assert people[:1] == [expected], reply.text
    if number in MERGED:
        said = reply.text.split("\n")[0]
        assert f"AP{number}" in said and successor in said and str(MERGED[number]) in said
        assert ("slått sammen" in said) or ("merged into" in said)
    else:
        assert "merged" not in reply.text and "slått sammen" not in reply.text


@pytest.mark.parametrize(
    "command, successor", [("wp 5", "AP8"), ("wp AP4", "AP12"), ("ap 6", "AP2")]
)
def test_wp_command_names_the_successor_of_a_merged_work_package(bot, command, successor):
    reply = ask(bot, command)
    assert reply.intent == "group"
    assert reply.results[0].id == successor
    assert "finnes ikke lenger" in reply.text or "no longer exists" in reply.text


def holders(db, group_id: str) -> dict[str, set[str]]:
    with db.session() as session:
        found: dict[str, set[str]] = {}
        for holder in directory.role_holders(session, group_ids=[group_id]):
            found.setdefault(holder.role, set()).add(holder.person.name)
        return found


def test_board_au_councils_as_the_report_has_them(db):
    assert holders(db, "STYRET") == {
        "chair": {"Svein Skeie"},
        "deputy_chair": {"Tove Skjelbakken"},
        "board_member": {
            "Kristin Bjordal",
            "Herald Reiersen",
            "Torbjørn Omland",
            "Randi Kristoffersen",
            "Bjørnar Gilje",
            "Camilla Tøndel",
            "Anne Mathilde Kvamme",
            "Håkon Robin Skogseth",
            "Solveig Kvam",
            "Melinda B. Roaldsen",
        },
        "alternate": {
            "John-Anker Zwart",
            "Lisbeth Johnsen",
            "Kristin Jonsdottir",
            "Vibeke Vold",
            "Bjarte Bergstrøm",
            "Ingvild Pettersen",
        },
        "user_representative": {"Hege Kornberg Christensen", "Rita Halvorsen"},
        "observer": {
            "Marianne Saugestad",
            "Nina Louise Jebsen",
            "Tonje Hellesund",
            "Tove Klæboe Nilsen",
        },
    }
    assert holders(db, "AU") == {"member": {"Kristin Bjordal", "Svein Skeie", "Tove Skjelbakken"}}
    assert holders(db, "FAGRAD") == {
        "leader": {"Tove Klæboe Nilsen"},
        "member": {"Lars Eikvar", "Eli Renate Grüner", "Audun Rimehaug"},
    }
    assert holders(db, "BRUKERRAD") == {"leader": {"Rita Halvorsen"}}
    with db.session() as session:
        hege = directory.person(session, "hege-kornberg-christensen")
        assert hege.organisation_id == "HVEST"
        [(group, role)] = [(m.group_id, m.role) for m in hege.memberships]
        assert (group, role) == ("STYRET", "user_representative")
        [rita_leads] = [
            m
            for m in directory.person(session, "rita-halvorsen").memberships
            if m.group_id == "BRUKERRAD"
        ]
        assert rita_leads.provenance["inferred"] is True


@pytest.mark.parametrize(
    "question, expected, absent",
    [
        ("hvem er styreleder?", ["Svein Skeie"], []),
        ("who is the deputy chair of the board?", ["Tove Skjelbakken"], []),
        (
            "hvem er med i AU?",
            ["Kristin Bjordal", "Svein Skeie", "Tove Skjelbakken"],
            ["Marianne Saugestad", "Nina Louise Jebsen"],
        ),
        ("hvem leder fagrådet?", ["Tove Klæboe Nilsen"], []),
        ("who leads the Brukerråd?", ["Rita Halvorsen"], []),
    ],
)
def test_board_and_council_questions(bot, question, expected, absent):
    reply = ask(bot, question)
    people = [r.label for r in reply.results if r.kind == "person"]
    assert sorted(people) == sorted(expected), reply.text
    for name in absent:
        assert name not in reply.text


def test_inferred_leader_is_marked_as_inferred(bot):
    assert "(inferred)" in ask(bot, "who leads the Brukerråd?").text
    assert "Rita Halvorsen (utledet)" in ask(bot, "brukerrådet").text


def test_source_of_a_person_right_after_the_answer(bot):
    assert ask(bot, "hvem leder AP8?").results[0].id == "cecilie-moe"
    reply = ask(bot, "hvor kommer dette fra?")
    assert reply.intent == "sources" and reply.language == "nb"
    assert "Cecilie Moe" in reply.text
    assert re.search(r"leder, AP8: Årsrapport 2024 .*Datahåndtering.*linje 634", reply.text)
    assert "001_24c3ba59667219ab.txt" in reply.text


def test_source_of_a_group_and_of_its_history(bot):
    ask(bot, "wp 8")
    reply = ask(bot, "where is that from?")
    assert reply.language == "en"
    assert re.search(r"Description: Annual report 2024 .*Datahåndtering.*lines 631-683", reply.text)
    assert "AP5 (eCRF) merged into AP8 in 2021" in reply.text
    assert "inferred" in reply.text


def test_remembered_results_are_per_conversation_and_survive_a_restart(make_bot, sqlite_url):
    first = make_bot(sqlite_url)
    ask(first, "who leads the Brukerråd?", user="u1", channel="D1", surface="slack")
    ask(first, "hvem leder AP3?", user="u2", channel="D2", surface="slack")
    second = make_bot(sqlite_url)  # another process: nothing in memory
    one = ask(second, "source?", user="u1", channel="D1", surface="slack")
    assert "Rita Halvorsen" in one.text and "inferred, not stated" in one.text
    assert "Helen Heyerdal" in ask(second, "kilde?", user="u2", channel="D2", surface="slack").text
    nothing = ask(second, "kilde?", user="u3", channel="D3", surface="slack")
    assert "ingen kilder" in nothing.text


def test_a_question_mentioning_sources_is_not_taken_for_the_follow_up(bot):
    reply = ask(bot, "hvor finner jeg kildedata-SOP?")
    assert reply.intent != "sources"


def test_source_in_a_slack_dm_and_thread(slack):
    slack.http.send_event(
        message_event("hvem leder AP5?", user="U7", channel="D7", channel_type="im")
    )
    [first] = slack.fake.wait_for("chat.postMessage")
    assert "Cecilie Moe" in first.params["text"] and "AP8" in first.params["text"]
    slack.http.send_event(message_event("kilde?", user="U7", channel="D7", channel_type="im"))
    calls = slack.fake.wait_for("chat.postMessage", count=2)
    assert "linje 634" in calls[1].params["text"]
    assert_valid_blocks(calls[1].params["blocks"])
    mention = app_mention_event(
        "<@U0BOT> who leads WP 9?", user="U8", channel="C8", ts="1700000000.000200"
    )
    slack.http.send_event(mention)
    slack.fake.wait_for("chat.postMessage", count=3)
    follow = app_mention_event("<@U0BOT> source?", user="U8", channel="C8")
    follow["thread_ts"] = "1700000000.000200"
    slack.http.send_event(follow)
    calls = slack.fake.wait_for("chat.postMessage", count=4)
    assert calls[3].params["thread_ts"] == "1700000000.000200"
    assert "Erica Ponzi" in calls[3].params["text"] and "lines 688" in calls[3].params["text"]


WEB_FILE = """\
- id: tove-skjelbakken
  name: Tove Skjelbakken
  organisation: UNN
  memberships:
  - {group: STYRET, role: deputy_chair, note: from the web page}
- name: Einar Bugge
  organisation: UNN
  memberships:
  - {group: STYRET, role: deputy_chair}
- id: svein-skeie
  name: Svein Skeie
  organisation: ST. OLAVS
  email: svein@example.org
"""


def test_a_web_import_does_not_replace_report_facts(db, tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(WEB_FILE, encoding="utf-8")
    source = "web:https://www.norcrin.no/en/project-organisation/@2025-03-01"
    with db.session() as session:
        summary = import_file(session, "people", path, source=source, imported_by="tester")
    assert summary.conflicts == 3
    assert holders(db, "STYRET")["deputy_chair"] == {"Tove Skjelbakken"}
    with db.session() as session:
        skeie = session.get(Person, "svein-skeie")
        assert skeie.organisation_id == "SUS"  # the report's, not the web page's
        assert skeie.email == "svein@example.org"  # filling an empty field disputes nothing
        assert skeie.provenance["fields"]["email"]["kind"] == "web"
        bugge = session.get(Person, "einar-bugge")
        assert bugge.provenance["url"] == "https://www.norcrin.no/en/project-organisation/"
        found = {(c.entity, c.entity_key, c.field): c for c in conflicts(session)}
        assert set(found) == {
            ("membership", "tove-skjelbakken/STYRET/deputy_chair", "note"),
            ("membership", "STYRET/deputy_chair", "holder"),
            ("person", "svein-skeie", "organisation_id"),
        }
        holder = found[("membership", "STYRET/deputy_chair", "holder")]
        assert holder.line == 9 and holder.file == str(path)
        assert holder.current_source["kind"] == "report"
        assert holder.proposed_source["by"] == "tester"
    with db.session() as session:  # the same file again: nothing new to decide
        again = import_file(session, "people", path, source=source)
    assert again.conflicts == 0 and again.changed == 0


def test_admin_decisions_over_the_cli(sqlite_url, tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(WEB_FILE, encoding="utf-8")
    result = run(
        ["import", "people", str(path), "--source", "web:https://example.org/x"], sqlite_url
    )
    assert result.returncode == 0, result.stderr
    assert "3 held as conflicts" in result.stderr
    listed = json.loads(run(["directory", "conflicts", "--format", "json"], sqlite_url).stdout)
    by_field = {c["field"]: c for c in listed}
    assert by_field["holder"]["proposed"]["value"]["person"] == "einar-bugge"
    reject = run(
        ["directory", "reject", str(by_field["organisation_id"]["id"]), "--by", "ada"], sqlite_url
    )
    assert reject.returncode == 0, reject.stderr
    accept = run(["directory", "accept", str(by_field["holder"]["id"]), "--by", "ada"], sqlite_url)
    assert accept.returncode == 0, accept.stderr
    again = run(["directory", "accept", str(by_field["holder"]["id"])], sqlite_url)
    assert again.returncode == 1 and "already accepted by ada" in again.stderr
    shown = run(["directory", "show", "STYRET", "--language", "en"], sqlite_url)
    assert re.search(
        r"Einar Bugge \(deputy chair\): web page https://example.org/x .*admin decision by ada",
        shown.stdout,
    )
    assert "Tove Skjelbakken (deputy chair)" not in shown.stdout
    person = json.loads(
        run(["directory", "show", "Svein Skeie", "--format", "json"], sqlite_url).stdout
    )
    assert person["organisation"] == "SUS" and person["source"]["lines"] == "294"
    left = json.loads(run(["directory", "conflicts", "--format", "json"], sqlite_url).stdout)
    assert [c["field"] for c in left] == ["note"]


def test_directory_show_prints_the_sources_of_a_person(sqlite_url):
    shown = run(["directory", "show", "Hege K. Christensen", "--language", "en"], sqlite_url)
    assert shown.returncode == 0, shown.stderr
    assert "user representative, STYRET: Annual report 2024" in shown.stdout
    assert "lines 336-343" in shown.stdout


def test_export_keeps_sources_and_import_round_trips_them(db, tmp_path):
    for suffix in (".yaml", ".csv"):
        with db.session() as session:
            text = export_text(session, "people", suffix)
            before = {p.id: p.provenance for p in session.scalars(select(Person))}
            memberships = {
                (m.person_id, m.group_id, m.role): m.provenance
                for m in session.scalars(select(Membership))
            }
            session.execute(Membership.__table__.delete())
            session.execute(Person.__table__.delete())
        path = tmp_path / f"people{suffix}"
        path.write_text(text, encoding="utf-8")
        with db.session() as session:
            summary = import_file(session, "people", path)
            assert summary.created == len(before)
            assert {p.id: p.provenance for p in session.scalars(select(Person))} == before
            assert {
                (m.person_id, m.group_id, m.role): m.provenance
                for m in session.scalars(select(Membership))
            } == memberships


def embedded(name: str):
    return yaml.safe_load(resources.files("storage").joinpath(f"data/{name}").read_text("utf-8"))


def test_embedded_data_is_consistent():
    groups = {g["id"]: g for g in embedded("groups.yaml")}
    retired = {h["id"]: h for h in embedded("group_history.yaml")}
    for group in groups.values():
        assert group["source"]["kind"] == "report", group["id"]
        assert group["source"].get("lines"), group["id"]
    for old in retired.values():
        assert old["id"] not in groups and old["successor"] in groups
        assert old["source"]["kind"] == "report" and old["year"]
    for person in embedded("people.yaml"):
        assert person["source"]["kind"] == "report", person["id"]
        for name, source in (person["source"].get("fields") or {}).items():
            assert source["kind"] in ("web", "document") and (
                source.get("url") or source.get("file")
            ), name
        for m in person["memberships"]:
            where = f"{person['id']} {m['group']} {m['role']}"
            assert m["source"]["kind"] == "report" and m["source"].get("lines"), where
            assert m["role"] in ROLES_BY_GROUP_KIND[groups[m["group"]]["kind"]], where


def test_loaded_directory_has_a_source_for_every_fact(db):
    with db.session() as session:
        assert all(m.provenance for m in session.scalars(select(Membership)))
        assert all(p.provenance for p in session.scalars(select(Person)))
        assert all(g.provenance for g in session.scalars(select(Group)))
        for m in session.scalars(select(Membership)):
            assert m.role in ROLES_BY_GROUP_KIND[m.group.kind]


@pytest.mark.skipif(REPORT is None, reason="the annual report text (../shared/seeds) is not here")
def test_every_cited_report_line_names_the_person():
    """The cited lines of the report hold the person's surname, so a wrong line number or a
    fact from elsewhere cannot hide behind a source."""
    lines = REPORT.read_text(encoding="utf-8").split("\n")
    for person in embedded("people.yaml"):
        surname = person["name"].split()[-1]
        for m in person["memberships"]:
            if m["role"] == "observer" or m["source"].get("inferred"):
                continue  # cited by the role the report names ("PL, NK …") or by reasoning
            cited = str(m["source"]["lines"])
            first, _, last = cited.partition("-")
            span = "\n".join(lines[int(first) - 1 : int(last or first)])
            assert surname in span, (person["name"], m["group"], cited)


@pytest.mark.postgres
def test_provenance_conflicts_and_round_trip_on_postgres(make_bot, tmp_path):
    with throwaway_database("norcrin_provenance") as url:
        bot = make_bot(url)
        db = bot.services.db
        path = tmp_path / "web.yaml"
        path.write_text(WEB_FILE, encoding="utf-8")
        with db.session() as session:
            summary = import_file(session, "people", path, source="web:https://example.org/x")
        assert summary.conflicts == 3
        with db.session() as session:
            holder = session.scalar(
                select(DirectoryConflict).where(DirectoryConflict.field == "holder")
            )
            decide(session, holder.id, accept=False, by="ada", now=bot.services.clock.now())
        assert holders(db, "STYRET")["deputy_chair"] == {"Tove Skjelbakken"}
        assert "AP8" in ask(bot, "who leads AP5?").text
        assert "linje 634" in ask(bot, "kilde?").text
        with db.session() as session:
            text = export_text(session, "people", ".yaml")
        again = tmp_path / "again.yaml"
        again.write_text(text, encoding="utf-8")
        with db.session() as session:
            assert import_file(session, "people", again).changed == 0
        bot.services.db.dispose()


def test_a_database_loaded_before_sources_is_corrected_on_start(sqlite_url, tmp_path):
    """The state a 0004 database was in: no sources, no history, the old AU and Brukerråd rows,
    and one membership an admin imported for an embedded person."""
    from storage.db import Database
    from storage.models import Meta
    from storage.provenance import GroupHistory

    db = Database(sqlite_url)
    with db.session() as session:
        for model in (Person, Membership, Group):
            session.execute(model.__table__.update().values(provenance=None))
        session.execute(GroupHistory.__table__.delete())
        session.execute(
            Membership.__table__.delete().where(Membership.group_id.in_(["AU", "BRUKERRAD"]))
        )
        for person_id, group_id, role in [
            ("svein-skeie", "AU", "chair"),
            ("tove-skjelbakken", "AU", "deputy_chair"),
            ("marianne-saugestad", "AU", "member"),
            ("hege-kornberg-christensen", "BRUKERRAD", "member"),
            ("rita-halvorsen", "BRUKERRAD", "member"),
        ]:
            session.add(Membership(person_id=person_id, group_id=group_id, role=role))
        session.get(Person, "cecilie-moe").source = "import"  # an admin's import touched her
        session.add(Membership(person_id="cecilie-moe", group_id="AP3", role="member"))
        session.delete(session.get(Meta, "directory_sources"))
    db.prepare()
    assert holders(db, "AU") == {"member": {"Kristin Bjordal", "Svein Skeie", "Tove Skjelbakken"}}
    assert holders(db, "BRUKERRAD") == {"leader": {"Rita Halvorsen"}}
    with db.session() as session:
        assert all(m.provenance for m in session.scalars(select(Membership)) if m.group_id != "AP3")
        assert session.get(GroupHistory, "AP5").successor_id == "AP8"
        assert any(
            m.group_id == "AP3" for m in directory.person(session, "cecilie-moe").memberships
        )
    db.dispose()


def test_replace_from_a_web_file_does_not_drop_report_memberships(db, tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text("- {id: svein-skeie, name: Svein Skeie, organisation: SUS}\n", encoding="utf-8")
    with db.session() as session:
        summary = import_file(session, "people", path, source="web", replace=True)
        assert summary.conflicts == 2  # STYRET chair and AU member, both from the report
        assert {m.group_id for m in directory.person(session, "svein-skeie").memberships} == {
            "STYRET",
            "AU",
        }
        assert {c.field for c in conflicts(session)} == {"remove"}


def test_accept_conflicts_at_import_is_an_admin_decision(db, tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(WEB_FILE, encoding="utf-8")
    with db.session() as session:
        import_file(session, "people", path, source="web", imported_by="ada", accept_conflicts=True)
    assert holders(db, "STYRET")["deputy_chair"] == {"Einar Bugge"}
    with db.session() as session:
        assert session.get(Person, "svein-skeie").organisation_id == "STOLAV"
        decided = conflicts(session, include_decided=True)
        assert {c.status for c in decided} == {"accepted"}
        assert {c.decided_by for c in decided} == {"ada"}
        assert conflicts(session) == []


def test_the_home_screen_mentions_the_follow_up(bot):
    home = bot.home(Sender("console", "u9"))
    assert any("kilde?" in getattr(part, "text", "") for part in home.parts)


def test_accepting_each_kind_of_conflict_changes_that_row(db, tmp_path):
    """A person's field, a membership's note and a post's holder: `decide` finds the right row
    for each entity (and records the decision as its source)."""
    path = tmp_path / "web.yaml"
    path.write_text(WEB_FILE, encoding="utf-8")
    with db.session() as session:
        import_file(session, "people", path, source="web", imported_by="tester")
    with db.session() as session:
        for conflict in conflicts(session):
            decide(session, conflict.id, accept=True, by="ada", now=datetime.now(UTC))
    with db.session() as session:
        skeie = session.get(Person, "svein-skeie")
        assert skeie.organisation_id == "STOLAV"
        assert skeie.provenance["fields"]["organisation_id"]["decided_by"] == "ada"
        assert conflicts(session) == []
    assert holders(db, "STYRET")["deputy_chair"] == {"Einar Bugge"}
