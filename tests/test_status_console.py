"""The terminal, as scripts use it: `norcrin-bot status new`, `chat --user NAME` over stdin,
`status report`; and a filling that survives its process being killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from docx import Document

from storage.db import Database
from storage.forms import StatusFilling
from tests.support.cli import run_cli

CLI = [str(Path(sys.executable).with_name("norcrin-bot"))]  # the installed entry point
# a long-text answer ends with an empty line (or a line with only "."); commands go alone
AP10 = ["Kurset går.", "", "Nytt kull", ".", "3", "ingen", "", "skip", "no", "skip", "submit"]
AP8 = [
    "Månedlige møter.",
    "",
    "OnePager",
    "",
    "12",
    "Ny fra Ahus.",
    "",
    "OnePager",
    "",
    "ja",
    "Forsinket SOP-revisjon.",
    "",
    "hopp over",
    "send inn",
]


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BOT_", "DATABASE_", "SECRETARIAT", "GRAPH_", "AZURE_"))
    }
    return {
        **base,
        "DATABASE_URL": sqlite_url,
        "BOT_LANGUAGE": "nb",
        "TZ": "Europe/Oslo",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }


def run(
    env: dict[str, str], cwd: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return run_cli(args, env=env, cwd=cwd, stdin=stdin, timeout=60)


def _deadline() -> str:
    return (date.today() + timedelta(days=20)).isoformat()


def test_a_whole_campaign_in_the_terminal(env: dict[str, str], tmp_path: Path) -> None:
    created = run(
        env,
        tmp_path,
        "status",
        "new",
        "--name",
        "Høstmøtet 2026",
        "--deadline",
        _deadline(),
        "--opens",
        "now",
        "--groups",
        "AP8,AP10,AP3,GCP",
    )
    assert created.returncode == 0, created.stderr
    assert "prompts queued: 6" in created.stdout  # leader and deputy of AP3, AP8, AP10
    assert "only admins can answer): GCP" in created.stdout

    tanja = run(
        env,
        tmp_path,
        "chat",
        "--user",
        "Tanja Igland",
        stdin="\n".join(["status", "AP10", *AP10]) + "\n",
    )
    assert tanja.returncode == 0, tanja.stderr
    out = " ".join(tanja.stdout.split())
    assert "Hei Tanja Igland!" in out and "Kopi til deg som nestleder" in out  # the prompts
    assert "Hvilken vil du fylle ut?" in out and "1. AP3 Monitorering" in out
    assert "1/7 Status" in out and "Takk! Statusen for AP10" in out

    cecilie = run(
        env, tmp_path, "chat", "--user", "Cecilie Moe", stdin="\n".join(["status", *AP8]) + "\n"
    )
    assert "Takk! Statusen for AP8" in cecilie.stdout, cecilie.stdout

    refused = run(env, tmp_path, "chat", "--user", "Inger Tvenning", stdin="status AP8\n")
    assert (
        "bare leder og nestleder i AP8 Datahåndtering (Cecilie Moe og Anne Caroline Wiik)"
        in " ".join(refused.stdout.split())
    )

    report = run(env, tmp_path, "status", "report", "Høstmøtet 2026", "--format", "json")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["campaign"] == "Høstmøtet 2026" and data["deadline"] == _deadline()
    groups = {g["id"]: g for g in data["groups"]}
    assert list(groups) == ["AP3", "AP8", "AP10", "GCP"]
    assert groups["AP10"]["submitted_by"] == "Tanja Igland"
    assert groups["AP10"]["answers"] == {
        "status": "Kurset går.",
        "focus": "Nytt kull",
        "meetings": 3,
        "membership_changes": "ingen",
        "deliverables": None,
        "deviations": False,
        "needs": None,
    }
    assert groups["AP8"]["answers"]["deviations_description"] == "Forsinket SOP-revisjon."
    assert groups["AP3"]["submitted_by"] is None and groups["GCP"]["submitted_by"] is None
    assert all(
        set(g) == {"id", "submitted_by", "submitted_at", "answers", "history"}
        for g in data["groups"]
    )

    markdown = run(env, tmp_path, "status", "report", "Høstmøtet 2026", "--format", "md")
    assert "| AP8 Datahåndtering | Cecilie Moe |" in markdown.stdout
    docx = run(
        env,
        tmp_path,
        "status",
        "report",
        "Høstmøtet 2026",
        "--format",
        "docx",
        "-o",
        str(tmp_path / "r.docx"),
    )
    assert docx.returncode == 0, docx.stderr
    headings = [
        p.text for p in Document(str(tmp_path / "r.docx")).paragraphs if p.style.name == "Heading 1"
    ]
    assert headings == [
        "Oversikt",
        "AP3 Monitorering",
        "AP8 Datahåndtering",
        "AP10 Nasjonalt kurs for studiesykepleiere",
        "GCP-gruppen",
    ]


def test_malformed_form_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "mitt-skjema.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "id": "mine",
                "title": "Mitt",
                "questions": [
                    {
                        "id": "antall",
                        "type": "number",
                        "text": "Antall",
                        "validation": {"min": "null"},
                    }
                ],
            }
        )
    )
    result = run(
        env, tmp_path, "status", "new", "--name", "X", "--deadline", _deadline(), "--form", str(bad)
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"norcrin-bot: {bad}: question 'antall' (#1): validation 'min' must be a number, not 'null'"
    )
    check = run(env, tmp_path, "status", "check-form", str(bad))
    assert check.returncode == 1 and "question 'antall'" in check.stderr
    good = run(
        env,
        tmp_path,
        "status",
        "check-form",
        str(Path(__file__).resolve().parent.parent / "commands" / "forms" / "wp_status.yaml"),
    )
    assert good.returncode == 0 and "8 questions" in good.stdout

    options = tmp_path / "valg.yaml"
    options.write_text(
        "id: valg\ntitle: Valg\nquestions:\n  - id: fase\n    type: single_choice\n"
        "    text: Fase\n    options:\n      - value: plan\n        labl: {nb: Plan, en: Plan}\n"
    )
    refused = run(env, tmp_path, "status", "check-form", str(options))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == (
        f"norcrin-bot: {options}: question 'fase' (#1): option 1 has unknown key(s) labl "
        "(allowed: value, label)"
    )


def test_a_killed_process_resumes_the_filling(
    env: dict[str, str], tmp_path: Path, sqlite_url: str
) -> None:
    assert (
        run(
            env,
            tmp_path,
            "status",
            "new",
            "--name",
            "Årsrapport 2026",
            "--deadline",
            _deadline(),
            "--groups",
            "AP8",
        ).returncode
        == 0
    )
    process = subprocess.Popen(
        [*CLI, "chat", "--user", "Cecilie Moe"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdin is not None
    process.stdin.write("status\nFørste svar\n\nAndre svar\n\n")
    process.stdin.flush()
    db = Database(sqlite_url)
    try:
        deadline = time.monotonic() + 30
        while True:
            with db.session() as session:
                row = session.query(StatusFilling).one_or_none()
                if row is not None and row.current == "meetings":
                    break
            assert time.monotonic() < deadline, "the filling never reached question 3"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)  # mid-filling, without any chance to clean up
        process.wait(timeout=10)
    finally:
        db.dispose()
    assert process.returncode == -signal.SIGKILL

    resumed = run(
        env,
        tmp_path,
        "chat",
        "--user",
        "Cecilie Moe",
        stdin="\n".join(["status", "4", "ingen", "", "skip", "nei", "skip", "send inn"]) + "\n",
    )
    out = " ".join(resumed.stdout.split())
    assert "Vi fortsetter der du slapp" in out
    assert "3/7 Hvor mange møter" in out
    assert "Takk! Statusen for AP8" in out
    data = json.loads(
        run(env, tmp_path, "status", "report", "Årsrapport 2026", "--format", "json").stdout
    )
    answers = data["groups"][0]["answers"]
    assert answers["status"] == "Første svar" and answers["focus"] == "Andre svar"
    assert answers["meetings"] == 4


TRANSCRIPT_FORM = """
id: leader_check
title: {nb: Statussjekk, en: Status check}
questions:
  - id: status
    type: short_text
    text:
      nb: Kort status
      en: Short status
  - id: last_meeting
    type: date
    text:
      nb: Når var siste møte?
      en: When was the last meeting?
  - id: highlights
    type: long_text
    text:
      nb: Høydepunkter, én linje per punkt
      en: Highlights, one line per item
  - id: meetings
    type: number
    text:
      nb: Antall møter
      en: Number of meetings
"""


def test_transcript_a_leader_fills_a_form_in_the_terminal(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 8's transcript: a question mid-form is answered, a wrong date refused then a right
    one taken, a three-line answer kept whole, and the report holds exactly her answers."""
    form = tmp_path / "leader_check.yaml"
    form.write_text(TRANSCRIPT_FORM, encoding="utf-8")
    checked = run(env, tmp_path, "status", "check-form", str(form))
    assert checked.returncode == 0, checked.stderr
    created = run(
        env, tmp_path, "status", "new", "--name", "Sjekk", "--deadline", _deadline(),
        "--opens", "now", "--groups", "AP8", "--form", str(form),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    met = date.today() - timedelta(days=10)
    script = [
        "status",
        "Alt går etter planen.",
        "hvem leder AP8?",
        "32. februar",
        met.strftime("%d.%m.%Y"),
        "- OnePager publisert",
        "- Nytt kurs i mai",
        "- To nye medlemmer",
        ".",
        "4",
        "send inn",
    ]
    chat = run(env, tmp_path, "chat", "--user", "Cecilie Moe", stdin="\n".join(script) + "\n")
    assert chat.returncode == 0, chat.stderr
    out = " ".join(chat.stdout.split())
    assert "Lagret: Alt går etter planen." in out
    # the aside: the answer (Cecilie leads AP8), then question 2 asked again
    aside = out.split("hvem leder", 1)[-1] if "hvem leder" in out else out
    assert "Cecilie Moe" in aside
    assert out.count("2/4 Når var siste møte?") == 3  # asked, after the aside, after the refusal
    assert "«32. februar» er ingen dato som finnes. Skriv f.eks. 12. mars" in out
    assert f"Lagret: {met:%d.%m.%Y}" in out
    assert "avslutt svaret med en linje med bare «.» eller en tom linje" in out
    assert "Lagret: - OnePager publisert - Nytt kurs i mai - To nye medlemmer" in out
    assert "Takk! Statusen for AP8" in out

    report = run(env, tmp_path, "status", "report", "Sjekk", "--format", "json")
    assert report.returncode == 0, report.stderr
    (group,) = json.loads(report.stdout)["groups"]
    assert group["submitted_by"] == "Cecilie Moe"
    assert group["answers"] == {
        "status": "Alt går etter planen.",
        "last_meeting": met.isoformat(),
        "highlights": "- OnePager publisert\n- Nytt kurs i mai\n- To nye medlemmer",
        "meetings": 4,
    }
