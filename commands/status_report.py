"""The compiled status report: one campaign's groups with their people and answers.

Three renderings of one `CampaignReport`: JSON (the script contract), Markdown and .docx (real
headings and tables, ready to paste into the annual report), in the network's own layout — an
overview table, then per group leader, deputy and members from the directory and the answers in
the form's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.forms import FormDefinition, Question, display
from bot.i18n import t
from bot.interactions import YesNo
from commands.status_campaigns import campaign_form, group_people, local_text
from storage.forms import StatusCampaign, submissions


@dataclass(frozen=True)
class GroupReport:
    id: str
    title: str
    leaders: tuple[str, ...]
    deputies: tuple[str, ...]
    members: tuple[str, ...]
    submitted_by: str | None
    submitted_at: datetime | None
    answers: dict[str, Any]
    history: list[dict[str, Any]]


@dataclass(frozen=True)
class CampaignReport:
    name: str
    deadline_at: datetime
    form: FormDefinition
    groups: tuple[GroupReport, ...]
    zone: ZoneInfo
    language: str

    def deviation_question(self) -> Question | None:
        """The yes/no question the overview reports as "deviations"."""
        yes_no = [q for q in self.form.questions if isinstance(q.kind.hint(q, "nb"), YesNo)]
        named = [q for q in yes_no if "deviation" in q.id or "avvik" in q.id]
        return next(iter(named or yes_no), None)

    def deviations(self, group: GroupReport) -> str:
        question = self.deviation_question()
        if question is None or group.submitted_by is None:
            return "—"
        return display(question, group.answers.get(question.id), self.language)

    @property
    def submitted_count(self) -> int:
        return sum(1 for g in self.groups if g.submitted_by is not None)


def _person_label(person: Any) -> str:
    return f"{person.name} ({person.organisation_id})" if person.organisation_id else person.name


def build_report(
    session: Session, campaign: StatusCampaign, zone: ZoneInfo, language: str = "nb"
) -> CampaignReport:
    form = campaign_form(campaign)
    done = submissions(session, campaign.id)
    groups = []
    for group_id in campaign.groups:
        people = group_people(session, group_id, language)
        row = done.get(group_id)
        groups.append(
            GroupReport(
                id=group_id,
                title=people.title,
                leaders=tuple(_person_label(p) for p in people.leaders),
                deputies=tuple(_person_label(p) for p in people.deputies),
                members=tuple(_person_label(p) for p in people.members),
                submitted_by=row.submitted_by_name or row.submitted_by if row else None,
                submitted_at=row.updated_at if row else None,
                answers=dict(row.answers) if row else {},
                history=list(row.history) if row else [],
            )
        )
    return CampaignReport(campaign.name, campaign.deadline_at, form, tuple(groups), zone, language)


# -- JSON ---------------------------------------------------------------------------------------


def to_json(report: CampaignReport) -> dict[str, Any]:
    """Exactly the contract's shape; `deadline` is the local date, times are local ISO 8601."""
    deadline = report.deadline_at.astimezone(report.zone)
    return {
        "campaign": report.name,
        "deadline": deadline.date().isoformat(),
        "groups": [
            {
                "id": g.id,
                "submitted_by": g.submitted_by,
                "submitted_at": g.submitted_at.astimezone(report.zone).isoformat()
                if g.submitted_at
                else None,
                "answers": g.answers,
                "history": [_local_entry(h, report.zone) for h in g.history],
            }
            for g in report.groups
        ],
    }


def _local_entry(entry: dict[str, Any], zone: Any) -> dict[str, Any]:
    """A history entry with its time in the report's one style (local ISO 8601 with offset);
    entries are stored with UTC times."""
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return entry
    return {**entry, "at": at.astimezone(zone).isoformat()}


# -- Markdown -------------------------------------------------------------------------------------



def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "—"


def overview_rows(report: CampaignReport) -> list[tuple[str, str, str, str]]:
    return [
        (
            g.title,
            g.submitted_by or "—",
            local_text(g.submitted_at, report.zone) if g.submitted_at else "—",
            report.deviations(g),
        )
        for g in report.groups
    ]


def overview_columns(report: CampaignReport) -> tuple[str, str, str, str]:
    return (
        t(report.language, "Gruppe", "Group"),
        t(report.language, "Sendt inn av", "Submitted by"),
        t(report.language, "Tidspunkt", "At"),
        t(report.language, "Avvik", "Deviations"),
    )


def people_lines(report: CampaignReport, group: GroupReport) -> list[tuple[str, str]]:
    none = t(report.language, "(ikke registrert)", "(not recorded)")
    return [
        (t(report.language, "Leder", "Leader"), ", ".join(group.leaders) or none),
        (t(report.language, "Nestleder", "Deputy"), ", ".join(group.deputies) or none),
        (t(report.language, "Medlemmer", "Members"), ", ".join(group.members) or none),
    ]


def answer_sections(report: CampaignReport, group: GroupReport) -> list[tuple[str, str]]:
    """(question label, answer text) for the questions that applied, in form order."""
    out = []
    for question in report.form.applicable(group.answers):
        if question.id not in group.answers:
            continue
        out.append(
            (
                question.label.get(report.language),
                display(question, group.answers[question.id], report.language),
            )
        )
    return out


def to_markdown(report: CampaignReport) -> str:
    lines = [
        f"# {t(report.language, 'Statusrapport', 'Status report')}: {report.name}",
        "",
        f"{t(report.language, 'Frist', 'Deadline')}: "
        f"{local_text(report.deadline_at, report.zone)} · "
        f"{t(report.language, 'Sendt inn', 'Submitted')}: {report.submitted_count} "
        f"{t(report.language, 'av', 'of')} {len(report.groups)}",
        "",
        f"## {t(report.language, 'Oversikt', 'Overview')}",
        "",
        "| " + " | ".join(overview_columns(report)) + " |",
        "|" + "---|" * 4,
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in overview_rows(report)]
    for group in report.groups:
        lines += ["", f"## {group.title}", ""]
        lines += [f"**{label}:** {value}  " for label, value in people_lines(report, group)]
        if group.submitted_by is None:
            lines += ["", f"_{t(report.language, 'Ikke sendt inn.', 'Not submitted.')}_"]
            continue
        assert group.submitted_at is not None
        lines += [
            "",
            f"_{t(report.language, 'Sendt inn av', 'Submitted by')} {group.submitted_by}, "
            f"{local_text(group.submitted_at, report.zone)}._",
        ]
        for label, answer in answer_sections(report, group):
            lines += ["", f"### {label}", "", answer]
    return "\n".join(lines).rstrip() + "\n"


# -- .docx --------------------------------------------------------------------------------------


def to_docx(report: CampaignReport, path: Path) -> None:
    # lazy: heavy optional dependency (python-docx)
    from docx import Document

    document = Document()
    document.add_heading(
        f"{t(report.language, 'Statusrapport', 'Status report')}: {report.name}", level=0
    )
    document.add_paragraph(
        f"{t(report.language, 'Frist', 'Deadline')}: "
        f"{local_text(report.deadline_at, report.zone)} · "
        f"{t(report.language, 'Sendt inn', 'Submitted')}: {report.submitted_count} "
        f"{t(report.language, 'av', 'of')} {len(report.groups)}"
    )
    document.add_heading(t(report.language, "Oversikt", "Overview"), level=1)
    rows = overview_rows(report)
    table = document.add_table(rows=1 + len(rows), cols=4)
    table.style = "Table Grid"
    for i, column in enumerate(overview_columns(report)):
        cell = table.rows[0].cells[i]
        cell.text = ""
        cell.paragraphs[0].add_run(column).bold = True
    for r, row in enumerate(rows, 1):
        for i, value in enumerate(row):
            table.rows[r].cells[i].text = value
    for group in report.groups:
        document.add_heading(group.title, level=1)
        people = document.add_table(rows=3, cols=2)
        people.style = "Table Grid"
        for r, (label, value) in enumerate(people_lines(report, group)):
            people.rows[r].cells[0].text = ""
            people.rows[r].cells[0].paragraphs[0].add_run(label).bold = True
            people.rows[r].cells[1].text = value
        if group.submitted_by is None:
            document.add_paragraph().add_run(
                t(report.language, "Ikke sendt inn.", "Not submitted.")
            ).italic = True
            continue
        assert group.submitted_at is not None
        document.add_paragraph().add_run(
            f"{t(report.language, 'Sendt inn av', 'Submitted by')} {group.submitted_by}, "
            f"{local_text(group.submitted_at, report.zone)}."
        ).italic = True
        for label, answer in answer_sections(report, group):
            document.add_heading(label, level=2)
            for line in answer.split("\n"):
                document.add_paragraph(line)
    document.save(str(path))
