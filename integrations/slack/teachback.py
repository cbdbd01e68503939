"""Slack listeners for teach-back: 👍/👎, "pass it on", and the secretariat's Answer buttons.

Feedback and pass-on answer the clicker ephemerally (response_url). The secretariat post's
buttons are for admins (`BOT_ADMINS`) only; others get a polite refusal. "Answer…" opens a modal
in the ack path (the trigger id lives 3 s) with a search-as-you-type select over documents,
groups and people (an `external_select`, served by the options listener below) and a text field.
The asker's DM and the edit of the channel post go through the outbox, delivered at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import (
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.replies import Reply
from commands import teachback, teachback_admin
from integrations.slack.render import cut, escape, message_payload
from integrations.slack.surface import SlackRuntime
from storage import questions_log as store

log = logging.getLogger(__name__)

ANSWER_CALLBACK = "teachback_answer_modal"
PICK_ACTION = "teachback_pick"
MAX_OPTIONS = 20


def _plain(text: str, limit: int = 150) -> PlainTextObject:
    return PlainTextObject(text=cut(text, limit), emoji=True)


def _t(language: str, nb: str, en: str) -> str:
    return en if language == "en" else nb


def answer_view(item: store.TriageItem, language: str) -> dict[str, Any]:
    """The admin's modal: pick a document, group or person (search), or write a short text."""
    question = f"*{_t(language, 'Spørsmål', 'Question')} #{item.id}:*\n{escape(item.question)}"
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=cut(question, 3000))),
        InputBlock(
            block_id="pick",
            optional=True,
            label=_plain(
                _t(language, "Dokument, gruppe eller person", "Document, group or person")
            ),
            element=ExternalDataSelectElement(
                action_id=PICK_ACTION,
                min_query_length=2,
                placeholder=_plain(_t(language, "Søk …", "Search …")),
            ),
        ),
        InputBlock(
            block_id="text",
            optional=True,
            label=_plain(_t(language, "… eller et kort svar", "… or a short answer")),
            element=PlainTextInputElement(action_id="value", multiline=True,
                                          max_length=teachback.MAX_TEXT),
        ),
    ]
    return View(
        type="modal",
        callback_id=ANSWER_CALLBACK,
        title=_plain(_t(language, "Svar", "Answer"), 24),
        submit=_plain(_t(language, "Send svar", "Send answer"), 24),
        close=_plain(_t(language, "Avbryt", "Cancel"), 24),
        private_metadata=str(item.id),
        blocks=blocks,
    ).to_dict()


def pick_options(runtime: SlackRuntime, query: str) -> list[dict[str, Any]]:
    """Options for the search select: the search index's best documents, groups and people."""
    services = runtime.bot.services
    index = services.search
    language = services.settings.language
    options: list[dict[str, Any]] = []
    with services.db.session() as session:
        words = index.query_words(session, query[:200])
        hits = index.search(session, words, limit=MAX_OPTIONS) if words else []
        for hit in hits:
            label = teachback.label_for(session, hit.kind, hit.ref_id, language)
            if not label:
                continue
            prefix = hit.ref_id if hit.kind != "person" else "👤"
            text = cut(f"{prefix} — {label}" if prefix != label else label, 75)
            option = Option(value=f"{hit.kind}|{hit.ref_id}", text=_plain(text, 75))
            options.append(option.to_dict())
    return options


def register(runtime: SlackRuntime) -> None:
    app, bot = runtime.app, runtime.bot
    services = bot.services

    def language() -> str:
        return str(services.settings.language)

    def tell(respond: Callable[..., Any], reply: Reply) -> None:
        respond(response_type="ephemeral", replace_original=False, **message_payload(reply))

    def refusal() -> Reply:
        text = _t(language(), "Beklager, bare sekretariatet (administratorer) kan svare på disse.",
                  "Sorry, only the secretariat (administrators) can answer these.")
        return Reply(text=text, language=language(), intent="refused")

    def user_of(body: dict[str, Any]) -> str:
        return str((body.get("user") or {}).get("id", ""))

    def on_feedback(value: str) -> Callable[..., None]:
        def listener(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                     respond: Callable[..., Any]) -> None:
            ack()
            raw = str(action.get("value") or "")

            def work() -> None:
                person = runtime.person(user_of(body))
                log_id = int(raw) if raw.isdigit() else 0
                tell(respond, teachback.feedback(services, person, log_id, value))

            runtime.submit(work)

        return listener

    app.action(teachback.UP_ACTION)(on_feedback("up"))
    app.action(teachback.DOWN_ACTION)(on_feedback("down"))

    @app.action(teachback.PASS_ACTION)
    def on_pass(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                respond: Callable[..., Any]) -> None:
        ack()

        def work() -> None:
            person = runtime.person(user_of(body))
            reply, keys = teachback.pass_on(services, person, str(action.get("value") or ""))
            tell(respond, reply)
            teachback.deliver_now(services, keys)

        runtime.submit(work)

    def admin_work(body: dict[str, Any], respond: Callable[..., Any],
                   work: Callable[[str], tuple[str, list[str]]]) -> None:
        """Run an admin's action in the pool; non-admins get a refusal, errors a short note."""
        def run() -> None:
            person = runtime.person(user_of(body))
            if not person.is_admin:
                tell(respond, refusal())
                return
            try:
                line, keys = work(teachback.asker_name(person))
            except store.TeachbackError as exc:
                line, keys = str(exc), []
            tell(respond, Reply(text=line, language=language(), intent="triage"))
            teachback.deliver_now(services, keys)

        runtime.submit(run)

    @app.action(re.compile(rf"^{teachback.GUESS_ACTION}:\d+$"))
    def on_guess(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                 respond: Callable[..., Any]) -> None:
        ack()
        item_id, kind, ref = [*str(action.get("value") or "").split("|", 2), "", ""][:3]
        admin_work(body, respond,
                   lambda by: teachback_admin.answer_item(services, item_id, kind, ref, by))

    @app.action(teachback.DISMISS_ACTION)
    def on_dismiss(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                   respond: Callable[..., Any]) -> None:
        ack()
        item_id = str(action.get("value") or "")
        admin_work(body, respond, lambda by: teachback_admin.dismiss_item(services, item_id, by))

    @app.action(teachback.ANSWER_ACTION)
    def on_answer(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                  respond: Callable[..., Any]) -> None:
        ack()
        person = runtime.person(user_of(body))
        if not person.is_admin:
            runtime.submit(lambda: tell(respond, refusal()))
            return
        with services.db.session() as session:
            try:
                item = store.get_item(session, str(action.get("value") or ""))
            except store.TeachbackError as exc:
                message = str(exc)
                runtime.submit(lambda: tell(respond, Reply(text=message, intent="triage")))
                return
            if item.status != "open":
                done = f"#{item.id}: {item.status}"
                runtime.submit(lambda: tell(respond, Reply(text=done, intent="triage")))
                return
            view = answer_view(item, item.language)
        runtime.client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.options(PICK_ACTION)
    def on_pick_options(ack: Callable[..., Any], body: dict[str, Any]) -> None:
        person = runtime.person(user_of(body))
        ack(options=pick_options(runtime, str(body.get("value") or "")) if person.is_admin else [])

    @app.view(ANSWER_CALLBACK)
    def on_submit(ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any]) -> None:
        person = runtime.person(user_of(body))
        if not person.is_admin:
            ack(response_action="errors", errors={"text": refusal().text})
            return
        values = (view.get("state") or {}).get("values") or {}
        picked = ((values.get("pick") or {}).get(PICK_ACTION) or {}).get("selected_option")
        text = str(((values.get("text") or {}).get("value") or {}).get("value") or "").strip()
        if picked:
            kind, _, value = str(picked.get("value") or "").partition("|")
        elif text:
            kind, value = "text", text
        else:
            ack(response_action="errors", errors={"pick": _t(
                language(), "Velg et treff eller skriv et svar.", "Pick a match or write an answer."
            )})
            return
        try:
            line, keys = teachback_admin.answer_item(
                services, str(view.get("private_metadata") or ""), kind, value,
                teachback.asker_name(person),
            )
        except store.TeachbackError as exc:
            ack(response_action="errors", errors={"pick" if picked else "text": cut(str(exc), 150)})
            return
        ack()
        user_id = user_of(body)

        def work() -> None:
            teachback.deliver_now(services, keys)
            runtime.dm(user_id, Reply(text=line, language=language(), intent="triage"))

        runtime.submit(work)
