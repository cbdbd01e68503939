"""Teams Workflows webhook URLs are secrets: masked in every CLI output and log line, hashed in
outbox keys — driven through the real CLI, the real outbox and the fake Teams webhook."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.redact import mask_destination, mask_secrets
from integrations.runtime.cli import main
from storage.db import Database
from storage.outbox import OutboxPost
from tests.support.graph_api import FakeGraphAPI
from tests.support.posts import posts_env
from tests.support.slack_api import FakeSlackAPI

SIG = "Zq9SECRETsig"
MASKED = "teams-webhook:http://…/…?sig=***"


def webhook(fake_graph: FakeGraphAPI, name: str) -> str:
    """A Workflows-shaped URL (the signature in the query) on the fake Teams webhook."""
    query = f"api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIG}"
    return f"{fake_graph.webhook_url(name)}?{query}"


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
    seen: list[str] = []

    def run(*argv: str, status: int | None = 0) -> str:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert status is None or code == status, captured
        seen.append(captured.out + captured.err)
        return captured.out + captured.err

    run.seen = seen  # type: ignore[attr-defined]
    return run


def test_no_webhook_secret_in_any_output_or_log(cli, fake_graph, sqlite_url, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    good, bad = webhook(fake_graph, "ap8"), webhook(fake_graph, "gone")
    fake_graph.fail_next("POST", "/teams-webhook/gone", 404, times=5,
                         body=f"no flow at {bad}")
    cli("news", "add", "--title", "Nytt kurs i GCP", "--url", "https://www.norcrin.no/gcp")

    out = cli("digest", "post", "--to", f"teams-webhook:{good}", "--to", f"teams-webhook:{bad}",
              status=1)
    assert f"{MASKED}\tsent\t" in out and f"{MASKED}\tfailed\t" in out
    assert fake_graph.webhook_posts("ap8")  # the real URL was used to send

    cli("schedule", "add", "--job", "digest", "--to", f"teams-webhook:{good}",
        "--cron", "0 9 * * 1")
    listed = json.loads(cli("schedule", "list", "--format", "json"))
    assert listed[0]["destinations"] == [MASKED]
    cli("schedule", "list")
    rows = json.loads(cli("outbox", "--format", "json"))
    assert {r["destination"] for r in rows} == {MASKED}
    assert all(r["last_error"] is None or SIG not in r["last_error"] for r in rows)
    cli("outbox")
    cli("outbox", "deliver")
    with pytest.raises(SystemExit):
        main(["digest", "post", "--to", f"teams-webhook:ftp://x.example/{SIG}"])
    refused = capsys.readouterr()
    assert "teams-webhook:ftp://…/…?sig=***" in refused.err
    cli.seen.append(refused.out + refused.err)

    everything = "\n".join([*cli.seen, caplog.text])
    assert SIG not in everything and "/teams-webhook/" not in everything
    assert "webhook 404" in caplog.text or "refused: 404" in caplog.text  # errors still logged

    db = Database(sqlite_url)
    try:
        with db.session() as session:
            keys = [row.key for row in session.query(OutboxPost)]
    finally:
        db.dispose()
    assert keys and all(SIG not in k and "http" not in k for k in keys)


def test_short_webhook_urls_are_hashed_in_keys_too():
    from bot.jobs import short_destination

    short = "teams-webhook:https://h.example/w?sig=abc"
    hashed = short_destination(short)
    assert hashed.startswith("teams-webhook:") and "abc" not in hashed and "http" not in hashed
    assert short_destination("slack:C0123") == "slack:C0123"


@pytest.mark.parametrize(
    "text",
    [
        "POST https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/"
        "invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=SeCrEt 500",
        "teams-webhook:https://x.environment.api.powerplatform.com/powerautomate/automations/"
        "direct/workflows/1/triggers/manual/paths/invoke?sig=SeCrEt",
        "url 'https://norcrin.webhook.office.com/webhookb2/SeCrEt/IncomingWebhook/x/y'",
    ],
)
def test_masking_finds_webhooks_inside_text(text):
    masked = mask_secrets(text)
    assert "SeCrEt" not in masked and "…/…?sig=***" in masked


def test_mask_destination_leaves_other_destinations_alone():
    assert mask_destination("teams-webhook:https://h/w?sig=1") == "teams-webhook:https://…/…?sig=***"
    for plain in ("slack:C1", "teams:T/19:a@thread.tacv2", "mail:a@b.no", "console:p1"):
        assert mask_destination(plain) == plain
