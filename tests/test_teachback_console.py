"""The teach-back loop in the terminal, as scripts use it: `chat --user NAME` over stdin (typed
👍/👎/bra/dårlig and "send videre"), the operator's inbox, and the `triage`, `taught` and
`stats questions` commands — the installed entry point, one process per command
(`tests.support.cli.run_cli`)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_cli

WEATHER = "what's the weather in Bergen tomorrow?"


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "BOT_", "DATABASE_", "SECRETARIAT", "GRAPH_", "AZURE_",
                                 "QUESTION_"))}
    return {**base, "DATABASE_URL": sqlite_url, "BOT_LANGUAGE": "nb", "TZ": "Europe/Oslo",
            "COLUMNS": "200"}


def run(env: dict[str, str], cwd: Path, *args: str, stdin: str = "",
        ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = run_cli(args, env=env, cwd=cwd, stdin=stdin, timeout=60)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def ask(env: dict[str, str], cwd: Path, question: str) -> dict:
    return json.loads(run(env, cwd, "ask", "--json", question).stdout)


def ask_many(env: dict[str, str], cwd: Path, *questions: str) -> list[dict]:
    """One `ask --json` process, one question per stdin line."""
    out = run(env, cwd, "ask", "--json", stdin="\n".join(questions) + "\n").stdout
    return [json.loads(line) for line in out.splitlines()]


def test_the_loop_in_the_terminal(env: dict[str, str], tmp_path: Path) -> None:
    chat = run(env, tmp_path, "chat", "--user", "Tanja Igland", stdin="\n".join([
        WEATHER, "send videre", "send videre", "hvem leder AP8?", "bra", "👍", "hvem leder AP3?",
        "dårlig", "pass it on",
    ]) + "\n").stdout
    assert "send videre" in chat.lower()  # the decline offers to pass it on
    assert chat.count("Sendt videre til sekretariatet") + chat.count("Passed on") == 2
    assert "allerede sendt videre" in chat  # the second "send videre" queues nothing
    assert chat.count("Takk for tilbakemeldingen") == 2 and "Beklager at svaret ikke hjalp" in chat
    assert "👍/👎" in chat  # every answer says how to rate it

    listed = json.loads(run(env, tmp_path, "triage", "list", "--format", "json").stdout)
    assert [(i["question"], i["asked_by"], i["status"], i["reason"]) for i in listed] == [
        (WEATHER, "Tanja Igland", "open", "declined"),
        ("hvem leder AP3?", "Tanja Igland", "open", "thumbs_down"),
    ]
    assert all(set(i) == {"id", "question", "asked_by", "asked_at", "status", "reason"}
               for i in listed)

    # without SECRETARIAT_CHANNEL the secretariat's posts wait in the operator's terminal inbox
    operator = run(env, tmp_path, "chat").stdout
    assert WEATHER in operator and "Bot's guess" in operator and "triage answer" in operator

    weather_id, ap3_id = (str(i["id"]) for i in listed)
    # in the chat, only admins may answer; an admin answers with the same words as the CLI
    refused = run(env, tmp_path, "chat", "--user", "Tanja Igland",
                  stdin=f"triage answer {weather_id} text nei\n").stdout
    assert "Dette kan bare sekretariatet" in refused
    admin_env = {**env, "BOT_ADMINS": "Ellen Johnsen"}
    answered = run(admin_env, tmp_path, "chat", "--user", "Ellen Johnsen", stdin="\n".join([
        "triage", f"triage answer {weather_id} --text Se yr.no; jeg svarer på NorCRIN-spørsmål.",
    ]) + "\n").stdout
    assert WEATHER in answered and f"triage item {weather_id} answered" in answered
    assert "answered" in run(env, tmp_path, "triage", "answer", ap3_id, "--group", "AP3").stdout
    twice = run(env, tmp_path, "triage", "answer", ap3_id, "--group", "AP3", ok=False)
    assert twice.returncode == 1 and "already answered" in twice.stderr
    missing = run(env, tmp_path, "triage", "answer", "999", "--document", "LM 2.11", ok=False)
    assert missing.returncode == 1 and "no triage item 999" in missing.stderr
    bad = run(env, tmp_path, "triage", "dismiss", "nope", ok=False)
    assert bad.returncode == 1

    closed = json.loads(run(env, tmp_path, "triage", "list", "--format", "json").stdout)
    assert [(i["status"], i["asked_by"]) for i in closed] == [("answered", None)] * 2

    # the asker sees both answers as pending the next time she opens the chat
    pending = run(env, tmp_path, "chat", "--user", "Tanja Igland").stdout
    assert "Sekretariatet har svart" in pending or "The secretariat has answered" in pending
    assert "yr.no" in pending and "AP3" in pending and "Ellen Johnsen" in pending

    # later questions that mean the same get the taught answer first
    untaught, taught, weather = ask_many(env, tmp_path, "hvem leder AP5?", "AP3: hvem LEDER?",
                                         "Tomorrow, the weather in bergen — what's it?")
    assert untaught["results"][0]["kind"] == "person"
    assert taught["results"][0] == {"kind": "group", "id": "AP3", "title": taught["results"][0][
        "title"], "url": taught["results"][0]["url"], "score": 1.0}
    assert "Svar lært av operator" in taught["text"]
    assert weather["intent"] == "help" and "yr.no" in weather["text"]
    assert "taught by Ellen Johnsen" in weather["text"]

    # admins list, edit and retire taught answers
    taught_rows = json.loads(run(env, tmp_path, "taught", "list", "--format", "json").stdout)
    assert [(r["kind"], r["ref"], r["taught_by"]) for r in taught_rows] == [
        ("text", None, "Ellen Johnsen"), ("group", "AP3", "operator")]
    weather_taught = str(taught_rows[0]["id"])
    run(env, tmp_path, "taught", "edit", weather_taught, "--document", "lm-temperaturlogg")
    edited = ask(env, tmp_path, WEATHER)
    assert edited["results"][0]["id"] == "lm-temperaturlogg"
    run(env, tmp_path, "taught", "retire", weather_taught)
    assert ask(env, tmp_path, WEATHER)["intent"] == "none"
    assert len(json.loads(run(env, tmp_path, "taught", "list", "--format", "json").stdout)) == 1


def test_ask_records_declines_and_stats_count_them(env: dict[str, str], tmp_path: Path) -> None:
    ask_many(env, tmp_path, WEATHER, "Bergen, weather tomorrow?", "hvem leder AP8?")
    (item, second) = json.loads(run(env, tmp_path, "triage", "list", "--format", "json").stdout)
    assert (item["asked_by"], item["status"], item["reason"]) == ("cli", "open", "declined")
    run(env, tmp_path, "triage", "dismiss", str(second["id"]))
    stats = json.loads(run(env, tmp_path, "stats", "questions", "--format", "json").stdout)
    assert {k: stats[k] for k in ("asked", "answered", "declined", "open_triage")} == {
        "asked": 3, "answered": 1, "declined": 2, "open_triage": 1}
    assert stats["top_unanswered"] == [{"question": "Bergen, weather tomorrow?", "count": 2}]
    future = json.loads(run(env, tmp_path, "stats", "questions", "--since", "2999-01-01",
                            "--format", "json").stdout)
    assert future["asked"] == 0 and future["since"] == "2999-01-01"
    table = run(env, tmp_path, "stats", "questions").stdout
    assert "Top unanswered wordings" in table and "Bergen, weather tomorrow?" in table
    assert run(env, tmp_path, "stats", "questions", "--since", "yesterday",
               ok=False).returncode == 1
