"""Slack listeners for status forms: start buttons, choice buttons, and the two modals.

Modals need the trigger id within 3 s, so `views.open` is called in the listener right after
`ack()`, with only a quick database read in between. A `view_submission` is validated inside the
ack (field errors go back inline with `response_action: errors`, keyed by input block ids); slow
follow-ups (the confirmation DM, delivering queued prompts) run in the runtime's pool afterwards.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.forms import FormDefinition, Question
from bot.replies import Person, Reply
from commands import status as status_feature
from commands.status_campaigns import default_scope, packaged_forms
from commands.status_messages import ANSWER_ACTION, MODAL_ACTION, START_ACTION, SUBMIT_ACTION
from integrations.slack.render import cut, mrkdwn_object
from integrations.slack.surface import SlackRuntime
from storage.outbox import deliver_due

log = logging.getLogger(__name__)

FORM_CALLBACK = "status_form"
NEW_CAMPAIGN_CALLBACK = "status_campaign_new"
_NEW = re.compile(r"^\s*status\s+(new|ny)\b", re.IGNORECASE)


def _t(language: str, nb: str, en: str) -> str:
    return en if language == "en" else nb


def _plain(text: str, limit: int = 2000) -> PlainTextObject:
    return PlainTextObject(text=cut(text, limit), emoji=True)


def _option(label: str, value: str) -> Option:
    return Option(value=value, text=_plain(label, 75))


# -- the form as a modal --------------------------------------------------------------------------


def _element(question: Question, value: Any, language: str) -> Any:
    if question.type in ("single_choice", "yes_no"):
        options = [_option(label, v) for label, v in question.choices(language)]
        initial = None
        if value is not None:
            wanted = ("yes" if value else "no") if question.type == "yes_no" else value
            initial = next((o for o in options if o.value == wanted), None)
        return StaticSelectElement(
            action_id="answer",
            options=options,
            initial_option=initial,
            placeholder=_plain(_t(language, "Velg", "Choose")),
        )
    if question.type == "multiple_choice":
        options = [_option(label, v) for label, v in question.choices(language)]
        chosen = [o for o in options if o.value in (value or [])] or None
        if len(options) <= 10:
            return CheckboxesElement(action_id="answer", options=options, initial_options=chosen)
        return StaticMultiSelectElement(action_id="answer", options=options, initial_options=chosen)
    initial_text = None
    if value is not None:
        initial_text = str(value)
    return PlainTextInputElement(
        action_id="answer",
        multiline=question.type == "long_text",
        initial_value=initial_text,
        placeholder=_plain(_t(language, "f.eks. 12. mars", "e.g. 12 March"))
        if question.type == "date"
        else None,
    )


def form_view(
    form: FormDefinition,
    answers: dict[str, Any],
    language: str,
    *,
    campaign_id: int,
    group_id: str,
    intro: str,
) -> dict[str, Any]:
    blocks: list[Any] = [SectionBlock(text=mrkdwn_object(intro))]
    for question in form.questions:
        hint = question.help.get(language) if question.help else None
        if question.when is not None:
            target = form.question(question.when.question)
            condition = (
                _t(language, "Fylles ut bare når", "Only when")
                + f" «{target.label.get(language) if target else question.when.question}»"
            )
            hint = f"{condition}. {hint or ''}".strip()
        blocks.append(
            InputBlock(
                block_id=f"q_{question.id}",
                label=_plain(question.text.get(language)),
                element=_element(question, answers.get(question.id), language),
                optional=not question.required or question.when is not None,
                hint=_plain(hint) if hint else None,
            )
        )
    view = View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title=_plain(f"Status {group_id}", 24),
        submit=_plain(_t(language, "Send inn", "Submit"), 24),
        close=_plain(_t(language, "Avbryt", "Cancel"), 24),
        private_metadata=json.dumps({"c": campaign_id, "g": group_id}),
        blocks=blocks[:100],
    )
    return view.to_dict()


def state_answers(view: dict[str, Any]) -> dict[str, Any]:
    """Question id → raw value (text, option value or list of them) from view.state.values."""
    out: dict[str, Any] = {}
    for block_id, actions in (view.get("state", {}).get("values") or {}).items():
        if not block_id.startswith("q_"):
            continue
        element: dict[str, Any] = actions.get("answer") or next(iter(actions.values()), {})
        kind = element.get("type")
        if kind in ("checkboxes", "multi_static_select"):
            value: Any = [o["value"] for o in element.get("selected_options") or []]
        elif kind in ("static_select", "radio_buttons"):
            selected = element.get("selected_option")
            value = selected["value"] if selected else None
        elif kind == "datepicker":
            value = element.get("selected_date")
        else:
            value = element.get("value")
        out[block_id[2:]] = value
    return out


# -- the campaign modal ---------------------------------------------------------------------------


def campaign_view(groups: list[str], forms: list[str], language: str) -> dict[str, Any]:
    blocks = [
        InputBlock(
            block_id="name",
            label=_plain(_t(language, "Navn", "Name")),
            element=PlainTextInputElement(
                action_id="value",
                placeholder=_plain(
                    _t(language, "f.eks. Vårmøtet 2026", "e.g. Spring project meeting 2026")
                ),
            ),
        ),
        InputBlock(
            block_id="deadline",
            label=_plain(_t(language, "Frist", "Deadline")),
            element=DatePickerElement(action_id="value"),
        ),
        InputBlock(
            block_id="opens",
            label=_plain(_t(language, "Åpner", "Opens")),
            optional=True,
            element=PlainTextInputElement(
                action_id="value", placeholder=_plain("now / 2026-03-01T09:00")
            ),
            hint=_plain(_t(language, "Tomt = nå. Oslo-tid.", "Empty = now. Oslo time.")),
        ),
        InputBlock(
            block_id="groups",
            label=_plain(_t(language, "Grupper", "Groups")),
            optional=True,
            element=StaticMultiSelectElement(
                action_id="value", options=[_option(g, g) for g in groups[:100]]
            ),
            hint=_plain(
                _t(
                    language,
                    "Tomt = alle arbeidspakker og arbeidsgrupper.",
                    "Empty = all work packages and working groups.",
                )
            ),
        ),
        InputBlock(
            block_id="form",
            label=_plain(_t(language, "Skjema", "Form")),
            optional=True,
            element=StaticSelectElement(action_id="value", options=[_option(f, f) for f in forms]),
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=_t(
                        language,
                        "Påminnelser går 7 og 2 dager før og om morgenen på fristdagen.",
                        "Reminders go out 7 and 2 days before and on the morning of the deadline.",
                    )
                )
            ]
        ),
    ]
    return View(
        type="modal",
        callback_id=NEW_CAMPAIGN_CALLBACK,
        title=_plain(_t(language, "Ny statusrunde", "New status round"), 24),
        submit=_plain(_t(language, "Opprett", "Create"), 24),
        close=_plain(_t(language, "Avbryt", "Cancel"), 24),
        blocks=blocks,
    ).to_dict()


def _campaign_error_block(message: str) -> str:
    lowered = message.lower()
    for word, block in (
        ("deadline", "deadline"),
        ("group", "groups"),
        ("open", "opens"),
        ("form", "form"),
    ):
        if word in lowered:
            return block
    return "name"


# -- listeners -----------------------------------------------------------------------------------


def register(runtime: SlackRuntime) -> None:
    app, bot = runtime.app, runtime.bot
    services = bot.services

    def language() -> str:
        return str(services.settings.language)

    def deliver(user_id: str, channel: str | None, replies: list[Reply]) -> None:
        for reply in replies:
            if channel and channel.startswith("D"):
                runtime.post(channel, reply)
            else:
                runtime.dm(user_id, reply)

    def new_campaign_hook(body: dict[str, Any], person: Person, ack: Callable[..., Any]) -> bool:
        if not _NEW.match(body.get("text") or ""):
            return False
        lang = language()
        if not person.is_admin:
            ack(
                text=_t(
                    lang,
                    "Bare sekretariatet (administratorer) kan lage statusrunder.",
                    "Only the secretariat (administrators) can create status rounds.",
                )
            )
            return True
        ack()

        with services.db.session() as session:
            groups = default_scope(session)
        runtime.client.views_open(
            trigger_id=body["trigger_id"], view=campaign_view(groups, list(packaged_forms()), lang)
        )
        return True

    runtime.command_hooks.append(new_campaign_hook)

    def start(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any]) -> None:
        """Start or resume the filling named by a button ("campaign:group") in the user's DM."""
        ack()
        user_id = body["user"]["id"]
        campaign, _, group = str(action.get("value", "")).partition(":")

        def work() -> None:
            person = runtime.person(user_id)
            replies = status_feature.start_for_group(
                services, person, group, language(), int(campaign) if campaign.isdigit() else None
            )
            deliver(user_id, (body.get("channel") or {}).get("id"), replies)

        runtime.submit(work)

    app.action(START_ACTION)(start)

    @app.action(MODAL_ACTION)
    def on_open_modal(
        ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        campaign, _, group = str(action.get("value", "")).partition(":")
        person = runtime.person(user_id)
        lang = language()
        view = status_feature.modal_for(services, person, int(campaign or 0), group, lang)
        if isinstance(view, Reply):
            runtime.submit(lambda: deliver(user_id, None, [view]))
            return
        form, answers, intro = view
        runtime.client.views_open(
            trigger_id=body["trigger_id"],
            view=form_view(
                form, answers, lang, campaign_id=int(campaign), group_id=group, intro=intro
            ),
        )

    @app.action(re.compile(rf"^{ANSWER_ACTION}:\d+$"))
    def on_answer(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        user_id = body["user"]["id"]
        filling, question, value = [*str(action.get("value", "")).split("|", 2), "", ""][:3]

        def work() -> None:
            person = runtime.person(user_id)
            replies = status_feature.apply_choice(
                services, person, int(filling or 0), question, value
            )
            deliver(user_id, (body.get("channel") or {}).get("id"), replies)

        runtime.submit(work)

    @app.action(re.compile(r"^status_choose:\d+$"))
    def on_choose(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any]) -> None:
        start(ack, body, action)

    @app.action(SUBMIT_ACTION)
    def on_submit_button(
        ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        ack()
        user_id = body["user"]["id"]
        filling = str(action.get("value", ""))

        def work() -> None:
            person = runtime.person(user_id)
            replies = (
                status_feature.apply_text(
                    services,
                    person,
                    "submit",
                    filling_id=int(filling) if filling.isdigit() else None,
                )
                or []
            )
            deliver(user_id, (body.get("channel") or {}).get("id"), replies)

        runtime.submit(work)

    @app.view(FORM_CALLBACK)
    def on_form_submission(
        ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        user_id = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        person = runtime.person(user_id)
        errors, replies = status_feature.submit_answers(
            services,
            person,
            int(meta.get("c", 0)),
            str(meta.get("g", "")),
            state_answers(view),
            language(),
        )
        if errors:
            ack(
                response_action="errors",
                errors={f"q_{qid}": cut(msg, 150) for qid, msg in errors.items()},
            )
            return
        ack()
        runtime.submit(lambda: deliver(user_id, None, replies))

    @app.view(NEW_CAMPAIGN_CALLBACK)
    def on_new_campaign(
        ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        user_id = body["user"]["id"]
        person = runtime.person(user_id)
        lang = language()
        values = view.get("state", {}).get("values", {})

        def value(block: str) -> Any:
            element = (values.get(block) or {}).get("value") or {}
            if element.get("type") == "datepicker":
                return element.get("selected_date")
            if element.get("type") == "multi_static_select":
                return [o["value"] for o in element.get("selected_options") or []]
            if element.get("type") == "static_select":
                return (element.get("selected_option") or {}).get("value")
            return element.get("value")

        if not person.is_admin:
            ack(
                response_action="errors",
                errors={
                    "name": _t(
                        lang,
                        "Bare sekretariatet kan lage statusrunder.",
                        "Only the secretariat can create status rounds.",
                    )
                },
            )
            return
        result = status_feature.create_from_modal(
            services,
            person,
            name=value("name") or "",
            deadline=value("deadline") or "",
            opens=value("opens"),
            groups=value("groups") or None,
            form=value("form"),
        )
        if isinstance(result, str):
            ack(response_action="errors", errors={_campaign_error_block(result): cut(result, 150)})
            return
        ack()

        def work() -> None:
            runtime.dm(user_id, result)
            deliver_due(services)

        runtime.submit(work)
