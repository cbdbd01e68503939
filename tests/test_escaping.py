"""Hostile text never becomes a mention, a foreign link or markup in anything the bot posts.

Driven as an attacker would: signed Slack requests over real HTTP to the real bolt app, outbox
posts delivered to the Slack and Graph stand-ins, and everything those stand-ins recorded is then
searched — the top-level `text`, every mrkdwn object, Teams and mail HTML, Adaptive Cards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.core import Bot
from bot.markup import esc, link, safe_url, tokens
from bot.replies import Actions, Button, Heading, Message, Note, Person, Reply, Section
from commands.posts import publish_agenda
from integrations.runtime.cli import main
from integrations.runtime.worker import Worker
from storage import agenda as store
from storage.outbox import enqueue
from tests.support.adaptive_cards import validate_card
from tests.support.graph_api import FakeGraphAPI
from tests.support.posts import close_bot, make_posts_bot, posts_env
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_harness import SlackHarness, serve_slack
from tests.support.slack_signing import (
    app_mention_event,
    command_body,
    input_value,
    interaction_body,
    message_event,
    view_submission_payload,
)

MENTIONS = ("<!channel> <!here> <!everyone> <@U123> <#C999|general> <!subteam^S1|@team> "
            "<https://evil.example/>")
BAIT = "<https://evil.example/|klikk her> <javascript:alert(1)|trykk> <https://evil.example/>"
HOSTILE = f"{MENTIONS} {BAIT}"
TEAM, CHANNEL = "team-1", "19:ap8@thread.tacv2"
OSLO = ZoneInfo("Europe/Oslo")

# what Slack would turn into a mention, a broadcast or a link to somewhere we never linked
_SLACK_SPECIAL = re.compile(r"<\s*[!@#]|<\s*subteam|<\s*javascript|<\s*https?://evil")
_HTML_BAD = re.compile(r"<!(?!DOCTYPE html>)|<@|href=\"(?!https?://|mailto:)|href=\"https?://evil"
                       r"|<a href=\"[^\"]*\"[^>]*\bon\w+=")


def _slack_strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, string) for every string Slack would parse as mrkdwn, plus every button URL."""
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return  # plain_text objects are shown as typed: no links, no mentions
        for name, inner in value.items():
            yield from _slack_strings(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from _slack_strings(inner, key)
    elif isinstance(value, str) and key in ("text", "url", "blocks", "view"):
        if key in ("blocks", "view") and value.lstrip().startswith(("[", "{")):
            yield from _slack_strings(json.loads(value), key)
        else:
            yield key, value


def assert_slack_clean(fake: FakeSlackAPI) -> int:
    """No recorded Slack request carries a special mention or a foreign link; returns how many
    messages were checked (so a test can also insist that something was posted)."""
    checked = 0
    for call in fake.calls():
        if call.method not in ("chat.postMessage", "chat.update", "chat.postEphemeral",
                               "response_url", "views.open", "views.update", "views.publish"):
            continue
        checked += 1
        for key, text in _slack_strings(call.params):
            if key == "url":
                assert safe_url(text) == text and "evil" not in text, (call.method, text)
            else:
                assert not _SLACK_SPECIAL.search(text), (call.method, text)
    return checked


def assert_graph_clean(fake: FakeGraphAPI) -> int:
    checked = 0
    for request in fake.requests():
        if request.method not in ("POST", "PATCH") or not isinstance(request.json, dict):
            continue
        body = json.dumps(request.json, ensure_ascii=False)
        checked += 1
        for html in re.findall(r'"content": "((?:[^"\\]|\\.)*)"', body):
            html = json.loads(f'"{html}"')
            assert not _HTML_BAD.search(html), html
            assert "<!channel>" not in html and "<@U123>" not in html
        if "adaptive" in body:
            assert '"TextBlock"' not in body  # Teams reads Markdown in TextBlocks
            for url in re.findall(r'"url": "([^"]*)"', body):
                assert safe_url(url) == url and "evil" not in url, url
    return checked


@pytest.fixture
def edge(sqlite_url: str, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI
         ) -> Iterator[SlackHarness]:
    bot = make_posts_bot(sqlite_url, slack=fake_slack, graph=fake_graph, BOT_ADMINS="U0ADMIN")
    try:
        with serve_slack(bot, fake_slack) as harness:
            yield harness
    finally:
        close_bot(bot)


def test_questions_never_echo_mentions(edge: SlackHarness) -> None:
    edge.http.send_event(app_mention_event(f"<@U0BOT> hvem er {HOSTILE}?", user="U1",
                                           channel="C1"))
    edge.http.send_event(message_event(f"sop {HOSTILE}", user="U2", channel="D2",
                                       channel_type="im"))
    edge.http.send_event(message_event(f"contact {MENTIONS}", user="U2", channel="D2",
                                       channel_type="im"))
    edge.http.post(command_body(text=f"wp {HOSTILE}", user_id="U3",
                                response_url=edge.fake.response_url("wp")))
    edge.fake.wait_for("chat.postMessage", count=3)
    edge.fake.wait_for("response_url")
    assert assert_slack_clean(edge.fake) >= 4


def test_status_command_never_echoes_mentions(edge: SlackHarness) -> None:
    for user in ("U0ADMIN", "U1"):
        edge.http.send_event(app_mention_event(f"<@U0BOT> status <!channel> {BAIT}", user=user,
                                               channel="C1"))
        edge.http.send_event(message_event(f"status {MENTIONS}", user=user, channel=f"D{user}",
                                           channel_type="im"))
    edge.http.post(command_body(text="status <!here>", user_id="U0ADMIN",
                                response_url=edge.fake.response_url("status")))
    edge.fake.wait_for("chat.postMessage", count=4)
    edge.fake.wait_for("response_url")
    assert assert_slack_clean(edge.fake) >= 5


def test_an_accepted_proposal_title_stays_text_everywhere(
    edge: SlackHarness, fake_graph: FakeGraphAPI
) -> None:
    services = edge.bot.services
    destinations = ["slack:C0AGENDA", f"teams:{TEAM}/{CHANNEL}",
                    f"teams-webhook:{fake_graph.webhook_url('ap8')}", "mail:kari@example.org"]
    with services.db.session() as session:
        meeting = store.create_meeting(
            session, series="AP8", title="AP8-møte", owner="U0OWNER", place=f"Sal {MENTIONS}",
            start=datetime(2030, 3, 4, 9, 0, tzinfo=OSLO), destinations=destinations)
        meeting_id = meeting.id
        publish_agenda(session, meeting, destinations, OSLO)
    worker = Worker(services)
    worker.deliver()
    values = {  # the modal's fields arrive raw, not as chat markup
        "meeting": {"meeting": input_value(str(meeting_id), "static_select")},
        "title": {"value": input_value(f"Budsjett {HOSTILE}")},
        "minutes": {"value": input_value("15")},
        "presenter": {"value": input_value(MENTIONS)},
        "note": {"value": input_value(BAIT)},
    }
    edge.http.post(interaction_body(view_submission_payload("U0OLA", "agenda_propose", values)))
    edge.fake.wait_for("chat.postMessage", count=2)  # the agenda, the thank-you
    worker.deliver()  # the owner's question with Accept/Decline
    owner_dm = [c for c in edge.fake.calls("chat.postMessage")
                if c.params["channel"] == "DU0OWNER"]
    assert owner_dm and "Budsjett" in owner_dm[0].params["text"]
    edge.http.send_event(message_event("agenda accept 1", user="U0OWNER", channel="DU0OWNER",
                                       channel_type="im"))
    edge.fake.wait_for("chat.postMessage", count=4)  # the owner is answered
    worker.deliver()  # edits of the agenda everywhere, the DM to the proposer
    updated = edge.fake.messages("C0AGENDA")[0]
    assert "Budsjett" in updated["text"]
    assert "&lt;!channel&gt;" in updated["text"]  # shown, as text
    assert assert_slack_clean(edge.fake) >= 5
    assert assert_graph_clean(fake_graph) >= 3
    (message,) = fake_graph.messages(TEAM, CHANNEL)
    assert "Budsjett" in message["body"]["content"]


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>NorCRIN</title><link>https://www.norcrin.no/</link>
<item><title>Nyhet &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example/|klikk&gt;</title>
  <link>https://www.norcrin.no/aktuelt/sak?a=1&amp;b=|&lt;!here&gt;</link>
  <description>Sammendrag &lt;!everyone&gt; *fet* [lenke](https://evil.example/)</description>
  <guid>hostile-1</guid><pubDate>Mon, 20 Oct 2025 09:00:00 +0200</pubDate></item>
<item><title>Skript</title><link>javascript:alert(1)</link>
  <pubDate>Mon, 20 Oct 2025 09:00:00 +0200</pubDate></item>
</channel></rss>
"""


@pytest.fixture
def cli(sqlite_url: str, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    for name, value in posts_env(sqlite_url, slack=fake_slack, graph=fake_graph).items():
        monkeypatch.setenv(name, value)

    def run(*argv: str) -> str:
        code = main(list(argv))
        out, err = capsys.readouterr()
        assert code == 0, err
        return out + err

    return run


def test_feed_titles_and_links_stay_text_in_digests(
    cli: Any, tmp_path: Path, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")
    assert "skipped 1" in cli("news", "import", str(feed))  # the javascript: link
    cli("digest", "post", "--to", "slack:C0NEWS", "--to", f"teams:{TEAM}/{CHANNEL}",
        "--to", f"teams-webhook:{fake_graph.webhook_url('news')}", "--to", "mail:a@example.org")
    assert assert_slack_clean(fake_slack) == 1
    assert assert_graph_clean(fake_graph) == 3
    (posted,) = fake_slack.messages("C0NEWS")
    blocks = json.dumps(posted["blocks"])
    # the item still links to its own page, with `|` and `<>` encoded inside the URL
    assert "<https://www.norcrin.no/aktuelt/sak?a=1&amp;b=%7C%3C!here%3E|" in blocks
    (message,) = fake_graph.messages(TEAM, CHANNEL)
    assert 'href="https://www.norcrin.no/aktuelt/sak?a=1&amp;b=%7C%3C!here%3E"' in (
        message["body"]["content"])


def test_imported_names_stay_text(
    cli: Any, tmp_path: Path, sqlite_url: str, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI
) -> None:
    people = tmp_path / "people.yaml"
    people.write_text(yaml.safe_dump([{
        "id": "zyx", "name": f"Zyxbrekke {MENTIONS}", "organisation": "UNN",
        "email": "zyx@unn.no", "memberships": [{"group": "AP14", "role": "leader",
                                                "note": BAIT}],
    }], allow_unicode=True), encoding="utf-8")
    cli("import", "people", str(people))
    bot = make_posts_bot(sqlite_url, slack=fake_slack, graph=fake_graph)
    try:
        with serve_slack(bot, fake_slack) as edge:
            for text in ("hvem er Zyxbrekke", "hvem leder AP14", "contact UNN", "wp 14"):
                edge.http.send_event(message_event(text, user="U2", channel="D2",
                                                   channel_type="im"))
            posts = edge.fake.wait_for("chat.postMessage", count=4)
            assert any("Zyxbrekke" in c.params["text"] for c in posts)
            assert assert_slack_clean(edge.fake) == 4
        # the same answers posted to Teams, a Workflows webhook and e-mail
        sender = Person("console", "ola")
        replies = [r for q in ("hvem er Zyxbrekke", "wp 14", "contact UNN")
                   for r in bot.handle(Message(text=q, sender=sender))]
        destinations = [f"teams:{TEAM}/{CHANNEL}", f"teams-webhook:{fake_graph.webhook_url()}",
                        "mail:a@example.org"]
        with bot.services.db.session() as session:
            for index, reply in enumerate(replies):
                for destination in destinations:
                    enqueue(session, key=f"n{index}:{destination}", destination=destination,
                            reply=reply)
        Worker(bot.services).deliver()
        assert assert_graph_clean(fake_graph) == 3 * len(replies)
        assert any("Zyxbrekke &lt;!channel&gt;" in m["body"]["content"]
                   for m in fake_graph.messages(TEAM, CHANNEL))
    finally:
        close_bot(bot)


def test_javascript_urls_never_become_links(
    bot_with_fakes: Bot, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI
) -> None:
    reply = Reply(text=f"Se {BAIT}", parts=(
        Heading(f"Tittel {MENTIONS}"),
        Section(f"{link('javascript:alert(1)', 'a')} {link('JavaScript:alert(1)')} "
                f"{link(' data:text/html,x', 'b')} <javascript:alert(1)|c> {esc(BAIT)}"),
        Note(f"<vbscript:x|d> {esc(BAIT)}"),
        Actions((Button("Åpne", url="javascript:alert(1)"),
                 Button("Norcrin", url="https://www.norcrin.no/"))),
    ))
    destinations = ["slack:C0JS", f"teams:{TEAM}/{CHANNEL}",
                    f"teams-webhook:{fake_graph.webhook_url('js')}", "mail:a@example.org"]
    with bot_with_fakes.services.db.session() as session:
        for index, destination in enumerate(destinations):
            enqueue(session, key=f"js{index}", destination=destination, reply=reply)
    Worker(bot_with_fakes.services).deliver()
    assert assert_slack_clean(fake_slack) == 1
    assert assert_graph_clean(fake_graph) == 3
    everything = json.dumps([c.params for c in fake_slack.calls()] +
                            [r.json for r in fake_graph.requests()])
    assert "https://www.norcrin.no/" in everything  # the good link survives
    link_targets = re.findall(r'(?:href=\\"|"url": ")([^"\\]*)', everything)
    assert link_targets and all(t.startswith(("https://", "http://")) for t in link_targets)
    assert not re.search(r"(?i)<(javascript|vbscript|data):", json.dumps(
        [c.params for c in fake_slack.calls()]))


@pytest.fixture
def bot_with_fakes(sqlite_url: str, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI
                   ) -> Iterator[Bot]:
    bot = make_posts_bot(sqlite_url, slack=fake_slack, graph=fake_graph)
    yield bot
    close_bot(bot)


@pytest.mark.parametrize(("url", "safe"), [
    ("https://www.norcrin.no/a?b=1&c=2", "https://www.norcrin.no/a?b=1&c=2"),
    ("https://x.no/a|b>c<d\"e f", "https://x.no/a%7Cb%3Ec%3Cd%22e%20f"),
    ("http://x.no/æ", "http://x.no/%C3%A6"),
    ("https://bø.no/å", "https://xn--b-5ga.no/%C3%A5"),
    ("javascript:alert(1)", None),
    ("JAVASCRIPT:alert(1)", None),
    ("data:text/html,<b>", None),
    ("//evil.example/", None),
    ("/relative", None),
    ("https:///nohost", None),
    ("https://x.no/\nInjected", None),
])
def test_safe_url(url: str, safe: str | None) -> None:
    assert safe_url(url) == safe


def test_markup_round_trip_keeps_only_our_links() -> None:
    raw = "<!channel> <@U1> <javascript:x|y> < b >"
    markup = f"*{esc('A <!channel> & B')}* {link('https://x.no/?a=1&b=2', 'x|y')} {raw}"
    kinds = [type(t).__name__ for t in tokens(markup)]
    assert kinds == ["Text", "Link", "Text"]
    first, found, rest = tokens(markup)
    assert first.text == "*A <!channel> & B* "  # type: ignore[union-attr]
    assert (found.url, found.label) == ("https://x.no/?a=1&b=2", "x|y")  # type: ignore[union-attr]
    assert rest.text == " " + raw  # type: ignore[union-attr]


def test_teams_html_formatting_never_reaches_into_a_url() -> None:
    from integrations.graph.escape import inline_html

    url = 'https://x.no/a_b_c_d?q="x"'
    markup = f"*{link(url, 'se _her_')}* _kursiv_ `kode` {esc('<b onclick=x>')}"
    html = inline_html(markup)
    assert html == ('<b><a href="https://x.no/a_b_c_d?q=%22x%22">se _her_</a></b> <i>kursiv</i> '
                    "<code>kode</code> &lt;b onclick=x&gt;")


def test_adaptive_card_text_is_runs_not_markdown() -> None:
    from integrations.graph.render import adaptive_card

    reply = Reply(text="x", parts=(
        Heading("**Ikke fet** [lenke](https://evil.example/)"),
        Section(f"*Fet* {link('https://www.norcrin.no/', 'NorCRIN')} [x](javascript:alert(1))\n"
                "linje 2"),
    ))
    card = adaptive_card(reply)
    validate_card(card)
    body = card["body"]
    assert {block["type"] for block in body} == {"RichTextBlock"}
    heading, first, second = body
    assert heading["inlines"][0]["text"] == "**Ikke fet** [lenke](https://evil.example/)"
    runs = first["inlines"]
    assert runs[0] == {"type": "TextRun", "text": "Fet", "weight": "Bolder"}
    assert runs[2]["selectAction"] == {"type": "Action.OpenUrl", "url": "https://www.norcrin.no/"}
    assert runs[3]["text"] == " [x](javascript:alert(1))" and "selectAction" not in runs[3]
    assert second["inlines"][0]["text"] == "linje 2"
