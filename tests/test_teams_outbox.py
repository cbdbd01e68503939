"""`teams-user:` posts through the outbox over real HTTP to the Bot Connector stand-in: sent to
the stored 1:1 chat, throttling retried by the delivery loop after Retry-After, a 500 never
re-sent (Teams may have posted it), edits in place, a user without a chat refused, and a
certificate credential instead of a password."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from bot.clock import FixedClock
from bot.config import ConfigError, load_settings
from bot.core import Bot
from bot.replies import Heading, Reply, Section
from storage.outbox import deliver_due, enqueue, get_post
from storage.teams import remember
from tests.support.posts import close_bot, make_posts_bot
from tests.support.status import oslo
from tests.support.teams_api import APP_ID, BotFrameworkStandIn, Member
from tests.test_teams_edge import card_text, validate_card

KARI = Member("29:1kari", "Kari Nordmann", "aad-kari-0001", "kari@example.org", None)
CHAT = f"a:1personal-{KARI.aad_object_id}"
REPLY = Reply(text="Dagsorden", parts=(Heading("Styremøte"), Section("*1-2026* Godkjenning")))


@pytest.fixture
def stand_in() -> Iterator[BotFrameworkStandIn]:
    with BotFrameworkStandIn() as server:
        yield server


def make(sqlite_url: str, stand_in: BotFrameworkStandIn, **env: str) -> Bot:
    bot = make_posts_bot(sqlite_url, clock=FixedClock(oslo(2026, 3, 2, 10, 0)),
                         **{**stand_in.env(), **env})
    with bot.services.db.session() as session:
        remember(session, conversation_id=CHAT, scope="personal",
                 service_url=stand_in.service_url, now=bot.services.clock.now(),
                 user_id=KARI.id, aad_object_id=KARI.aad_object_id, person_id="kari-nordmann")
    return bot


@pytest.fixture
def bot(sqlite_url: str, stand_in: BotFrameworkStandIn) -> Iterator[Bot]:
    instance = make(sqlite_url, stand_in)
    yield instance
    close_bot(instance)


def queue(bot: Bot, key: str, destination: str, reply: Reply = REPLY, **kwargs: object) -> None:
    with bot.services.db.session() as session:
        enqueue(session, key=key, destination=destination, reply=reply, **kwargs)  # type: ignore[arg-type]


def test_a_queued_post_reaches_the_stored_chat(bot, stand_in):
    queue(bot, "k1", f"teams-user:{KARI.aad_object_id}")
    [outcome] = deliver_due(bot.services)
    assert outcome.status == "sent"
    [sent] = stand_in.sent
    assert sent.conversation_id == CHAT
    validate_card(sent.cards[0])
    assert "Styremøte" in card_text(sent.cards[0])
    assert outcome.ref == f"{CHAT}/{sent.activity_id}"


def test_throttling_is_retried_after_retry_after_and_sent_once(bot, stand_in):
    stand_in.fail_next(429, retry_after="0", times=2)
    queue(bot, "k1", f"teams-user:{KARI.aad_object_id}")
    [outcome] = deliver_due(bot.services)
    assert outcome.status == "sent"
    assert len(stand_in.sent) == 1


def test_a_500_is_never_sent_twice(bot, stand_in):
    stand_in.fail_next(500, times=1)
    queue(bot, "k1", f"teams-user:{KARI.aad_object_id}")
    deliver_due(bot.services)
    with bot.services.db.session() as session:
        post = get_post(session, "k1")
        assert post.status == "failed" and "not sent again" in (post.last_error or "")
    assert stand_in.sent == []


def test_an_edit_replaces_the_post_in_place(bot, stand_in):
    queue(bot, "k1", f"teams-user:{KARI.aad_object_id}")
    deliver_due(bot.services)
    changed = Reply(text="Dagsorden", parts=(Heading("Styremøte"), Section("*2-2026* Budsjett")))
    queue(bot, "k1:rev1", f"teams-user:{KARI.aad_object_id}", changed, update_of="k1")
    [outcome] = deliver_due(bot.services)
    assert outcome.status == "sent"
    first, edit = stand_in.sent
    assert edit.method == "PUT" and edit.target_id == first.activity_id
    assert "Budsjett" in card_text(edit.cards[0])


def test_a_user_without_a_chat_is_refused_clearly(bot, stand_in):
    queue(bot, "k1", "teams-user:aad-nobody")
    [outcome] = deliver_due(bot.services)
    assert outcome.status == "failed" and "not installed" in (outcome.error or "")
    assert stand_in.sent == []


def _certificate(path: Path) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "norcrin-bot")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
        + cert.public_bytes(serialization.Encoding.PEM))
    return key


def test_a_certificate_credential_signs_a_client_assertion(sqlite_url, stand_in, tmp_path):
    key = _certificate(tmp_path / "bot.pem")
    stand_in.accept_assertion_key = key.public_key()
    bot = make(sqlite_url, stand_in, TEAMS_APP_PASSWORD="",
               TEAMS_CERT_PATH=str(tmp_path / "bot.pem"))
    try:
        queue(bot, "k1", f"teams-user:{KARI.aad_object_id}")
        [outcome] = deliver_due(bot.services)
        assert outcome.status == "sent"
        [request] = stand_in.token_requests
        assert "client_secret" not in request
        claims = jwt.decode(request["client_assertion"], key.public_key(), algorithms=["RS256"],
                            audience=request["_url"])
        assert claims["iss"] == claims["sub"] == APP_ID
    finally:
        close_bot(bot)


@pytest.mark.parametrize(("env", "message"), [
    ({"TEAMS_APP_PASSWORD": "x"}, "TEAMS_APP_ID"),
    ({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "x"}, "TEAMS_TENANT_ID"),
    ({"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "x", "TEAMS_TENANT_ID": "t",
      "TEAMS_TOKEN_URL": "ftp://x"}, "TEAMS_TOKEN_URL"),
    ({"TEAMS_APP_ID": APP_ID, "TEAMS_CERT_PATH": "/nonexistent.pem", "TEAMS_TENANT_ID": "t"},
     "TEAMS_CERT_PATH"),
])
def test_half_configured_teams_stops_start_up_naming_the_setting(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"DATABASE_URL": "sqlite://", **env})


def test_settings_defaults_are_microsofts_and_single_tenant():
    settings = load_settings({"DATABASE_URL": "sqlite://", "TEAMS_APP_ID": APP_ID,
                              "TEAMS_APP_PASSWORD": "x", "TEAMS_TENANT_ID": "tenant-1"})
    teams = settings.teams
    assert teams is not None and settings.teams_enabled
    assert teams.openid_metadata_url == \
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert teams.token_endpoint == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token"
    assert "x" not in repr(teams).replace(APP_ID, "")  # the password is not in its repr
    multi = load_settings({"DATABASE_URL": "sqlite://", "TEAMS_APP_ID": APP_ID,
                           "TEAMS_APP_PASSWORD": "x", "TEAMS_MULTI_TENANT": "1"}).teams
    assert multi is not None and multi.tenant_id is None
    assert load_settings({"DATABASE_URL": "sqlite://"}).teams is None
    package_only = load_settings({"DATABASE_URL": "sqlite://", "TEAMS_APP_ID": APP_ID})
    assert package_only.teams is None and package_only.teams_app_id == APP_ID  # `teams package`
