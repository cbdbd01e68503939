"""What the status feature says: questions, summaries, prompts, reminders, tables — as `Reply`s.

Pure functions over definitions and rows, so every surface (Slack DM, App Home, terminal, the
outbox) shows the same words, in Norwegian or English.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.form_engine import FillState, form_fields
from bot.forms import FormDefinition, display
from bot.i18n import t, word
from bot.interactions import DateEntry, Field, FormModal, FreeText, Pick, YesNo
from bot.markup import esc
from bot.replies import Actions, Button, Choice, Heading, Note, Reply, Section, Table
from commands.status_campaigns import local_text

ANSWER_ACTION = "status_answer"  # Choice buttons: value "filling_id|question_id|option"
START_ACTION = "status_start"  # value "campaign_id:group_id": fill in one question at a time
MODAL_ACTION = "status_modal"  # value "campaign_id:group_id": the whole form in a modal
SUBMIT_ACTION = "status_submit"  # value "filling_id"
FORM_CALLBACK = "status_form"  # the whole form in a modal; metadata {"c": campaign, "g": group}
NEW_CAMPAIGN_CALLBACK = "status_campaign_new"  # the secretariat's "new status round" modal



def _reply(text: str, parts: tuple[Any, ...], language: str, intent: str = "status") -> Reply:
    return Reply(text=text, parts=parts, language=language, intent=intent)  # type: ignore[arg-type]


COMMANDS_HINT = {
    "nb": "Kommandoer: tilbake · hopp over · vis · endre N · avbryt · send inn",
    "en": "Commands: back · skip · show · edit N · cancel · submit",
}


def question_reply(
    form: FormDefinition,
    state: FillState,
    language: str,
    *,
    filling_id: int,
    heading: str | None = None,
    error: str | None = None,
    saved: str | None = None,
) -> Reply:
    """The current question (or the review when all are answered); `saved` echoes the answer
    just recorded, in the form it was understood."""
    if state.current is None:
        return review_reply(
            form, state, language, filling_id=filling_id, heading=heading, saved=saved
        )
    question = form.question(state.current)
    assert question is not None
    applicable = [q.id for q in form.applicable(state.answers)]
    number = applicable.index(question.id) + 1
    optional = "" if question.required else t(language, " _(valgfritt)_", " _(optional)_")
    prompt = f"*{number}/{len(applicable)}* {esc(question.text.get(language))}{optional}"
    parts: list[Any] = []
    if saved:
        parts.append(Section(saved))
    if heading:
        parts.append(Section(heading))
    if error:
        parts.append(Section(f"⚠️ {esc(error)}"))
    hint = question.kind.hint(question, language)
    if isinstance(hint, Pick | YesNo):  # answered by picking: buttons, or numbers to type
        options = tuple(
            (label, f"{filling_id}|{question.id}|{value}") for label, value in hint.options
        )
        if isinstance(hint, Pick) and hint.multiple:
            prompt += t(
                language,
                "\n_Flere valg: skriv numrene med komma, f.eks. 1, 3._",
                "\n_Several allowed: type the numbers with commas, e.g. 1, 3._",
            )
        parts.append(Choice(prompt=prompt, action=ANSWER_ACTION, options=options))
    else:
        parts.append(Section(prompt))
    if question.help:
        parts.append(Note(question.help.get(language)))
    previous = state.answers.get(question.id)
    if question.id in state.answers:
        parts.append(
            Note(
                t(language, "Nåværende svar: ", "Current answer: ")
                + display(question, previous, language)
            )
        )
    parts.append(Note(COMMANDS_HINT["en" if language == "en" else "nb"]))
    text = (
        (f"{saved}\n" if saved else "")
        + (f"{error}\n" if error else "")
        + f"{number}/{len(applicable)} {question.text.get(language)}"
    )
    reply = _reply(text, tuple(parts), language)
    return replace(reply, multiline=isinstance(hint, FreeText) and hint.multiline)


def saved_text(form: FormDefinition, question_id: str, value: Any, language: str) -> str:
    """The echo of a recorded answer as it was understood ("Lagret: 12.03.2026")."""
    if value is None:
        return t(language, "Hoppet over.", "Skipped.")
    shown = display(form.question(question_id), value, language)
    label = t(language, "Lagret:", "Saved:")
    return f"{label}\n{shown}" if "\n" in shown else f"{label} {shown}"


def waiting_note(
    form: FormDefinition, state: FillState, group_title: str, language: str
) -> Reply:
    """One line after an idle pause: the form waits; `status` goes on where it stopped."""
    applicable = [q.id for q in form.applicable(state.answers)]
    if state.current in applicable:
        where = t(
            language,
            f"spørsmål {applicable.index(state.current) + 1} av {len(applicable)}",
            f"question {applicable.index(state.current) + 1} of {len(applicable)}",
        )
    else:
        where = t(language, "klar til innsending", "ready to submit")
    text = t(
        language,
        f"Statusskjemaet for {group_title} venter på deg ({where}) – skriv `status` for å "
        "fortsette.",
        f"Your status form for {group_title} is waiting ({where}) — write `status` to go on.",
    )
    return _reply(text, (Note(text),), language, "status_waiting")


def answers_table(form: FormDefinition, answers: dict[str, Any], language: str) -> Table:
    rows = tuple(
        (
            str(i),
            q.label.get(language),
            display(q, answers.get(q.id), language)
            if q.id in answers
            else t(language, "(ikke besvart)", "(not answered)"),
        )
        for i, q in enumerate(form.applicable(answers), 1)
    )
    return Table(
        columns=("#", t(language, "Spørsmål", "Question"), t(language, "Svar", "Answer")),
        rows=rows,
    )


def show_reply(form: FormDefinition, state: FillState, language: str) -> Reply:
    table = answers_table(form, state.answers, language)
    text = "\n".join(f"{r[0]}. {r[1]}: {r[2]}" for r in table.rows)
    hint = t(language, "Skriv «endre N» for å endre et svar.", "Say “edit N” to change an answer.")
    return _reply(text, (table, Note(hint)), language)


def review_reply(
    form: FormDefinition,
    state: FillState,
    language: str,
    *,
    filling_id: int,
    heading: str | None = None,
    saved: str | None = None,
) -> Reply:
    table = answers_table(form, state.answers, language)
    intro = t(
        language,
        "Alle spørsmål er besvart. Se over svarene:",
        "All questions are answered. Please check your answers:",
    )
    ask = t(
        language,
        "Skriv «send inn» for å sende, eller «endre N» for å endre svar N.",
        "Say “submit” to send it, or “edit N” to change answer N.",
    )
    parts: list[Any] = []
    if saved:
        parts.append(Section(saved))
    if heading:
        parts.append(Section(heading))
    parts += [
        Section(intro),
        table,
        Section(ask),
        Actions(
            (
                Button(
                    t(language, "Send inn", "Submit"),
                    action=SUBMIT_ACTION,
                    value=str(filling_id),
                    style="primary",
                ),
            )
        ),
    ]
    text = intro + "\n" + "\n".join(f"{r[0]}. {r[1]}: {r[2]}" for r in table.rows) + "\n" + ask
    if saved:
        text = f"{saved}\n{text}"
    return _reply(text, tuple(parts), language)


def submitted_reply(
    group_title: str, campaign_name: str, language: str, diff: dict[str, Any] | None, first: bool
) -> Reply:
    group_title, campaign_name = esc(group_title), esc(campaign_name)  # data in markup
    if first:
        text = t(
            language,
            f"Takk! Statusen for {group_title} til «{campaign_name}» er sendt inn. "
            "Du kan endre den fram til fristen ved å skrive «status».",
            f"Thank you! The status for {group_title} for “{campaign_name}” is submitted. "
            "You can change it until the deadline by saying “status”.",
        )
    elif diff:
        text = t(
            language,
            f"Endringene for {group_title} er lagret ({len(diff)} svar endret); "
            "historikken viser hvem som endret hva.",
            f"Your changes for {group_title} are saved ({len(diff)} answer(s) changed); "
            "the history shows who changed what.",
        )
    else:
        text = t(
            language,
            f"Ingen endringer for {group_title}; innsendingen står som før.",
            f"No changes for {group_title}; the submission stays as it was.",
        )
    return _reply(text, (Section(text),), language, "status_submitted")


def start_buttons(campaign_id: int, group_id: str, language: str) -> Actions:
    value = f"{campaign_id}:{group_id}"
    return Actions(
        (
            Button(
                t(language, f"Svar her ({group_id})", f"Answer here ({group_id})"),
                action=START_ACTION,
                value=value,
                style="primary",
            ),
            Button(t(language, "Åpne skjema", "Open form"), action=MODAL_ACTION, value=value),
        )
    )


def prompt_reply(
    *,
    name: str,
    campaign_id: int,
    campaign_name: str,
    group_id: str,
    group_title: str,
    deadline_at: datetime,
    zone: ZoneInfo,
    language: str,
    copy_of: str | None = None,
    reminder: bool = False,
) -> Reply:
    """The opening DM (or a reminder) to a leader; `copy_of` names the leader for a deputy."""
    name, campaign_name, group_title = esc(name), esc(campaign_name), esc(group_title)
    copy_of = esc(copy_of) if copy_of else None
    deadline = local_text(deadline_at, zone)
    if reminder:
        body = t(
            language,
            f"Påminnelse: statusen for *{group_title}* til «{campaign_name}» er ikke sendt "
            f"inn ennå. Fristen er {deadline}.",
            f"Reminder: the status for *{group_title}* for “{campaign_name}” has not been "
            f"submitted yet. The deadline is {deadline}.",
        )
    else:
        body = t(
            language,
            f"Hei {name}! Sekretariatet ber om status for *{group_title}* til "
            f"«{campaign_name}». Fristen er {deadline}.",
            f"Hi {name}! The secretariat asks for the status of *{group_title}* for "
            f"“{campaign_name}”. The deadline is {deadline}.",
        )
    if copy_of:
        body += t(
            language,
            f"\n_Kopi til deg som nestleder (leder: {copy_of}); du kan også svare._",
            f"\n_A copy to you as deputy (leader: {copy_of}); you may answer too._",
        )
    hint = t(language, "I terminalen: skriv «status».", "In the terminal: type “status”.")
    parts = (Section(body), start_buttons(campaign_id, group_id, language), Note(hint))
    plain = body.replace("*", "").replace("_", "") + " " + hint
    return _reply(plain, parts, language, "status_reminder" if reminder else "status_prompt")


def chooser_reply(options: list[tuple[str, str]], language: str) -> Reply:
    """Which group? options: (label, value)."""
    prompt = t(
        language,
        "Du kan svare for flere grupper. Hvilken vil du fylle ut?",
        "You can answer for several groups. Which one do you want to fill in?",
    )
    lines = "\n".join(f"{i}. {label}" for i, (label, _v) in enumerate(options, 1))
    return _reply(
        f"{prompt}\n{lines}",
        (Choice(prompt=prompt, action="status_choose", options=tuple(options)),),
        language,
    )


def status_table(rows: Sequence[tuple[str, ...]], title: str, language: str) -> Table:
    columns = (
        t(language, "Gruppe", "Group"),
        t(language, "Leder", "Leader"),
        t(language, "Sendt inn av", "Submitted by"),
        t(language, "Tidspunkt", "At"),
        t(language, "Avvik", "Deviations"),
    )
    return Table(columns=columns, rows=tuple(rows), title=title)


def heading(text: str) -> Heading:
    return Heading(text)


# -- whole forms at once (a Slack modal, a Teams card) ---------------------------------------------


def form_modal(
    form: FormDefinition,
    answers: dict[str, Any],
    language: str,
    *,
    campaign_id: int,
    group_id: str,
    intro: str,
) -> FormModal:
    """A group's status form with every question, prefilled with `answers`."""
    return FormModal(
        callback=FORM_CALLBACK,
        title=f"Status {group_id}",
        submit=word("submit", language),
        close=word("cancel", language),
        fields=form_fields(form, answers, language),
        intro=intro,
        metadata=json.dumps({"c": campaign_id, "g": group_id}),
        language=language,
    )


def modal_target(metadata: str) -> tuple[int, str]:
    """(campaign id, group id) from a submitted form modal's metadata."""
    try:
        data = json.loads(metadata or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    campaign = data.get("c", 0)
    return (campaign if isinstance(campaign, int) else 0), str(data.get("g", ""))


def campaign_modal(groups: list[str], forms: list[str], language: str) -> FormModal:
    """The secretariat's "new status round" form; field ids are `CampaignError` fields."""
    fields = (
        Field(
            "name",
            t(language, "Navn", "Name"),
            FreeText(
                placeholder=t(language, "f.eks. Vårmøtet 2026", "e.g. Spring project meeting 2026")
            ),
        ),
        Field("deadline", t(language, "Frist", "Deadline"), DateEntry(picker=True)),
        Field(
            "opens",
            t(language, "Åpner", "Opens"),
            FreeText(placeholder="now / 2026-03-01T09:00"),
            optional=True,
            hint=t(language, "Tomt = nå. Oslo-tid.", "Empty = now. Oslo time."),
        ),
        Field(
            "groups",
            t(language, "Grupper", "Groups"),
            Pick(tuple((g, g) for g in groups[:100]), multiple=True),
            optional=True,
            hint=t(
                language,
                "Tomt = alle arbeidspakker og arbeidsgrupper.",
                "Empty = all work packages and working groups.",
            ),
        ),
        Field(
            "form",
            t(language, "Skjema", "Form"),
            Pick(tuple((f, f) for f in forms)),
            optional=True,
        ),
    )
    return FormModal(
        callback=NEW_CAMPAIGN_CALLBACK,
        title=t(language, "Ny statusrunde", "New status round"),
        submit=t(language, "Opprett", "Create"),
        close=word("cancel", language),
        fields=fields,
        notes=(
            t(
                language,
                "Påminnelser går 7 og 2 dager før og om morgenen på fristdagen.",
                "Reminders go out 7 and 2 days before and on the morning of the deadline.",
            ),
        ),
        language=language,
    )
