"""The command line as scripts use it: `ask --json`, scripted `chat`, import errors, settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]


def run(
    args: list[str], database_url: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_"))}
    environment.update({"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), **env})
    return run_cli(args, env=environment, cwd=ROOT, stdin=stdin, timeout=120)


def test_ask_json_contract(sqlite_url):
    result = run(["ask", "--json", "who leads AP3?"], sqlite_url)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    data = json.loads(line)
    assert set(data) == {"language", "intent", "text", "results"}
    assert data["language"] == "en" and data["intent"] == "person"
    first = data["results"][0]
    assert first == {
        "kind": "person",
        "id": "helen-heyerdal",
        "name": "Helen Heyerdal",
        "url": None,
        "score": first["score"],
    }
    assert isinstance(first["score"], float)


def test_ask_json_reads_stdin_one_object_per_line(sqlite_url):
    questions = ["law group", "", "SOP 1.4.c", "x" * 10000, "'; DROP TABLE people; --"]
    result = run(["ask", "--json"], sqlite_url, stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    objects = [json.loads(line) for line in lines]
    assert objects[0]["results"][0] == {
        "kind": "group",
        "id": "JUS",
        "title": objects[0]["results"][0]["title"],
        "url": None,
        "score": objects[0]["results"][0]["score"],
    }
    assert objects[2]["results"][0]["kind"] == "document"
    assert objects[2]["results"][0]["id"] == "SOP 1.4.c"
    assert all(o["text"] for o in objects)


def test_chat_reads_one_message_per_line(sqlite_url):
    result = run(
        ["chat", "--user", "Tanja Igland"], sqlite_url, stdin="hvem leder AP8?\nnote to file SOP\n"
    )
    assert result.returncode == 0, result.stderr
    assert "Cecilie Moe" in result.stdout
    assert "lm-sop-note-to-file" in result.stdout


def test_chat_unknown_user_is_one_clear_line(sqlite_url):
    result = run(["chat", "--user", "Nobody Atall"], sqlite_url, stdin="hei\n")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "norcrin-bot: --user 'Nobody Atall': no such person in the directory."
    )


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"TZ": "Mars/Olympus"}, "TZ='Mars/Olympus' is not a known time zone"),
        ({"BOT_LANGUAGE": "fr"}, "BOT_LANGUAGE must be one of nb, en"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL='nonsense' is not a database URL"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL='ftp://x' must be an http(s) URL"),
    ],
)
def test_bad_settings_give_one_line(sqlite_url, env, fragment):
    url = env.pop("DATABASE_URL", sqlite_url)
    result = run(["ask", "--json", "hei"], url, **env)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_without_slack_settings_is_one_line(sqlite_url):
    result = run(["serve", "--http", "--port", "0"], sqlite_url)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line(tmp_path):
    result = run(["ask", "--json", "hei"], "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.startswith("norcrin-bot: cannot use the database")
    assert "Traceback" not in result.stderr


def test_import_error_is_reported_with_file_line_field(sqlite_url, tmp_path):
    bad = tmp_path / "people.csv"
    bad.write_text("name,organisation,group,role\nA B,UNN,AP8,member\nC D,UNN,AP8,emperor\n")
    result = run(["import", "people", str(bad)], sqlite_url)
    assert result.returncode == 1
    assert f"{bad}, line 3: field 'role'" in result.stderr


def test_import_and_export_commands(sqlite_url, tmp_path):
    out = tmp_path / "docs.csv"
    assert run(["export", "documents", str(out)], sqlite_url).returncode == 0
    assert out.read_text().startswith("id,title_no,title_en")
    result = run(["import", "documents", str(out)], sqlite_url)
    assert result.returncode == 0, result.stderr
    assert "0 created" in result.stderr


def test_forked_commands_behave_as_the_installed_entry_point(sqlite_url, tmp_path):
    """`run_cli` (used by the many-command tests) gives what a new `norcrin-bot` process gives:
    same output, errors and exit codes, and the command's own environment and directory."""
    (tmp_path / ".env").write_text("BOT_LANGUAGE=en\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOT_"))}
    environment.update(DATABASE_URL=sqlite_url, TZ="Europe/Oslo", COLUMNS="70")
    script = str(Path(sys.executable).with_name("norcrin-bot"))
    for args, stdin in (
        (["chat", "--user", "Cecilie Moe"], "who leads AP3?\nhvem leder AP8?\n"),
        (["directory", "accept", "999999"], ""),
        (["no-such-command"], ""),
    ):
        real = subprocess.run([script, *args], input=stdin, capture_output=True, text=True,
                              env=environment, cwd=tmp_path, timeout=120)
        forked = run_cli(args, env=environment, cwd=tmp_path, stdin=stdin)
        assert (forked.returncode, forked.stdout, forked.stderr) == (
            real.returncode, real.stdout, real.stderr), args
