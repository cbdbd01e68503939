"""A local stand-in for the Slack Web API and for response_url endpoints.

Point `slack_sdk.WebClient(token="xoxb-...", base_url=fake.base_url)` (or a Bolt `App(client=...)`)
at it. Every request is recorded as a `SlackCall`, answers are shaped like Slack's, and faults
(429 with Retry-After, 5xx with an HTML page, `ok: false` errors, slow answers) can be queued
per method so rate-limit and retry paths are testable without the internet.
"""

from __future__ import annotations

import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from ._http import LocalHTTPServer, Request, Response, json_response

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "FakeSlackAPI",
    "SlackCall",
]

TEAM_ID = "T0001"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0001"
APP_ID = "A0001"
TEAM_DOMAIN = "norcrin-test"

# Form fields that slack_sdk (and Slack) carry as JSON text inside a form-encoded body.
_JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks", "options"}
)
# Methods Slack serves without a bot token.
_NO_AUTH_METHODS = frozenset({"api.test", "oauth.access", "oauth.v2.access", "oauth.v2.exchange"})

_DEFAULT_5XX_HTML = (
    "<!DOCTYPE html><html><head><title>Slack is having trouble</title></head>"
    "<body><h1>{status}</h1><p>Something went wrong on Slack's end.</p></body></html>"
)

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class SlackCall:
    """One request the fake received.

    `status` is the HTTP status answered (not 200 when a fault was injected), `response` the
    JSON answered (None for injected non-JSON bodies), `path` the URL path (tells response_url
    posts apart). `headers` lookups ignore case.
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int = 200
    response: Any = None
    path: str = ""


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: int | float | None = None
    body: bytes | str | dict[str, Any] | None = None
    error: str | None = None
    delay: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    accepted: bool = False  # the call takes effect (a message is posted), then the error answers


class FakeSlackAPI(LocalHTTPServer):
    """Stand-in for `https://slack.com/api/` plus response_url hooks, on 127.0.0.1.

    Auth is checked the way Slack does it: no token at all answers `not_authed`, a token
    without an accepted prefix answers `invalid_auth` (both HTTP 200 with `ok: false`).
    """

    def __init__(
        self,
        *,
        token_prefixes: tuple[str, ...] = ("xoxb-",),
        users: dict[str, dict[str, Any]] | None = None,
        port: int = 0,
        real_timestamps: bool = False,
    ) -> None:
        super().__init__(port=port)
        # Message ts from the wall clock (as Slack's), for tests that read history by time;
        # the default keeps the deterministic 1700000000.000100, .000200, ...
        self.real_timestamps = real_timestamps
        self._last_micros = 0
        self.token_prefixes = token_prefixes
        # user id -> partial user object, deep-merged over a generic user by users.info.
        self.users: dict[str, dict[str, Any]] = dict(users or {})
        self._calls: list[SlackCall] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._overrides: dict[str, dict[str, Any] | Handler] = {}
        # method -> callback run after a call was answered, before the response is sent
        self._after: dict[str, Callable[[SlackCall], None]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ts_counter = itertools.count(1)
        self._view_counter = itertools.count(1)

    # URLs ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Web API base URL for `WebClient(base_url=...)`, with the trailing slash."""
        return f"{self.root_url}/api/"

    def response_url(self, name: str = "default") -> str:
        """A response_url for payload builders; posts to it are recorded as "response_url"."""
        return f"{self.root_url}/response/{name}"

    # configuration -------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        email: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Register a user for users.info / users.lookupByEmail; returns the full user object."""
        partial: dict[str, Any] = dict(extra)
        profile = dict(partial.pop("profile", {}))
        if name is not None:
            partial["name"] = name
        if real_name is not None:
            partial["real_name"] = real_name
            profile.setdefault("real_name", real_name)
            profile.setdefault("display_name", real_name)
        if email is not None:
            profile["email"] = email
        partial["profile"] = profile
        with self._lock:
            self.users[user_id] = partial
        return self._user(user_id)

    def add_message(
        self, channel: str, text: str, *, user: str, ts: str | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """A message a person wrote (an event's question), so history and threads hold it as
        on Slack; returns it (ts from the fake's clock unless given)."""
        with self._lock:
            ts = ts or self._next_ts()
            message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts,
                                       "team": TEAM_ID}
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            self._messages[(channel, ts)] = message
            return copy.deepcopy(message)

    def set_response(self, method: str, response: dict[str, Any] | Handler) -> None:
        """Replace the canned answer for `method` (a dict, or a function of the params)."""
        with self._lock:
            self._overrides[method] = response

    def after_call(self, method: str, callback: Callable[[SlackCall], None]) -> None:
        """Run `callback(call)` once `method` has been answered, before the caller hears back
        (e.g. cut the database while a post is on its way back to the worker)."""
        with self._lock:
            self._after[method] = callback

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | float | None = 1,
        times: int = 1,
        body: bytes | str | dict[str, Any] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with HTTP `status`.

        429 carries `Retry-After` (unless `retry_after` is None) and Slack's `ratelimited` JSON;
        5xx answers an HTML page unless `body` is given (a dict is sent as JSON).
        """
        self._add_fault(
            method, _Fault(status=status, remaining=times, retry_after=retry_after, body=body)
        )

    def accept_then_fail(self, method: str, status: int = 500, times: int = 1) -> None:
        """Carry out the next `times` calls of `method` (a chat.postMessage is posted), then
        answer HTTP `status` anyway: a failure whose outcome the caller cannot know."""
        self._add_fault(method, _Fault(status=status, remaining=times, accepted=True))

    def error_next(self, method: str, error: str, times: int = 1, **extra: Any) -> None:
        """Answer the next `times` calls with HTTP 200 `{"ok": false, "error": error, **extra}`."""
        self._add_fault(method, _Fault(status=200, remaining=times, error=error, extra=extra))

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` calls normally, but only after `seconds` (slow Slack)."""
        self._add_fault(method, _Fault(status=200, remaining=times, delay=seconds))

    def _add_fault(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    # inspection ----------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[SlackCall]:
        """Recorded calls, oldest first, optionally only those of one method."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages as they stand now (posted, then updated/deleted), oldest first."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for (ch, _), m in self._messages.items()
                if channel is None or ch == channel
            ]

    def wait_for(self, method: str | None, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Wait until at least `count` calls of `method` arrived (lazy listeners run on threads).

        Raises AssertionError listing what was received when the timeout passes.
        """

        def ready() -> list[SlackCall] | None:
            got = self.calls(method)
            return got if len(got) >= count else None

        def describe() -> str:
            seen = [f"{c.method}({c.status})" for c in self.calls()]
            return (
                f"expected {count} call(s) of {method!r} within {timeout}s, "
                f"got {len(self.calls(method))}; all calls: {seen}"
            )

        result: list[SlackCall] = self._wait_until(ready, timeout, describe)
        return result

    def clear(self) -> None:
        """Forget calls, messages, pending faults and overrides (users are kept)."""
        with self._lock:
            self._calls.clear()
            self._messages.clear()
            self._faults.clear()
            self._overrides.clear()

    # request handling ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        params = _parse_params(request)
        if request.path.startswith("/response/"):
            method = "response_url"
        elif request.path.startswith("/api/"):
            method = request.path[len("/api/") :].strip("/")
        else:
            return self._record(
                "unknown", params, request, json_response({"ok": False, "error": "not_found"}, 404)
            )

        fault = self._take_fault(method)
        if fault is not None and (fault.status != 200 or fault.error) and not fault.accepted:
            return self._record(method, params, request, _fault_response(fault))

        if method == "response_url":
            resp = json_response({"ok": True})
        else:
            auth_error = self._auth_error(request, params)
            if auth_error:
                resp = json_response({"ok": False, "error": auth_error})
            else:
                resp = json_response(self._answer(method, params))
        if fault is not None and fault.accepted:
            resp = _fault_response(fault)
        elif fault is not None:
            resp.delay = fault.delay
        return self._record(method, params, request, resp)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def _record(
        self, method: str, params: dict[str, Any], req: Request, resp: Response
    ) -> Response:
        try:
            answered = json.loads(resp.body) if resp.body else None
        except ValueError:
            answered = None
        call = SlackCall(
            method=method,
            params=params,
            headers=req.headers,
            at=time.time(),
            status=resp.status,
            response=answered,
            path=req.path,
        )
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
        with self._lock:
            after = self._after.get(method)
        if after is not None:
            after(call)
        return resp

    def _auth_error(self, req: Request, params: dict[str, Any]) -> str | None:
        if req.path.removeprefix("/api/") in _NO_AUTH_METHODS:
            return None
        auth = req.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        token = token or str(params.get("token") or "")
        if not token:
            return "not_authed"
        if not token.startswith(self.token_prefixes):
            return "invalid_auth"
        return None

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            override = self._overrides.get(method)
        if override is not None:
            return override(params) if callable(override) else copy.deepcopy(override)
        handler = _HANDLERS.get(method)
        if handler is None:
            return {"ok": True}
        with self._lock:
            return handler(self, params)

    # Web API methods (called with the lock held) -------------------------------------------

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_100 + (next(self._ts_counter) - 1) * 100
        if self.real_timestamps:
            micros = max(int(time.time() * 1_000_000), self._last_micros + 100)
            self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _user(self, user_id: str) -> dict[str, Any]:
        generic: dict[str, Any] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "deleted": False,
            "is_bot": False,
            "is_admin": False,
            "tz": "Europe/Oslo",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "profile": {
                "email": f"{user_id.lower()}@example.org",
                "real_name": f"User {user_id}",
                "display_name": user_id.lower(),
            },
        }
        merged = _deep_merge(generic, self.users.get(user_id, {}))
        merged["profile"].setdefault("real_name", merged["real_name"])
        return merged

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "NorCRIN Test",
            "user": "norcrin",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _bots_info(self, params: dict[str, Any]) -> dict[str, Any]:
        bot = {
            "id": BOT_ID,
            "app_id": APP_ID,
            "user_id": BOT_USER_ID,
            "name": "norcrin",
            "deleted": False,
        }
        return {"ok": True, "bot": bot}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            return {"ok": False, "error": "no_text"}
        if channel[0] in "UW":  # posting to a user id lands in the DM with them
            channel = "D" + channel
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "text": params.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
            "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "norcrin", "team_id": TEAM_ID},
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if params.get(key) is not None:
                message[key] = params[key]
        if "thread_ts" in message:
            message["parent_user_id"] = BOT_USER_ID
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        # Lenient: tests often update a message Slack "posted" in a hand-built payload.
        message = self._messages.setdefault(
            (channel, ts), {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
        )
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if self._messages.pop((channel, ts), None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        channel_id = "D" + users[0] if len(users) == 1 else "G" + "".join(users)[:10]
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": channel_id}}

    def _view(self, params: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view = params.get("view")
        view = dict(view) if isinstance(view, dict) else {}
        view_id = view_id or f"V{next(self._view_counter):010d}"
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view.get("type", "modal"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view.get("title"),
            "clear_on_close": view.get("clear_on_close", False),
            "notify_on_close": view.get("notify_on_close", False),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": view.get("external_id", params.get("external_id", "")),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not (params.get("trigger_id") or params.get("interactivity_pointer")):
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(params.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": self._view(params)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        if not (params.get("view_id") or params.get("external_id")):
            return {"ok": False, "error": "invalid_arguments"}
        view_id = str(params.get("view_id") or f"V{next(self._view_counter):010d}")
        return {"ok": True, "view": self._view(params, view_id)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        view = self._view(params)
        view["type"] = "home"
        return {"ok": True, "view": view}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user(user_id)}

    def _lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = str(params.get("email") or "").lower()
        for user_id in self.users:
            user = self._user(user_id)
            if str(user["profile"].get("email", "")).lower() == wanted:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: top-level messages newest first, `oldest`/`latest` exclusive,
        cursor paging; message metadata only with include_all_metadata, as on Slack."""
        channel = str(params.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or 1e12)
        limit = max(1, min(int(params.get("limit") or 100), 999))
        start = int(params.get("cursor") or 0)
        with_metadata = _flag(params.get("include_all_metadata"))
        found = sorted(
            (m for (c, ts), m in self._messages.items()
             if c == channel and oldest < float(ts) < latest
             and m.get("thread_ts") in (None, m["ts"])),
            key=lambda m: float(m["ts"]), reverse=True,
        )
        page = [copy.deepcopy(m) for m in found[start:start + limit]]
        if not with_metadata:
            for m in page:
                m.pop("metadata", None)
        more = start + limit < len(found)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: a thread (its parent, then the replies, oldest first) named by
        the ts of any of its messages; `oldest`/`latest` exclusive unless `inclusive`; cursor
        paging (limit 1000 at most); message metadata only with include_all_metadata."""
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        named = self._messages.get((channel, ts))
        if named is None:
            return {"ok": False, "error": "thread_not_found"}
        root = str(named.get("thread_ts") or ts)
        inclusive = _flag(params.get("inclusive"))
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or 1e12)

        def in_range(stamp: float) -> bool:
            if inclusive:
                return oldest <= stamp <= latest
            return oldest < stamp < latest

        found = sorted(
            (m for (c, stamp), m in self._messages.items()
             if c == channel and (stamp == root or m.get("thread_ts") == root)
             and in_range(float(stamp))),
            key=lambda m: float(m["ts"]),
        )
        limit = max(1, min(int(params.get("limit") or 1000), 1000))
        start = int(params.get("cursor") or 0)
        page = [copy.deepcopy(m) for m in found[start:start + limit]]
        if not _flag(params.get("include_all_metadata")):
            for m in page:
                m.pop("metadata", None)
        more = start + limit < len(found)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("name"):
            return {"ok": False, "error": "invalid_name"}
        if not (params.get("channel") and params.get("timestamp")):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True}


_HANDLERS: dict[str, Callable[[FakeSlackAPI, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlackAPI._auth_test,
    "bots.info": FakeSlackAPI._bots_info,
    "chat.postMessage": FakeSlackAPI._post_message,
    "chat.update": FakeSlackAPI._update,
    "chat.delete": FakeSlackAPI._delete,
    "chat.postEphemeral": FakeSlackAPI._post_ephemeral,
    "conversations.open": FakeSlackAPI._conversations_open,
    "conversations.history": FakeSlackAPI._history,
    "conversations.replies": FakeSlackAPI._replies,
    "views.open": FakeSlackAPI._views_open,
    "views.push": FakeSlackAPI._views_open,
    "views.update": FakeSlackAPI._views_update,
    "views.publish": FakeSlackAPI._views_publish,
    "users.info": FakeSlackAPI._users_info,
    "users.lookupByEmail": FakeSlackAPI._lookup_by_email,
    "reactions.add": FakeSlackAPI._reactions_add,
}


def _flag(value: Any) -> bool:
    """A boolean argument as Slack reads it (slack_sdk sends "1", JSON bodies true)."""
    return str(value).lower() in ("1", "true")


def _fault_response(fault: _Fault) -> Response:
    if fault.error:
        return json_response({"ok": False, "error": fault.error, **fault.extra})
    headers: dict[str, str] = {}
    if fault.status == 429 and fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    body = fault.body
    if body is None:
        if fault.status == 429:
            body = {"ok": False, "error": "ratelimited"}
        else:
            body = _DEFAULT_5XX_HTML.format(status=fault.status)
    if isinstance(body, dict):
        return json_response(body, fault.status, headers)
    raw = body.encode() if isinstance(body, str) else body
    looks_json = raw.lstrip()[:1] in (b"{", b"[")
    headers["Content-Type"] = (
        "application/json; charset=utf-8" if looks_json else "text/html; charset=utf-8"
    )
    return Response(fault.status, raw, headers)


def _parse_params(req: Request) -> dict[str, Any]:
    """Merge query-string and body parameters the way Slack reads them."""
    params: dict[str, Any] = dict(req.query)
    ctype = req.headers.get("content-type", "").lower()
    if "application/json" in ctype:
        data = req.json()
        if isinstance(data, dict):
            params.update(data)
        elif data is not None:
            params["_json"] = data
    elif "multipart/form-data" in ctype:
        params.update(_parse_multipart(req.headers["content-type"], req.body))
    elif req.body:
        params.update(parse_qsl(req.body.decode("utf-8"), keep_blank_values=True))
    for key in _JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):  # else leave it; Slack says invalid_blocks
                params[key] = json.loads(value)
    # response_url / interactivity bodies: payload=<json>
    if isinstance(params.get("payload"), str):
        with contextlib.suppress(ValueError):
            params["payload"] = json.loads(params["payload"])
    return params


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if part.get_filename():
            fields[name] = payload
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
