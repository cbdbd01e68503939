"""The CLI's paper cuts (issue 8, item 6): one-line errors instead of tracebacks, `--empty`
remembered, past one-off times refused, no orphan schedules, list commands as tables that fit
80 columns with `--format json`, one time style in JSON, and data that is never Rich markup."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
OSLO = ZoneInfo("Europe/Oslo")
PLANTED = "<https://a[/x]|b> [bold]x[/bold] [/]"


def run(
    database_url: str, *args: str, stdin: str = "", columns: int = 80, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BOT_", "GRAPH_", "AZURE_", "SECRETARIAT", "COLUMNS"))
    }
    environment.update(
        {
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
            "TZ": "Europe/Oslo",
            "COLUMNS": str(columns),
            **env,
        }
    )
    return run_cli(args, env=environment, cwd=ROOT, stdin=stdin, timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def future(days: int) -> str:
    return (datetime.now(OSLO) + timedelta(days=days)).strftime("%Y-%m-%d %H:%M")


def test_missing_graph_is_one_line_not_a_traceback(sqlite_url: str) -> None:
    result = run(sqlite_url, "agenda", "import-calendar", "--user", "sekretariat@norcrin.no")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "norcrin-bot: configuration error: Microsoft Graph is not configured: set "
        "GRAPH_ACCESS_TOKEN, AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, or sign in "
        "with `norcrin-bot graph login` (GRAPH_TOKEN_STORE)."
    ]
    # other commands without their configuration: one line each, no traceback
    for args in (["graph", "login"], ["digest", "post", "--to", "mail:a@hus.no"]):
        result = run(sqlite_url, *args)
        assert "Traceback" not in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)


def test_unreachable_database_and_unexpected_errors_are_one_line(sqlite_url: str) -> None:
    down = run("postgresql://nobody@127.0.0.1:1/none", "status", "list")
    assert down.returncode == 2
    [line] = down.stderr.strip().splitlines()
    assert line.startswith("norcrin-bot: cannot use the database: connection failed")
    missing = run(sqlite_url, "export", "people", "/nonexistent/dir/people.yaml")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [
        "norcrin-bot: unexpected error: FileNotFoundError: [Errno 2] No such file or directory: "
        "'/nonexistent/dir/people.yaml' (run with -v for details)"
    ]
    verbose = run(sqlite_url, "-v", "export", "people", "/nonexistent/dir/people.yaml")
    assert "Traceback" in verbose.stderr  # the details are there when asked for


def test_db_upgrade_empty_is_remembered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert "up to date" in run(url, "db", "upgrade", "--empty").stderr
    ok(run(url, "ask", "--json", "hvem leder AP8?"))  # a later command prepares the database
    exported = json.loads(ok(run(url, "status", "list", "--format", "json")))
    assert exported == []
    people = ok(run(url, "export", "people", "-", "--format", "csv"))
    assert len(people.strip().splitlines()) <= 1  # a header at most: nothing was loaded


def test_past_one_off_times_are_refused(sqlite_url: str) -> None:
    past = (datetime.now(OSLO) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    result = run(
        sqlite_url, "schedule", "add", "--job", "digest", "--to", "slack:C0N", "--at", past
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"--at {past}: that time has passed" in result.stderr
    at = (datetime.now(OSLO) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    schedule_id = ok(
        run(sqlite_url, "schedule", "add", "--job", "digest", "--to", "slack:C0N", "--at", at)
    )
    assert schedule_id.strip().isdigit()


def test_agenda_add_leaves_no_orphan_schedules(sqlite_url: str) -> None:
    meeting = ok(
        run(
            sqlite_url, "agenda", "new", "--series", "Board", "--title", "Styremøte",
            "--start", future(20), "--channel", "slack:C0123",
        )
    ).splitlines()[-1]  # fmt: skip
    for n in range(3):
        ok(run(sqlite_url, "agenda", "add", meeting, "--title", f"Sak {n}", "--minutes", "15"))
    schedules = json.loads(ok(run(sqlite_url, "schedule", "list", "--format", "json")))
    assert sorted(s["job"] for s in schedules) == ["agenda", "agenda-minutes", "agenda-reminder"]
    assert all(s["active"] for s in schedules)
    agenda = json.loads(ok(run(sqlite_url, "agenda", "show", meeting, "--format", "json")))
    minutes = next(s for s in schedules if s["job"] == "agenda-minutes")
    end = agenda["items"][-1]["end"]  # the minutes skeleton follows the new end time (+30 min)
    assert minutes["at"][11:16] == (
        datetime.strptime(end, "%H:%M") + timedelta(minutes=30)
    ).strftime("%H:%M")


def _rows_fit(out: str, width: int) -> None:
    assert out.strip(), "no output"
    for line in out.splitlines():
        assert len(line) <= width, line


def test_list_commands_are_tables_with_json(sqlite_url: str) -> None:
    webhook = "teams-webhook:https://prod.example.org/workflows/abc/triggers/manual?sig=SECRET1"
    meeting = ok(
        run(
            sqlite_url, "agenda", "new", "--series", "Board", "--title", "Styremøte om "
            "videreføring av NorCRIN og finansiering av nettverket", "--start", future(3),
            "--place", "Gardermoen", "--channel", "slack:C0123", "--channel", webhook,
        )
    ).splitlines()[-1]  # fmt: skip
    ok(run(sqlite_url, "news", "add", "--title", "Nytt fra NorCRIN", "--url", "https://n.no/a"))
    deadline = (datetime.now(OSLO) + timedelta(days=20)).date().isoformat()
    ok(
        run(
            sqlite_url, "status", "new", "--name", "Høst", "--deadline", deadline, "--groups", "AP8"
        )
    )
    failed = run(sqlite_url, "agenda", "post", meeting, "--to", "slack:C0NOWHERE")  # no token
    assert failed.returncode == 1 and "Traceback" not in failed.stderr

    listings = {
        "schedule": ["schedule", "list"],
        "outbox": ["outbox"],
        "status": ["status", "list"],
        "agenda": ["agenda", "list"],
        "news": ["news", "list"],
    }
    for name, args in listings.items():
        table = ok(run(sqlite_url, *args))
        _rows_fit(table, 80)
        assert "│" in table or "|" in table, (name, table)  # a table with a header, not TSV
        assert "\t" not in table, name
        data = json.loads(ok(run(sqlite_url, *args, "--format", "json")))
        assert isinstance(data, list) and data, name

    outbox = json.loads(ok(run(sqlite_url, "outbox", "--format", "json")))
    assert set(outbox[0]) == {
        "id", "key", "destination", "status", "attempts", "due_at", "sent_at", "sent_ref",
        "update_of", "last_error", "text",
    }  # fmt: skip
    # at 80 columns the outbox shows every destination and error whole (wrapped, not cut)
    table = " ".join(ok(run(sqlite_url, "outbox")).split())
    for post in outbox:
        assert f"│ {post['id']} " in table
    schedules = json.loads(ok(run(sqlite_url, "schedule", "list", "--format", "json")))
    assert set(schedules[0]) == {
        "id", "job", "args", "destinations", "trigger", "at", "cron", "timezone", "active",
        "next_run", "runs",
    }  # fmt: skip
    agenda = json.loads(ok(run(sqlite_url, "agenda", "list", "--format", "json")))
    assert agenda[0]["title"].startswith("Styremøte om videreføring")
    status = json.loads(ok(run(sqlite_url, "status", "list", "--format", "json")))
    assert status[0]["name"] == "Høst" and status[0]["groups"] == ["AP8"]
    wide = ok(run(sqlite_url, "agenda", "list", columns=60))
    _rows_fit(wide, 60)
    assert "finansiering" in wide and "nettverket" in wide  # wrapped, not cut


_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?([+-]\d\d:\d\d|Z)?")


def test_json_times_use_one_style(sqlite_url: str) -> None:
    deadline = (datetime.now(OSLO) + timedelta(days=20)).date().isoformat()
    ok(run(sqlite_url, "status", "new", "--name", "Vår", "--deadline", deadline, "--groups", "AP8"))
    ok(
        run(
            sqlite_url, "chat", "--user", "Cecilie Moe",
            stdin="status\nMøter.\n\nPunkt\n\n2\ningen\n\nhopp over\nnei\nhopp over\nsend inn\n",
        )
    )  # fmt: skip
    ok(run(sqlite_url, "news", "add", "--title", "N", "--url", "https://n.no/b"))
    ok(run(sqlite_url, "digest", "post", "--to", "console:cecilie-moe"))
    outputs = [
        ok(run(sqlite_url, "status", "report", "Vår", "--format", "json")),
        ok(run(sqlite_url, "digest", "preview", "--format", "json")),
        ok(run(sqlite_url, "outbox", "--format", "json")),
        ok(run(sqlite_url, "schedule", "list", "--format", "json")),
        ok(run(sqlite_url, "status", "list", "--format", "json")),
    ]
    report = json.loads(outputs[0])
    assert report["groups"][0]["submitted_by"] == "Cecilie Moe"
    times = [m for out in outputs for m in _ISO.finditer(out)]
    assert len(times) > 5
    now_offset = datetime.now(OSLO).strftime("%z")
    for match in times:
        offset = match.group(1)
        assert offset in ("+01:00", "+02:00"), match.group(0)  # local, with its offset
    assert any(m.group(1) == f"{now_offset[:3]}:{now_offset[3:]}" for m in times)


def test_planted_markup_in_data_stays_text(sqlite_url: str) -> None:
    meeting = ok(
        run(sqlite_url, "agenda", "new", "--series", "Board", "--title", PLANTED,
            "--start", future(10))
    ).splitlines()[-1]  # fmt: skip
    chat = run(
        sqlite_url,
        "chat",
        stdin=f"agenda propose {meeting} {PLANTED} | 10\nagenda proposals\nagenda\n",
        columns=60,
    )
    out = ok(chat)
    assert "MarkupError" not in chat.stderr
    assert out.count("[bold]x[/bold]") >= 2 and "[/x]" in out
    for args in (["agenda", "list"], ["agenda", "show", meeting]):
        assert "[bold]x[/bold]" in ok(run(sqlite_url, *args, columns=60))


def test_meeting_schedules_are_updated_in_place(any_db_url: str) -> None:
    """On SQLite and PostgreSQL: re-planning moves unrun schedules, keeps a run one, and removes
    one no longer planned — the meeting never has more than its three schedules."""
    from bot.config import load_settings
    from commands.posts import schedule_meeting_posts
    from integrations.runtime.wiring import build_bot
    from storage import agenda as store
    from storage.schedules import Schedule, ScheduleRun

    bot = build_bot(load_settings({"DATABASE_URL": any_db_url, "TZ": "Europe/Oslo"}))
    now = datetime.now(OSLO)
    try:
        with bot.services.db.session() as session:
            meeting = store.create_meeting(
                session, series="Board", title="Plan", start=now + timedelta(days=30),
                destinations=["slack:C0PLAN"],
            )  # fmt: skip
            first = schedule_meeting_posts(session, meeting, now)
            for n in range(3):
                store.add_item(session, meeting, title=f"Sak {n}", minutes=20)
                assert schedule_meeting_posts(session, meeting, now) == first
            minutes = session.get(Schedule, first[-1])
            assert minutes is not None and minutes.job == "agenda-minutes"
            assert minutes.at == store.meeting_end(session, meeting) + timedelta(minutes=30)
            agenda = session.get(Schedule, first[0])
            assert agenda is not None and agenda.job == "agenda"
            session.add(
                ScheduleRun(schedule_id=agenda.id, occurrence=agenda.at, status="done",
                            claimed_at=now)
            )  # fmt: skip
            meeting.start_at = now + timedelta(hours=6)  # moved close: no reminder any more
            replanned = schedule_meeting_posts(session, meeting, now)
            assert replanned[0] == agenda.id and agenda.active  # ran: kept as it was
            assert len(replanned) == 2
            left = session.query(Schedule).filter(Schedule.id.in_(first)).all()
            assert sorted(s.job for s in left) == ["agenda", "agenda-minutes"]
            session.delete(meeting)
            for row in left:
                session.delete(row)
    finally:
        bot.services.db.dispose()
