"""One transport registry (issue 10, part 2): a destination kind is one `Transport` class plus
one registration, every destination is checked against the registry — at start-up, at
`schedule add` / `--to`, when queued and when sent — and an unknown kind never falls through to
another sender.

The worked example is a throw-away kind defined here: `chathook:CHANNEL`, a real class posting
over HTTP to a local stand-in of a chat server's incoming hooks, registered for one test and
posted to through the outbox exactly as the built-in kinds are."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from bot.config import ConfigError
from bot.core import Bot
from bot.destinations import TRANSPORTS, DestinationError, Sender, Transport
from bot.markup import plain
from bot.redact import mask_destination
from bot.replies import Person, Reply, Section
from integrations.send_errors import SendError
from storage.db import Database
from storage.outbox import OutboxPost, deliver_due, enqueue, get_post
from storage.schedules import Schedule, add_schedule
from tests.support._http import LocalHTTPServer, Request, Response, json_response
from tests.support.graph_api import FakeGraphAPI
from tests.support.posts import close_bot, make_posts_bot, posts_env

SECRET = "sig=TOPSECRET123"


class ChatHookServer(LocalHTTPServer):
    """A chat server's incoming hooks: POST /hooks/CHANNEL creates a post, PUT /posts/ID edits."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: dict[str, dict[str, str]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(request)
            body = request.json() or {}
            channel = request.path.removeprefix("/hooks/")
            if request.method == "POST" and channel != request.path:
                post_id = f"p{len(self.posts) + 1}"
                self.posts[post_id] = {"channel": channel, "text": str(body.get("text"))}
                return json_response({"id": post_id}, status=201)
            post_id = request.path.removeprefix("/posts/")
            if request.method == "PUT" and post_id in self.posts:
                self.posts[post_id]["text"] = str(body.get("text"))
                return json_response({"id": post_id})
            return json_response({"error": "not found"}, status=404)


class ChatHookSender:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _call(self, method: str, path: str, reply: Reply) -> str:
        try:
            response = httpx.request(method, self.base_url + path, timeout=5,
                                     json={"text": plain(reply.text)})
        except httpx.HTTPError as exc:
            raise SendError(f"chathook unreachable: {exc}", retryable=True) from None
        if response.status_code >= 500:
            raise SendError(f"chathook {response.status_code}", retryable=True, ambiguous=True)
        if response.status_code >= 400:
            raise SendError(f"chathook refused: {response.status_code}", retryable=False)
        return str(response.json()["id"])

    def send(self, kind: str, target: str, reply: Reply, *, key: str,
             look_since: datetime | None) -> str | None:
        return self._call("POST", f"/hooks/{target}", reply)

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str | None:
        return self._call("PUT", f"/posts/{ref}", reply)


class ChatHookTransport(Transport):
    """The whole of a new destination kind."""

    kinds = ("chathook",)
    usage = "chathook:CHANNEL"
    surface = "chathook"
    editable_kinds = ("chathook",)

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def validate(self, kind: str, address: str) -> str | None:
        if not re.fullmatch(r"[a-z0-9-]{1,64}", address):
            return "a chathook channel is lower-case letters, digits and dashes."
        return None

    def connect(self, services: Any) -> Sender:
        return ChatHookSender(self.base_url)

    def reach(self, person: Person) -> str | None:
        return f"chathook:dm-{person.user_id}" if person.platform == "chathook" else None


@pytest.fixture
def chathook() -> Iterator[ChatHookServer]:
    with ChatHookServer() as server, TRANSPORTS.registered(ChatHookTransport(server.base_url)):
        yield server


@pytest.fixture
def posts_bot(sqlite_url: str, fake_graph: FakeGraphAPI) -> Iterator[Bot]:
    bot = make_posts_bot(sqlite_url, graph=fake_graph)
    yield bot
    close_bot(bot)


def queue(bot: Bot, key: str, destination: str, text: str, **kwargs: Any) -> bool:
    reply = Reply(text=text, parts=(Section(text),))
    with bot.services.db.session() as session:
        return enqueue(session, key=key, destination=destination, reply=reply, **kwargs)


def test_a_new_kind_registered_in_one_line_is_posted_and_edited_through_the_outbox(
    posts_bot: Bot, chathook: ChatHookServer, fake_graph: FakeGraphAPI
) -> None:
    assert queue(posts_bot, "agenda:1:chathook:styret", "chathook:styret", "Dagsorden for styret")
    [sent] = deliver_due(posts_bot.services)
    assert (sent.status, sent.ref) == ("sent", "p1")
    assert chathook.posts["p1"] == {"channel": "styret", "text": "Dagsorden for styret"}
    # an edit goes through the same registry: the transport says the kind is editable
    assert queue(posts_bot, "agenda:1:chathook:styret:v2", "chathook:styret", "Dagsorden v2",
                 update_of="agenda:1:chathook:styret")
    [edited] = deliver_due(posts_bot.services)
    assert edited.status == "sent" and chathook.posts["p1"]["text"] == "Dagsorden v2"
    assert [r.method for r in chathook.requests] == ["POST", "PUT"]
    assert TRANSPORTS.editable("chathook:styret")
    assert fake_graph.requests() == []  # nothing went anywhere else


def test_the_new_kind_is_checked_like_the_built_in_ones(
    posts_bot: Bot, chathook: ChatHookServer
) -> None:
    with pytest.raises(DestinationError, match="a chathook channel is lower-case"):
        queue(posts_bot, "k", "chathook:Styret Rom", "x")
    with posts_bot.services.db.session() as session:
        schedule_id = add_schedule(session, job="digest", destinations=["chathook:nyheter"],
                                   cron="0 9 * * 1", now=posts_bot.services.clock.now())
        assert schedule_id > 0
        with pytest.raises(DestinationError, match="'chathook:Nyheter!'"):
            add_schedule(session, job="digest", destinations=["chathook:Nyheter!"],
                         cron="0 9 * * 1")
    assert chathook.requests == []
    person = Person(platform="chathook", user_id="u7")
    assert TRANSPORTS.reach(person) == "chathook:dm-u7"
    assert person.destination == "chathook:dm-u7"  # what features use to tell a person


def test_a_kind_that_is_no_longer_registered_fails_at_once_and_never_reaches_graph(
    posts_bot: Bot, fake_graph: FakeGraphAPI
) -> None:
    with ChatHookServer() as server, TRANSPORTS.registered(ChatHookTransport(server.base_url)):
        queue(posts_bot, "old", "chathook:styret", "queued while the kind existed")
    with posts_bot.services.db.session() as session:  # as an older version might have left it
        session.execute(insert(OutboxPost).values(
            key="irc", destination="irc:#norcrin", payload={"text": "x"}, status="pending",
            attempts=0, created_at=datetime.now(UTC)))
    outcomes = {o.key: o for o in deliver_due(posts_bot.services)}
    assert outcomes["old"].status == "failed" and outcomes["irc"].status == "failed"
    assert "'chathook:styret' is not a destination" in (outcomes["old"].error or "")
    assert "'irc:#norcrin' is not a destination" in (outcomes["irc"].error or "")
    assert fake_graph.requests() == [] and server.requests == []
    with posts_bot.services.db.session() as session:
        assert get_post(session, "irc").status == "failed"  # type: ignore[union-attr]
    with pytest.raises(DestinationError, match="not a destination"):
        queue(posts_bot, "again", "chathook:styret", "x")


@pytest.mark.parametrize(
    ("destination", "problem"),
    [
        ("irc:#norcrin", "is not a destination (slack:CHANNEL, slack-user:USER, teams:TEAM"),
        ("slack:", "is not a destination"),
        ("slack:C0 STYRET", "a Slack channel is an id"),
        ("slack-user:<@U1>", "a Slack user is an id"),
        ("teams:only-a-team", "teams:TEAM_ID/CHANNEL_ID"),
        ("mail:kari.example.org", "mail takes e-mail addresses"),
        ("mail:a@b.no,,nope", "mail takes e-mail addresses"),
        (f"teams-webhook:ftp://hooks.example/run?{SECRET}", "must be an http(s) URL"),
    ],
)
def test_malformed_destinations_are_refused_at_schedule_add_naming_them_masked(
    bot: Bot, destination: str, problem: str
) -> None:
    with bot.services.db.session() as session, pytest.raises(DestinationError) as refused:
        add_schedule(session, job="digest", destinations=[destination], cron="0 9 * * 1")
    message = str(refused.value)
    assert problem in message and repr(mask_destination(destination)) in message
    assert SECRET not in message


def test_good_destinations_of_every_built_in_kind_pass(bot: Bot) -> None:
    good = ["slack:C0123ABC", "slack-user:U0123", "teams:team-1/19:ap8@thread.tacv2",
            f"teams-webhook:https://prod.example.org/workflows/a/triggers/manual?{SECRET}",
            "mail:a@hus.no,b@stolav.no", "console:operator", "console:Kari Nordmann"]
    for destination in good:
        assert TRANSPORTS.check(destination)[0] == destination.split(":")[0]
    assert not TRANSPORTS.editable(good[3]) and not TRANSPORTS.editable(good[4])
    assert TRANSPORTS.editable(good[0]) and TRANSPORTS.editable(good[2])
    slack_person = Person(platform="slack", user_id="U0KARI")
    assert TRANSPORTS.reach(slack_person) == "slack-user:U0KARI"
    console_person = Person(platform="console", user_id="kari", person_id="kari-nordmann")
    assert TRANSPORTS.reach(console_person) == "console:kari-nordmann"


def test_a_kind_cannot_be_registered_twice() -> None:
    class Impostor(ChatHookTransport):
        kinds = ("slack",)

    with pytest.raises(ValueError, match="'slack' is already SlackTransport's"):
        TRANSPORTS.register(Impostor("http://127.0.0.1:9"))
    assert type(TRANSPORTS.transport("slack")).__name__ == "SlackTransport"


def test_a_secret_kind_is_masked_everywhere_once_registered(bot: Bot) -> None:
    class SecretHook(ChatHookTransport):
        kinds = ("secrethook",)
        secret = True

        def validate(self, kind: str, address: str) -> str | None:
            return None if address.startswith("https://") else "an https URL."

    with TRANSPORTS.registered(SecretHook("http://127.0.0.1:9")):
        assert mask_destination("secrethook:https://h/x?t=abc") == "secrethook:***"
        with pytest.raises(DestinationError) as refused:
            TRANSPORTS.check("secrethook:ftp://h/x?t=abc")
        assert "t=abc" not in str(refused.value) and "'secrethook:***'" in str(refused.value)


def test_a_bad_secretariat_channel_stops_the_bot_at_start_up(
    sqlite_url: str, make_bot: Any
) -> None:
    with pytest.raises(ConfigError) as refused:
        make_bot(sqlite_url, SECRETARIAT_CHANNEL=f"teams-webhook:ftp://x.example/?{SECRET}")
    message = str(refused.value)
    assert message.startswith("SECRETARIAT_CHANNEL: 'teams-webhook:ftp://…/…?sig=***'")
    assert SECRET not in message
    with pytest.raises(ConfigError, match="SECRETARIAT_CHANNEL: 'irc:#x' is not a destination"):
        make_bot(sqlite_url, SECRETARIAT_CHANNEL="irc:#x")
    assert make_bot(sqlite_url, SECRETARIAT_CHANNEL="C0SEKR") is not None  # bare Slack id


def test_a_fresh_cli_process_knows_every_kind_before_parsing_to(sqlite_url: str) -> None:
    """`--to` is checked while argparse runs, so the registry must be filled by then."""
    from integrations.runtime import cli

    env = {**os.environ, "DATABASE_URL": sqlite_url, "BOT_LANGUAGE": "nb"}
    run = [sys.executable, "-c", f"import sys; from {cli.__name__} import main; "
           "sys.exit(main(sys.argv[1:]))", "schedule", "add", "--job", "digest", "--cron",
           "0 9 * * 1"]
    good = subprocess.run([*run, "--to", "slack:C1", "--to", "mail:a@hus.no"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    bad = subprocess.run([*run, "--to", f"teams-webhook:ftp://x.example/?{SECRET}"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "'teams-webhook:ftp://…/…?sig=***': the webhook must be an http(s) URL" in bad.stderr
    assert SECRET not in bad.stderr + bad.stdout


def test_a_stored_schedule_no_transport_takes_stops_the_worker_at_start_up(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Schedules written before a kind went away (or by hand) are caught when the worker starts,
    not as failed posts on the day they fire."""
    from integrations.runtime.cli import main

    for name, value in posts_env(sqlite_url).items():
        monkeypatch.setenv(name, value)
    db = Database(sqlite_url)
    with db.session() as session:
        for destination in ("slack:C1", "irc:#styret", f"teams-webhook:ftp://x.example/?{SECRET}"):
            session.add(Schedule(job="digest", args={}, destinations=[destination], kind="cron",
                                 cron="0 9 * * 1", timezone="Europe/Oslo", active=True,
                                 created_at=datetime.now(UTC)))
        ids = [s.id for s in session.query(Schedule).order_by(Schedule.id)]
    db.dispose()
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert f"schedule {ids[1]} (digest): 'irc:#styret' is not a destination" in err
    assert f"schedule {ids[2]} (digest): 'teams-webhook:ftp://…/…?sig=***'" in err
    assert f"schedule {ids[0]} " not in err and SECRET not in err
    assert "norcrin-bot schedule cancel ID" in err


def test_a_directory_person_is_reached_through_each_set_up_transport() -> None:
    """Status prompts go to the terminal always, to a Slack DM and to mail only when those
    transports are set up and the directory has the handle (and a well-formed one)."""
    from dataclasses import replace

    from bot.config import Settings
    from commands.status_delivery import person_destinations
    from storage.models import Person as DirectoryPerson

    class Services:
        settings = Settings(database_url="sqlite://")

    kari = DirectoryPerson(id="kari-nordmann", name="Kari Nordmann",
                           slack_user_id="U0KARI", email="kari@hus.no")
    bare = Services()
    assert person_destinations(bare, kari) == ["console:kari-nordmann"]  # type: ignore[arg-type]
    both = Services()
    both.settings = replace(bare.settings, slack_bot_token="xoxb-1", graph_mail_sender="m@x.no")
    assert person_destinations(both, kari) == [  # type: ignore[arg-type]
        "console:kari-nordmann", "slack-user:U0KARI", "mail:kari@hus.no"]
    nobody = DirectoryPerson(id="ola", name="Ola", slack_user_id=None, email="not an address")
    assert person_destinations(both, nobody) == ["console:ola"]  # type: ignore[arg-type]


def test_an_owner_id_and_the_secretariat_channel_become_destinations_in_one_place() -> None:
    from dataclasses import replace

    from bot.config import Settings
    from bot.destinations import secretariat_destination
    from commands.agenda import owner_destination
    from commands.teachback import secretariat_destination as teachback_destination
    from storage.agenda import Meeting

    plain_settings = Settings(database_url="sqlite://")
    assert secretariat_destination(plain_settings) is None
    assert teachback_destination(plain_settings) == "console:operator"
    bare = replace(plain_settings, secretariat_channel="C0SEKR")
    assert secretariat_destination(bare) == teachback_destination(bare) == "slack:C0SEKR"
    teams = replace(plain_settings, secretariat_channel="teams:team-1/19:sekr@thread.tacv2")
    assert secretariat_destination(teams) == "teams:team-1/19:sekr@thread.tacv2"

    assert owner_destination(Meeting(owner="U0KARI"), plain_settings) == "slack-user:U0KARI"
    assert owner_destination(Meeting(owner="W0KARI"), plain_settings) == "slack-user:W0KARI"
    assert owner_destination(Meeting(owner="kari-nordmann"), plain_settings) == (
        "console:kari-nordmann")
    assert owner_destination(Meeting(owner="Ukari"), plain_settings) == "console:Ukari"
    assert owner_destination(Meeting(owner=None), plain_settings) == "console:operator"
    assert owner_destination(Meeting(owner=None), bare) == "slack:C0SEKR"
    # a full destination is used as it is (it used to become "slack:teams:…")
    assert owner_destination(Meeting(owner=None), teams) == "teams:team-1/19:sekr@thread.tacv2"


def test_send_errors_live_in_one_module_not_named_like_the_transports_package() -> None:
    """`integrations.send_errors` (what senders raise) is not `integrations.transport` next to
    `integrations.transports`; every sender raises the class the delivery loop catches."""
    import importlib.util

    from integrations import delivery
    from integrations.graph import teams, webhook
    from integrations.slack import outbox

    assert importlib.util.find_spec("integrations.transport") is None
    for module in (delivery, teams, webhook, outbox):
        assert module.SendError is SendError, module.__name__
