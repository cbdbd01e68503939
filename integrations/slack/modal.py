"""Core form modals (`bot.interactions.FormModal`) as Slack views, and their submissions back.

Each field becomes an input block whose block id is the field id (with an optional prefix, so a
form's fields cannot collide with other blocks); the element follows the field's input hint, never
the feature behind it. A submission's `view.state.values` are read back into field id → value in
the shapes the core expects, and problems go back under their fields (`response_action: errors`).
Every view is built with `slack_sdk.models`, so it is validated on the way out.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.interactions import (
    DateEntry,
    Field,
    FormModal,
    FreeText,
    InputHint,
    Lookup,
    NumberEntry,
    Pick,
    YesNo,
)
from integrations.slack.render import cut, mrkdwn_object

MAX_VIEW_BLOCKS = 100
MAX_TITLE = 24
MAX_ERROR = 150
MAX_INPUT = 3000  # Slack's longest plain_text_input
CHECKBOX_LIMIT = 10  # more options than this: a multi-select instead of a wall of checkboxes


def plain(text: str, limit: int = 2000) -> PlainTextObject:
    return PlainTextObject(text=cut(text, limit), emoji=True)


def option(label: str, value: str) -> Option:
    return Option(value=value, text=plain(label, 75))


def element(hint: InputHint, initial: str | list[str] | None, action_id: str) -> Any:
    """The Block Kit element for an input hint, prefilled with `initial`."""
    if isinstance(hint, Pick | YesNo):
        options = [option(label, value) for label, value in hint.options]
        placeholder = plain(hint.placeholder) if hint.placeholder else None
        if isinstance(hint, Pick) and hint.multiple:
            wanted = initial if isinstance(initial, list) else []
            chosen = [o for o in options if o.value in wanted] or None
            if len(options) <= CHECKBOX_LIMIT:
                return CheckboxesElement(
                    action_id=action_id, options=options, initial_options=chosen
                )
            return StaticMultiSelectElement(
                action_id=action_id,
                options=options[:100],
                initial_options=chosen,
                placeholder=placeholder,
            )
        initial_option = next((o for o in options if o.value == initial), None)
        return StaticSelectElement(
            action_id=action_id,
            options=options[:100],
            initial_option=initial_option,
            placeholder=placeholder,
        )
    if isinstance(hint, Lookup):  # options come from the `app.options(hint.source)` listener
        return ExternalDataSelectElement(
            action_id=hint.source,
            min_query_length=hint.min_query,
            placeholder=plain(hint.placeholder) if hint.placeholder else None,
        )
    if isinstance(hint, DateEntry) and hint.picker:
        return DatePickerElement(
            action_id=action_id,
            initial_date=initial if isinstance(initial, str) and initial else None,
            placeholder=plain(hint.placeholder) if hint.placeholder else None,
        )
    assert isinstance(hint, FreeText | NumberEntry | DateEntry)
    limit = hint.max_length if isinstance(hint, FreeText) else None
    return PlainTextInputElement(
        action_id=action_id,
        multiline=isinstance(hint, FreeText) and hint.multiline,
        max_length=min(limit, MAX_INPUT) if limit else None,
        initial_value=initial if isinstance(initial, str) else None,
        placeholder=plain(hint.placeholder) if hint.placeholder else None,
    )


def input_block(field: Field, *, prefix: str, action_id: str) -> InputBlock:
    hint = field.hint
    return InputBlock(
        block_id=f"{prefix}{field.id}",
        label=plain(field.label),
        element=element(field.input, field.initial, action_id),
        optional=field.optional,
        hint=plain(hint) if hint else None,
    )


def render_modal(modal: FormModal, *, prefix: str = "", action_id: str = "value") -> dict[str, Any]:
    """The modal view for `views.open`: the intro, one input per field, then the notes."""
    blocks: list[Any] = []
    if modal.intro:
        blocks.append(SectionBlock(text=mrkdwn_object(modal.intro)))
    blocks += [input_block(f, prefix=prefix, action_id=action_id) for f in modal.fields]
    blocks += [ContextBlock(elements=[mrkdwn_object(note)]) for note in modal.notes]
    return View(
        type="modal",
        callback_id=modal.callback,
        title=plain(modal.title, MAX_TITLE),
        submit=plain(modal.submit, MAX_TITLE),
        close=plain(modal.close, MAX_TITLE),
        private_metadata=modal.metadata or None,
        blocks=blocks[:MAX_VIEW_BLOCKS],
    ).to_dict()


def options_response(options: list[tuple[str, str]]) -> dict[str, Any]:
    """The ack for a `Lookup` search (block_suggestion): (label, value) pairs as Slack options."""
    return {"options": [option(label, value).to_dict() for label, value in options[:100]]}


def _value(state: dict[str, Any]) -> Any:
    """One element's state as the core reads it: text, an option value, a list, an ISO date."""
    kind = state.get("type")
    if kind in ("checkboxes", "multi_static_select"):
        return [o["value"] for o in state.get("selected_options") or []]
    if kind in ("static_select", "external_select", "radio_buttons"):
        selected = state.get("selected_option")
        return selected["value"] if selected else None
    if kind == "datepicker":
        return state.get("selected_date")
    return state.get("value")


def submitted_values(view: dict[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """Field id → submitted value from a `view_submission`'s `view.state.values`."""
    out: dict[str, Any] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        if not block_id.startswith(prefix) or not isinstance(actions, dict):
            continue
        state = next(iter(actions.values()), None)
        if isinstance(state, dict):
            out[block_id[len(prefix) :]] = _value(state)
    return out


def errors_response(errors: dict[str, str], *, prefix: str = "") -> dict[str, Any]:
    """The ack for a refused submission: each message under its field's input block."""
    return {
        "response_action": "errors",
        "errors": {f"{prefix}{field}": cut(text, MAX_ERROR) for field, text in errors.items()},
    }
