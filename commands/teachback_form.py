"""Teach-back's buttons and answer form, surface-neutral: who may, what is asked, what went wrong.

The secretariat post's buttons (a guess, dismiss, "Answer…") are for admins only; everyone else
gets a polite refusal. "Answer…" is a form (`FormModal`) with a search over documents, groups and
people (a `Lookup` the surface fills from `pick_options` as the admin types) and a short text.
Surfaces (`integrations.slack.teachback`) only translate; delivery of the returned outbox keys is
theirs (`commands.teachback.deliver_now`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core import Services
from bot.i18n import t, word
from bot.interactions import Field, FormModal, FreeText, Lookup
from bot.markup import esc
from bot.replies import Person, Reply
from bot.router import may, refused
from commands import teachback, teachback_admin
from storage import questions_log as store

ANSWER_CALLBACK = "teachback_answer_modal"
PICK_SOURCE = "teachback_pick"  # the search the answer form's pick field is filled from
MAX_OPTIONS = 20


def answer_modal(item: store.TriageItem, language: str) -> FormModal:
    """The admin's form: pick a document, group or person (search), or write a short text."""
    question = f"*{t(language, 'Spørsmål', 'Question')} #{item.id}:*\n{esc(item.question)}"
    return FormModal(
        callback=ANSWER_CALLBACK,
        title=t(language, "Svar", "Answer"),
        submit=t(language, "Send svar", "Send answer"),
        close=word("cancel", language),
        intro=question,
        fields=(
            Field(
                "pick",
                t(language, "Dokument, gruppe eller person", "Document, group or person"),
                Lookup(PICK_SOURCE, placeholder=t(language, "Søk …", "Search …")),
                optional=True,
            ),
            Field(
                "text",
                t(language, "… eller et kort svar", "… or a short answer"),
                FreeText(multiline=True, max_length=teachback.MAX_TEXT),
                optional=True,
            ),
        ),
        metadata=str(item.id),
        language=language,
    )


def modal_for(services: Services, person: Person, item_id: str) -> FormModal | Reply:
    """The answer form for an open item, or why not (not an admin, unknown, already closed)."""
    if not may(person):
        return refused(services.settings.language)
    with services.db.session() as session:
        try:
            item = store.get_item(session, item_id)
        except store.TeachbackError as exc:
            return Reply(text=str(exc), intent="triage")
        if item.status != "open":
            return Reply(text=f"#{item.id}: {item.status}", intent="triage")
        return answer_modal(item, item.language)


def pick_options(services: Services, person: Person, query: str) -> list[tuple[str, str]]:
    """(label, "kind|ref") for the search field: the index's best documents, groups, people."""
    if not may(person):
        return []
    index = services.search
    language = services.settings.language
    options: list[tuple[str, str]] = []
    with services.db.session() as session:
        words = index.query_words(session, query[:200])
        hits = index.search(session, words, limit=MAX_OPTIONS) if words else []
        for hit in hits:
            label = teachback.label_for(session, hit.kind, hit.ref_id, language)
            if not label:
                continue
            prefix = hit.ref_id if hit.kind != "person" else "👤"
            options.append(
                (f"{prefix} — {label}" if prefix != label else label, f"{hit.kind}|{hit.ref_id}")
            )
    return options


def submit_answer(
    services: Services, person: Person, item_id: str, values: dict[str, Any]
) -> tuple[dict[str, str], Reply | None, list[str]]:
    """A submitted answer form: (problems by field, the confirmation, outbox keys to deliver)."""
    language = services.settings.language
    if not may(person):
        return {"text": refused(language).text}, None, []
    picked = str(values.get("pick") or "")
    text = str(values.get("text") or "").strip()
    if picked:
        kind, _, value = picked.partition("|")
    elif text:
        kind, value = "text", text
    else:
        problem = t(
            language, "Velg et treff eller skriv et svar.", "Pick a match or write an answer."
        )
        return {"pick": problem}, None, []
    try:
        line, keys = teachback_admin.answer_item(
            services, item_id, kind, value, teachback.asker_name(person)
        )
    except store.TeachbackError as exc:
        return {"pick" if picked else "text": str(exc)}, None, []
    return {}, Reply(text=line, language=language, intent="triage"), keys


def admin_action(
    services: Services, person: Person, work: Callable[[str], tuple[str, list[str]]]
) -> tuple[Reply, list[str]]:
    """Run an admin's button action (`work(by)`): its line and keys, a refusal, or the error."""
    language = services.settings.language
    if not may(person):
        return refused(language), []
    try:
        line, keys = work(teachback.asker_name(person))
    except store.TeachbackError as exc:
        line, keys = str(exc), []
    return Reply(text=line, language=language, intent="triage"), keys


def guess(services: Services, person: Person, value: str) -> tuple[Reply, list[str]]:
    """One of the bot's guesses under a triage post: value "item|kind|ref"."""
    item_id, kind, ref = [*value.split("|", 2), "", ""][:3]
    return admin_action(
        services,
        person,
        lambda by: teachback_admin.answer_item(services, item_id, kind, ref, by),
    )


def dismiss(services: Services, person: Person, item_id: str) -> tuple[Reply, list[str]]:
    return admin_action(
        services, person, lambda by: teachback_admin.dismiss_item(services, item_id, by)
    )
