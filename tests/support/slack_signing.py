"""Build and sign inbound Slack requests exactly as Slack sends them.

Bolt verifies the signature over the raw bytes, so the bodies here are produced byte for byte
in Slack's formats (JSON for events, form-encoded for commands, `payload=<json>` for
interactivity) and then delivered over real HTTP by `SlackClientHTTP`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import time
import urllib.error
import urllib.request
from typing import Any, NamedTuple
from urllib.parse import urlencode

__all__ = [
    "API_APP_ID",
    "TEAM_ID",
    "HTTPResult",
    "SlackClientHTTP",
    "app_mention_event",
    "block_actions_payload",
    "command_body",
    "event_body",
    "input_value",
    "interaction_body",
    "message_event",
    "new_event_id",
    "new_trigger_id",
    "sign",
    "url_verification_body",
    "view_submission_payload",
]

TEAM_ID = "T0001"
TEAM_DOMAIN = "norcrin-test"
API_APP_ID = "A0001"
BOT_USER_ID = "U0BOT"
VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated by Slack, still sent
# Port 9 (discard) refuses at once: a forgotten response_url fails fast instead of hanging.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


# signing ---------------------------------------------------------------------------------


def sign(secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for `body` (HMAC-SHA256 over "v0:{ts}:{body}")."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    raw = body.encode() if isinstance(body, str) else body
    base = f"v0:{ts}:".encode() + raw
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def new_event_id() -> str:
    """A fresh Events API event_id ("Ev" + 9 upper-case alphanumerics, like Slack's)."""
    alphabet = string.ascii_uppercase + string.digits
    return "Ev" + "".join(secrets.choice(alphabet) for _ in range(9))


def new_trigger_id() -> str:
    """A fresh trigger_id in Slack's "<digits>.<digits>.<hex>" shape."""
    return (
        f"{secrets.randbelow(10**13):013d}.{secrets.randbelow(10**13):013d}.{secrets.token_hex(16)}"
    )


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


# Events API --------------------------------------------------------------------------------


def event_body(
    event: dict[str, Any],
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    event_time: int | None = None,
) -> bytes:
    """A raw `event_callback` envelope around `event` (fills event_ts when missing).

    Pass the same event_id twice to simulate a Slack retry of one delivery.
    """
    now = int(time.time()) if event_time is None else event_time
    inner = dict(event)
    inner.setdefault("event_ts", inner.get("ts") or f"{now}.000100")
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": inner,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }
    return _dumps(envelope).encode()


def url_verification_body(challenge: str = "challenge-token") -> bytes:
    """The one-off request Slack sends when the events URL is configured."""
    return _dumps(
        {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    ).encode()


def message_event(
    text: str,
    user: str = "U0USER",
    channel: str = "C0CHAN",
    ts: str | None = None,
    channel_type: str = "channel",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A `message` event as a human's post arrives (channel_type "im" for a DM)."""
    ts = ts or _action_ts()
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": ts,
        "client_msg_id": secrets.token_hex(16),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def app_mention_event(
    text: str, user: str = "U0USER", channel: str = "C0CHAN", ts: str | None = None
) -> dict[str, Any]:
    """An `app_mention` event; include `<@U0BOT>` in text as Slack does."""
    ts = ts or _action_ts()
    return {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "client_msg_id": secrets.token_hex(16),
    }


# slash commands ----------------------------------------------------------------------------


def command_body(
    command: str = "/norcrin",
    text: str = "",
    user_id: str = "U0USER",
    channel_id: str = "C0CHAN",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    *,
    user_name: str | None = None,
    channel_name: str = "general",
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> bytes:
    """A raw slash-command body, form-encoded with every field Slack sends."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields).encode()


# interactivity -----------------------------------------------------------------------------


def interaction_body(payload: dict[str, Any]) -> bytes:
    """A raw interactivity body: form-encoded `payload=<json>`."""
    return urlencode({"payload": _dumps(payload)}).encode()


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def block_actions_payload(
    user_id: str,
    action_id: str,
    value: str,
    channel_id: str | None = None,
    trigger_id: str | None = None,
    response_url: str = UNSET_RESPONSE_URL,
    message_ts: str | None = None,
    view: dict[str, Any] | None = None,
    *,
    block_id: str = "actions",
    action_type: str = "button",
    message: dict[str, Any] | None = None,
    state_values: dict[str, Any] | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """A `block_actions` payload from a click in a message or, with `view`, in a modal/Home.

    `action_type` "static_select" (or any *_select) puts `value` in `selected_option`.
    Actions inside a view carry no response_url, as on Slack.
    """
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": _action_ts(),
    }
    if action_type.endswith("select"):
        action["selected_option"] = {
            "text": {"type": "plain_text", "text": value, "emoji": True},
            "value": value,
        }
    else:
        action["value"] = value
        action["text"] = {"type": "plain_text", "text": value, "emoji": True}

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": state_values or {}},
        "actions": [action],
    }
    if view is not None:
        full_view = {
            "id": "V0000000001",
            "team_id": team_id,
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "hash": "1.abc",
            "state": {"values": state_values or {}},
            "blocks": [],
        }
        full_view.update(view)
        payload["container"] = {"type": "view", "view_id": full_view["id"]}
        payload["view"] = full_view
    else:
        ts = message_ts or _action_ts()
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id or "C0CHAN",
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id or "C0CHAN", "name": "general"}
        payload["message"] = message or {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": "B0001",
            "ts": ts,
            "text": "",
        }
        payload["response_url"] = response_url
    return payload


def input_value(value: str | list[str], kind: str = "plain_text_input") -> dict[str, Any]:
    """One element's entry in view.state.values, e.g. {"block": {"action": input_value("x")}}.

    `kind` may be plain_text_input, static_select, multi_static_select, users_select,
    datepicker, checkboxes.
    """
    if kind == "plain_text_input":
        return {"type": kind, "value": value}
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    values = value if isinstance(value, list) else [value]
    options = [
        {"text": {"type": "plain_text", "text": v, "emoji": True}, "value": v} for v in values
    ]
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": options}
    return {"type": kind, "selected_option": options[0] if options else None}


def view_submission_payload(
    user_id: str,
    callback_id: str,
    state_values: dict[str, Any],
    private_metadata: str = "",
    view_id: str = "V0000000001",
    *,
    blocks: list[dict[str, Any]] | None = None,
    title: str = "NorCRIN",
    response_urls: list[dict[str, Any]] | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
) -> dict[str, Any]:
    """A `view_submission` payload for a modal with `callback_id` and these state values."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state_values},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": {"type": "plain_text", "text": title, "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "B0001",
        },
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


# delivery ----------------------------------------------------------------------------------


class HTTPResult(NamedTuple):
    """What the bot answered; unpacks as (status, headers, body). Header keys are lower-case."""

    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class SlackClientHTTP:
    """Plays Slack's side of an inbound request: signs a raw body and POSTs it to the bot."""

    def __init__(self, url: str, signing_secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.timeout = timeout

    def post(
        self,
        body: bytes,
        content_type: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        url: str | None = None,
    ) -> HTTPResult:
        """POST `body` signed like Slack; content type is guessed (JSON vs form) if not given.

        `stale` signs with a timestamp 400 s old (outside the 300 s window), `bad_signature`
        signs with the wrong secret, `retry_num` adds X-Slack-Retry-Num / -Reason.
        """
        if timestamp is None:
            timestamp = int(time.time()) - (400 if stale else 0)
        secret = self.signing_secret + ("-wrong" if bad_signature else "")
        hdrs = {
            "Content-Type": content_type or (JSON if body.lstrip()[:1] == b"{" else FORM),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign(secret, body, timestamp),
        }
        if retry_num is not None:
            hdrs["X-Slack-Retry-Num"] = str(retry_num)
            hdrs["X-Slack-Retry-Reason"] = retry_reason
        hdrs.update(headers or {})
        req = urllib.request.Request(url or self.url, data=body, headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return HTTPResult(
                    resp.status,
                    _lower(resp.headers.items()),
                    resp.read().decode("utf-8", "replace"),
                )
        except urllib.error.HTTPError as err:
            text = err.read().decode("utf-8", "replace")
            return HTTPResult(err.code, _lower(err.headers.items()), text)

    def send_event(
        self, event: dict[str, Any], event_id: str | None = None, **kwargs: Any
    ) -> HTTPResult:
        """Deliver an event_callback (same `event_id` + `retry_num=1` = a Slack retry)."""
        return self.post(event_body(event, event_id=event_id), JSON, **kwargs)

    def send_command(self, command: str = "/norcrin", text: str = "", **kwargs: Any) -> HTTPResult:
        """Deliver a slash command; extra keyword arguments go to `command_body`."""
        post_keys = {"headers", "bad_signature", "stale", "timestamp", "url"}
        post_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in post_keys}
        return self.post(command_body(command, text, **kwargs), FORM, **post_kwargs)

    def send_interaction(self, payload: dict[str, Any], **kwargs: Any) -> HTTPResult:
        """Deliver an interactivity payload (block_actions, view_submission, ...)."""
        return self.post(interaction_body(payload), FORM, **kwargs)


def _lower(items: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in items}
