"""Teach-back, the secretariat's side: answering triage items, taught answers, retention.

An answer is stored as a taught answer (`commands.teachback` gives it first from then on), sent to
the asker through the outbox (Slack DM or terminal inbox), and the channel post, if the question
was passed on, is edited to say who answered. The same functions serve the chat commands below,
the Slack buttons and modal (`integrations.slack.teachback`) and the CLI
(`commands.teachback_cli`). Nothing here sends; callers deliver the returned outbox keys.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core import Services
from bot.jobs import JobFunction
from bot.replies import Note, Reply, Section, Table
from bot.router import Context, Router
from commands.teachback import (
    MAX_TEXT,
    asker_name,
    deliver_now,
    inert,
    say,
    secretariat_destination,
    secretariat_key,
    target_reply,
    taught_keys,
    taught_mark,
    tr,
)
from storage import directory
from storage import questions_log as store
from storage.models import Document
from storage.outbox import enqueue

log = logging.getLogger(__name__)

PURGE_JOB = "question_log_purge"
PURGE_CRON = "30 4 * * *"  # daily, outside the 02:00-03:00 DST window
KIND_WORDS = {
    "document": "document", "dokument": "document", "doc": "document", "sop": "document",
    "group": "group", "gruppe": "group", "person": "person", "text": "text", "tekst": "text",
}
_BROADCAST = re.compile(r"<[!@#][^>]*>")

router = Router()


def _clean_admin_text(text: str) -> str:
    """Admins' short answers keep links and *bold*, never @channel or user/channel mentions."""
    return _BROADCAST.sub("", " ".join(text.split()))[:MAX_TEXT]


def resolve_target(session: Session, kind: str, value: str) -> tuple[str | None, str | None, str]:
    """(ref, text, label) for an admin's choice; raises TeachbackError naming what is wrong."""
    value = (value or "").strip()
    if kind not in store.TAUGHT_KINDS:
        raise store.TeachbackError(f"unknown answer kind {kind!r} (document, group, person, text)")
    if not value:
        raise store.TeachbackError(f"give the {kind} to answer with")
    if kind == "text":
        text = _clean_admin_text(value)
        if not text:
            raise store.TeachbackError("the answer text is empty")
        return None, text, text
    if kind == "document":
        doc = directory.document(session, value) or session.scalar(
            select(Document).where(func.lower(Document.id) == value.lower())
        )
        if doc is None:
            raise store.TeachbackError(f"no document with code {value!r}")
        return doc.id, None, f"{doc.id} — {doc.title('nb')}"
    if kind == "group":
        group = directory.group(session, value.upper().replace(" ", ""))
        if group is None:
            raise store.TeachbackError(f"no group {value!r}")
        return group.id, None, group.title("nb")
    person = directory.find_person_by_name(session, value)
    if person is None:
        raise store.TeachbackError(f"no person {value!r} in the directory")
    return person.id, None, person.name


def _closed_post(item: store.TriageItem, outcome: str) -> Reply:
    text = f"#{item.id}: {outcome}"
    return Reply(text=text, parts=(Table(columns=("Spørsmål / Question",),
                                         rows=((item.question,),)), Note(text)),
                 language=item.language, intent="triage")


def answer_item(
    services: Services, item_id: int | str, kind: str, value: str, by: str
) -> tuple[str, list[str]]:
    """Answer a triage item: taught answer stored, asker told, channel post updated.

    Returns a confirmation line and the outbox keys queued; raises TeachbackError.
    """
    now = services.clock.now()
    keys: list[str] = []
    with services.db.session() as session:
        item = store.get_item(session, item_id)
        if item.status != "open":
            raise store.TeachbackError(f"triage item {item.id} is already {item.status}")
        ref, text, label = resolve_target(session, kind, value)
        taught = store.teach(session, question=item.question, kind=kind, ref=ref, text=text,
                             by=by, now=now)
        language = item.language
        target = target_reply(session, language, kind, ref, text)
        if item.asker_destination and target is not None:
            parts, _result, line, _intent = target
            intro = tr(language, "Sekretariatet har svart på spørsmålet ditt:",
                       "The secretariat has answered your question:")
            mark = taught_mark(language, taught, services.settings.timezone)
            dm = Reply(
                text=f"{intro} {inert(item.question)}\n{line}\n{mark}",
                parts=(Section(intro), Table(columns=(tr(language, "Spørsmål", "Question"),),
                                             rows=((item.question,),)), *parts, Note(mark)),
                language=language, intent="answer",
            )
            key = f"triage:{item.id}:answer"
            enqueue(session, key=key, destination=item.asker_destination, reply=dm)
            keys.append(key)
        if item.passed_on_at is not None:
            key = f"triage:{item.id}:secretariat:answered"
            enqueue(session, key=key, destination=secretariat_destination(services.settings),
                    reply=_closed_post(item, f"besvart av / answered by {by}: {label}"),
                    update_of=secretariat_key(item.id))
            keys.append(key)
        told = bool(keys and keys[0].endswith(":answer"))
        store.close_item(session, item, status="answered", by=by, now=now, taught_id=taught.id)
        line = (f"triage item {item.id} answered with {label} (taught answer {taught.id})"
                + ("; the asker was told" if told else ""))
    taught_keys(services).invalidate()  # after the commit, so no reader caches the old set
    return line, keys


def dismiss_item(services: Services, item_id: int | str, by: str) -> tuple[str, list[str]]:
    now = services.clock.now()
    keys: list[str] = []
    with services.db.session() as session:
        item = store.get_item(session, item_id)
        if item.status == "open" and item.passed_on_at is not None:
            key = f"triage:{item.id}:secretariat:dismissed"
            enqueue(session, key=key, destination=secretariat_destination(services.settings),
                    reply=_closed_post(item, f"avvist av / dismissed by {by}"),
                    update_of=secretariat_key(item.id))
            keys.append(key)
        store.close_item(session, item, status="dismissed", by=by, now=now)
        return f"triage item {item.id} dismissed", keys


def edit_taught(
    services: Services, taught_id: int | str, *, kind: str | None = None, value: str | None = None,
    question: str | None = None, by: str,
) -> str:
    now = services.clock.now()
    with services.db.session() as session:
        row = store.get_taught(session, taught_id)
        if kind is not None:
            ref, text, _label_text = resolve_target(session, kind, value or "")
            row.kind, row.ref, row.text = kind, ref, text
        if question:
            row.question = question[: store.MAX_QUESTION]
            row.question_key = store.question_key(question)
        row.updated_at = now
        row.taught_by = by[:200] if by else row.taught_by
        line = f"taught answer {row.id} updated"
    taught_keys(services).invalidate()
    return line


def taught_json(row: store.TaughtAnswer) -> dict[str, Any]:
    return {
        "id": row.id,
        "question": row.question,
        "kind": row.kind,
        "ref": row.ref,
        "text": row.text,
        "taught_by": row.taught_by,
        "taught_at": row.taught_at.isoformat(),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        "active": row.active,
    }


def triage_json(item: store.TriageItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "question": item.question,
        "asked_by": item.asker,
        "asked_at": item.asked_at.isoformat(),
        "status": item.status,
        "reason": item.reason,
    }


def parse_target(words: list[str]) -> tuple[str, str]:
    """`document SOP 1.4.c`, `--text Ask AP2`: the answer kind and its value."""
    if not words:
        raise store.TeachbackError("say what to answer with: document, group, person or text")
    kind = KIND_WORDS.get(words[0].lstrip("-").lower())
    if kind is None:
        raise store.TeachbackError(f"{words[0]!r}: answer with document, group, person or text")
    return kind, " ".join(words[1:]).strip().strip("\"'")


@router.command("triage", help_nb="spørsmål som venter på sekretariatet",
                help_en="questions waiting for the secretariat",
                usage="[answer ID document|group|person|text VALUE | dismiss ID]", admin_only=True)
def triage_command(context: Context, rest: str) -> Reply:
    services = context.services
    words = rest.split()
    by = asker_name(context.message.sender)
    try:
        if words and words[0].lower() in ("answer", "svar") and len(words) >= 2:
            kind, value = parse_target(words[2:])
            line, keys = answer_item(services, words[1], kind, value, by)
            deliver_now(services, keys)
            return say(context.language, line, line)
        if words and words[0].lower() in ("dismiss", "avvis") and len(words) == 2:
            line, keys = dismiss_item(services, words[1], by)
            deliver_now(services, keys)
            return say(context.language, line, line)
    except store.TeachbackError as exc:
        return say(context.language, str(exc), str(exc))
    with services.db.session() as session:
        items = store.list_items(session, "open")
        rows = tuple((str(i.id), i.reason, i.question[:120]) for i in items[:40])
    if not rows:
        return say(context.language, "Ingen åpne spørsmål.", "No open questions.")
    title = tr(context.language, "Åpne spørsmål", "Open questions")
    table = Table(columns=("#", tr(context.language, "Grunn", "Reason"),
                           tr(context.language, "Spørsmål", "Question")), rows=rows, title=title)
    return Reply(text=title + "\n" + "\n".join(" · ".join(r) for r in rows), parts=(table,),
                 language=context.language, intent="triage")


@router.command("taught", "lært", help_nb="svar sekretariatet har lært meg",
                help_en="answers the secretariat has taught me",
                usage="[retire ID | edit ID document|group|person|text VALUE]", admin_only=True)
def taught_command(context: Context, rest: str) -> Reply:
    services = context.services
    words = rest.split()
    by = asker_name(context.message.sender)
    try:
        if len(words) == 2 and words[0].lower() in ("retire", "fjern"):
            with services.db.session() as session:
                row = store.retire(session, words[1], services.clock.now())
                line = f"taught answer {row.id} retired"
            taught_keys(services).invalidate()
            return say(context.language, line, line)
        if len(words) >= 3 and words[0].lower() in ("edit", "endre"):
            kind, value = parse_target(words[2:])
            line = edit_taught(services, words[1], kind=kind, value=value, by=by)
            return say(context.language, line, line)
    except store.TeachbackError as exc:
        return say(context.language, str(exc), str(exc))
    with services.db.session() as session:
        rows = tuple((str(r.id), r.question[:80], r.kind, r.ref or (r.text or "")[:60],
                      r.taught_by) for r in store.list_taught(session)[:40])
    if not rows:
        return say(context.language, "Ingen lærte svar ennå.", "No taught answers yet.")
    title = tr(context.language, "Lærte svar", "Taught answers")
    table = Table(columns=("#", tr(context.language, "Spørsmål", "Question"), "", "",
                           tr(context.language, "Lært av", "Taught by")), rows=rows, title=title)
    return Reply(text=title + "\n" + "\n".join(" · ".join(r) for r in rows), parts=(table,),
                 language=context.language, intent="taught")


@router.home
def home_section(context: Context) -> list[Any]:
    """Admins' App Home: how many questions wait for the secretariat."""
    if not context.message.sender.is_admin:
        return []
    with context.services.db.session() as session:
        waiting = len(store.list_items(session, "open"))
    if not waiting:
        return []
    language = context.language
    return [Section(tr(language, f"*{waiting} spørsmål venter på sekretariatet* — skriv `triage`.",
                       f"*{waiting} questions wait for the secretariat* — type `triage`."))]


def purge_job(services: Services, args: dict[str, Any], occurrence: datetime) -> None:
    """Delete question logs and triage items older than `QUESTION_LOG_DAYS`."""
    days = int(services.settings.question_log_days)
    with services.db.session() as session:
        logs, items = store.purge(session, services.clock.now(), days)
    log.info(
        "question log retention (%d days): %d questions and %d triage items removed",
        days, logs, items,
    )


def ensure_purge_schedule(services: Services) -> None:
    """One daily purge schedule; created by the first worker that starts without one."""
    # lazy: only a worker starting needs the schedule tables, not every chat answer or CLI call
    from storage import schedules

    with services.db.session() as session:
        if not any(s.job == PURGE_JOB for s in schedules.active_schedules(session)):
            schedules.add_schedule(session, job=PURGE_JOB, cron=PURGE_CRON,
                                   now=services.clock.now())


JOBS: dict[str, JobFunction] = {PURGE_JOB: purge_job}
