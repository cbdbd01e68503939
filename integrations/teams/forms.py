"""Core form modals (`bot.interactions.FormModal`) as one Adaptive Card, and submissions back.

Each field becomes an `Input.*` whose id is `f_<field id>`; the element follows the field's input
hint (free text, pick, yes/no, number, date), never the feature behind it. The card's one
`Action.Execute` carries the modal's callback and metadata; the inputs come back beside them and
are read into field id → value in the shapes the core expects (a list for several picks, an ISO
date from a date picker, None when left empty). Problems are shown under their fields.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.interactions import (
    DateEntry,
    Field,
    FormModal,
    FreeText,
    Lookup,
    NumberEntry,
    Pick,
    YesNo,
)
from integrations.graph.escape import card_blocks, card_plain_blocks
from integrations.teams.cards import execute

PREFIX = "f_"


def _input(field: Field) -> dict[str, Any]:
    hint = field.input
    base: dict[str, Any] = {"id": PREFIX + field.id, "label": field.label}
    initial = field.initial
    if isinstance(hint, Pick | YesNo):
        multiple = isinstance(hint, Pick) and hint.multiple
        element: dict[str, Any] = {
            "type": "Input.ChoiceSet", **base,
            "choices": [{"title": label[:100], "value": value} for label, value in hint.options],
            "style": "expanded" if multiple else "compact",
            "isMultiSelect": multiple,
        }
        if isinstance(initial, list):
            element["value"] = ",".join(str(v) for v in initial)
        elif initial is not None:
            element["value"] = str(initial)
        return element
    element = {"type": "Input.Text", **base}
    if isinstance(hint, FreeText):
        element["isMultiline"] = hint.multiline
        if hint.max_length:
            element["maxLength"] = hint.max_length
    if isinstance(hint, DateEntry) and hint.picker:
        element["type"] = "Input.Date"
    placeholder = getattr(hint, "placeholder", None)
    if placeholder:
        element["placeholder"] = placeholder
    if initial is not None and not isinstance(initial, list):
        element["value"] = str(initial)
    return element


def modal_card(modal: FormModal, verb: str) -> dict[str, Any]:
    """The whole form as one card: intro, the fields (hints and errors under them), notes."""
    body: list[dict[str, Any]] = [*card_plain_blocks(modal.title, size="Large", weight="Bolder")]
    if modal.intro:
        body.extend(card_blocks(modal.intro))
    for field in modal.fields:
        body.append(_input(field))
        if field.hint:
            body.extend(card_plain_blocks(field.hint, isSubtle=True, size="Small"))
        if field.error:
            body.extend(card_plain_blocks("⚠ " + field.error, color="Attention"))
    for note in modal.notes:
        body.extend(card_blocks(note, isSubtle=True, size="Small"))
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [execute(modal.submit, verb, callback=modal.callback,
                            metadata=modal.metadata)],
        "fallbackText": modal.title,
    }


def submitted(modal: FormModal, data: dict[str, Any]) -> dict[str, Any]:
    """Field id → value from an Action.Execute's data (inputs are `f_<field id>`)."""
    out: dict[str, Any] = {}
    for field in modal.fields:
        value = data.get(PREFIX + field.id)
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None):
            out[field.id] = [] if _multiple(field) else None
        elif _multiple(field):
            out[field.id] = [v for v in str(value).split(",") if v]
        else:
            out[field.id] = value
    return out


def _multiple(field: Field) -> bool:
    return isinstance(field.input, Pick) and field.input.multiple


def refused(modal: FormModal, values: dict[str, Any], errors: dict[str, str]) -> FormModal:
    """The form again with what was typed kept and each problem under its field."""
    fields = tuple(replace(f, initial=values.get(f.id, f.initial)) for f in modal.fields)
    return replace(modal, fields=fields).with_errors(errors)


__all__ = ["Lookup", "NumberEntry", "modal_card", "refused", "submitted"]
