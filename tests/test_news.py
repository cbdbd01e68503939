"""News from a feed (malformed entries reported and skipped), digests, and meetings read from a
Graph calendar view (paged, idempotent, a malformed event skipped)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core import Bot
from commands.calendar_import import import_calendar
from integrations.runtime.cli import main
from storage.agenda import Meeting
from tests.support.graph_api import FakeGraphAPI, make_event
from tests.support.posts import MAIL_SENDER, close_bot, make_posts_bot, posts_env
from tests.support.slack_api import FakeSlackAPI

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>NorCRIN</title><link>https://www.norcrin.no/</link>
<item><title>Høstmøte for datahåndterere og monitorer i NorCRIN</title>
  <link>https://norcrin.fnsp.nhn.no/nyheter/dmmon-hostmote2025</link>
  <guid>dmmon-2025</guid><pubDate>Mon, 20 Oct 2025 09:00:00 +0200</pubDate>
  <description>&lt;p&gt;Møtet holdes 8.–9. desember i Bergen. Påmelding åpner snart.&lt;/p&gt;
  </description></item>
<item><title>Uten lenke</title><guid>broken-1</guid>
  <pubDate>Tue, 21 Oct 2025 09:00:00 GMT</pubDate></item>
<item><title>Rar dato</title><link>https://www.norcrin.no/aktuelt/rar</link>
  <pubDate>den trettende i måneden</pubDate></item>
<item><title>Nye prosedyrer for kliniske studier på legemidler</title>
  <link>https://www.norcrin.no/aktuelt/nye-prosedyrer-for-kliniske-studier-pa-legemidler/</link>
  <pubDate>Wed, 01 Oct 2025 12:00:00 GMT</pubDate></item>
</channel></rss>
"""


@pytest.fixture
def cli(
    sqlite_url: str,
    fake_slack: FakeSlackAPI,
    fake_graph: FakeGraphAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    for name, value in posts_env(sqlite_url, slack=fake_slack, graph=fake_graph).items():
        monkeypatch.setenv(name, value)

    def run(*argv: str, status: int = 0) -> tuple[str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert code == status, captured
        return captured.out, captured.err

    return run


def test_feed_import_skips_malformed_entries_and_deduplicates(cli: Any, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")
    out, err = cli("news", "import", str(feed))
    assert out.strip() == "imported 2, already known 0, skipped 2"
    assert "entry 2 ('Uten lenke'): no usable link" in err
    assert "entry 3 ('Rar dato'): unreadable date" in err
    out, _ = cli("news", "import", str(feed))
    assert out.strip() == "imported 0, already known 2, skipped 2"
    out, err = cli(
        "news",
        "add",
        "--title",
        "Samme sak",
        "--url",
        "https://norcrin.fnsp.nhn.no/nyheter/dmmon-hostmote2025",
    )
    assert "already known" in err
    preview = json.loads(cli("digest", "preview", "--format", "json")[0])
    assert [i["title"] for i in preview["items"]] == [
        "Høstmøte for datahåndterere og monitorer i NorCRIN",
        "Nye prosedyrer for kliniske studier på legemidler",
    ]
    assert preview["items"][0]["summary"] == "Møtet holdes 8.–9. desember i Bergen."
    assert preview["items"][0]["date"] == "2025-10-20"


def test_not_a_feed_is_one_clear_error(cli: Any, tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello", encoding="utf-8")
    _, err = cli("news", "import", str(junk), status=1)
    assert "not an RSS/Atom feed" in err


def test_digest_preview_then_post_everywhere_then_only_new_items(
    cli: Any, fake_slack: FakeSlackAPI, fake_graph: FakeGraphAPI
) -> None:
    first, _ = cli(
        "news",
        "add",
        "--title",
        "Mer penger til NorCRIN",
        "--url",
        "https://duplikat.norcrin.no/aktuelt/mer-penger-til-norcrin/",
        "--published",
        "2025-09-10",
        "--summary",
        "Forlenget finansiering.",
    )
    cli(
        "news",
        "add",
        "--title",
        "Nytt kurs i GCP",
        "--url",
        "https://www.norcrin.no/gcp",
        "--published",
        "2025-11-01T10:00",
    )
    assert first.strip().isdigit()
    markdown, _ = cli("digest", "preview")
    assert markdown.splitlines()[2].startswith("- **[Nytt kurs i GCP]")  # newest first
    assert "(2025-09-10) — Forlenget finansiering." in markdown
    team = "teams:team-1/19:news@thread.tacv2"
    out, _ = cli(
        "digest",
        "post",
        "--to",
        "slack:C1",
        "--to",
        team,
        "--to",
        "mail:a@example.org,b@example.org",
        "--to",
        f"teams-webhook:{fake_graph.webhook_url('nyheter')}",
    )
    statuses = [line.split("\t")[1] for line in out.strip().splitlines()]
    assert statuses == ["sent", "sent", "sent", "sent"]
    assert "Mer penger til NorCRIN" in fake_slack.messages("C1")[0]["text"]
    assert (
        "Nytt kurs i GCP"
        in fake_graph.messages("team-1", "19:news@thread.tacv2")[0]["body"]["content"]
    )
    (mail,) = fake_graph.mails(MAIL_SENDER)
    assert mail["message"]["subject"] == "Nytt fra NorCRIN"
    assert fake_graph.webhook_posts("nyheter")
    assert json.loads(cli("digest", "preview", "--format", "json")[0])["items"] == []
    cli("news", "add", "--title", "Julehilsen", "--url", "https://www.norcrin.no/jul")
    later = json.loads(cli("digest", "preview", "--format", "json")[0])
    assert [i["title"] for i in later["items"]] == ["Julehilsen"]
    assert later["since"] is not None


def test_digest_post_exits_nonzero_when_a_destination_keeps_failing(
    cli: Any, fake_slack: FakeSlackAPI
) -> None:
    cli("news", "add", "--title", "Sak", "--url", "https://www.norcrin.no/sak")
    fake_slack.fail_next("chat.postMessage", 503, times=10)
    out, _ = cli("digest", "post", "--to", "slack:C1", status=1)
    assert out.startswith("slack:C1\tretry\t")
    out, _ = cli("outbox", "--format", "json")
    (row,) = json.loads(out)
    assert row["status"] == "pending" and "503" in row["last_error"]  # kept, not dropped


@pytest.fixture
def bot(sqlite_url: str, fake_graph: FakeGraphAPI) -> Iterator[Bot]:
    instance = make_posts_bot(sqlite_url, graph=fake_graph)
    yield instance
    close_bot(instance)


def test_calendar_import_pages_is_idempotent_and_skips_a_malformed_event(
    bot: Bot, fake_graph: FakeGraphAPI
) -> None:
    mailbox = "sekretariat@norcrin.no"
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    for day in range(12):
        start = base + timedelta(days=day)
        fake_graph.add_event(
            mailbox,
            make_event(
                f"AP{day % 3 + 1}-møte",
                start,
                start + timedelta(hours=1),
                time_zone="W. Europe Standard Time",
                location={"displayName": "Teams"},
            ),
        )
    broken = base + timedelta(days=20)
    fake_graph.add_event(mailbox, make_event("Ødelagt", broken, broken - timedelta(hours=1)))
    now = datetime.now(UTC)
    report = import_calendar(bot.services, user=mailbox, start=now, end=now + timedelta(days=60))
    assert len(report.added) == 12 and report.updated == []
    assert len(report.problems) == 1 and "Ødelagt" in report.problems[0]
    assert "ends before it starts" in report.problems[0]
    pages = fake_graph.requests("GET", f"/users/{mailbox}/calendar/calendarView")
    assert len(pages) >= 1 and all(p.status == 200 for p in pages)
    again = import_calendar(bot.services, user=mailbox, start=now, end=now + timedelta(days=60))
    assert again.added == [] and again.unchanged == 12
    with bot.services.db.session() as session:
        from sqlalchemy import select

        meetings = list(session.scalars(select(Meeting).order_by(Meeting.start_at)))
    assert len(meetings) == 12
    assert meetings[0].series == "AP1" and meetings[0].start_at == base
    assert meetings[0].place == "Teams"
