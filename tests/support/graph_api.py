"""A local stand-in for the parts of Microsoft Graph v1.0 the bot uses, plus Teams webhooks.

msgraph-sdk talks to it over real HTTP (see `tests/support/graph_client.py`), so kiota's retry
middleware, URL encoding and (de)serialisation run as in production. Faults can be queued per
method + path prefix, including "accept then fail", where the message is stored but the client
sees a 504: the case in which a transport retry would post twice.

sendMail with saveToSentItems keeps a copy, singleValueExtendedProperties included, in the user's
Sent Items. The folder is listed as Graph documents it for extended properties: `$filter` only in
the form `singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')` (Name in the id
case-sensitive, value not), any other filter 400; `$select`, `$top`; neither the properties nor the
internet headers come back (Graph does not return headers for Sent Items). `deny_mail_read(user)`
makes the listing answer 403 as for an app without Mail.Read.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from ._http import LocalHTTPServer, Request, Response, json_response

__all__ = ["FakeGraphAPI", "GraphRequest", "make_event"]

_JSON_CT = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)
_ERROR_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceNotAvailable",
    504: "GatewayTimeout",
}
# Windows zone names Graph uses in event.start.timeZone / Prefer headers.
_WINDOWS_ZONES = {
    "UTC": "UTC",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "GMT Standard Time": "Europe/London",
    "Central Europe Standard Time": "Europe/Budapest",
    "Pacific Standard Time": "America/Los_Angeles",
    "Eastern Standard Time": "America/New_York",
}
_GRAPH_DT = "%Y-%m-%dT%H:%M:%S.0000000"


@dataclass
class GraphRequest:
    """One request the fake received.

    `path` is URL-decoded and relative to /v1.0 for Graph calls (e.g.
    "/teams/T1/channels/19:a@thread.tacv2/messages"); webhook posts keep their full path
    ("/teams-webhook/<name>"). `fault` is "fail" or "accept_then_fail" when one was injected.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    at: float
    status: int = 0
    fault: str | None = None
    response: Any = None


@dataclass
class _Fault:
    method: str
    path_prefix: str
    status: int
    retry_after: int | float | str | None
    remaining: int
    accept: bool
    body: dict[str, Any] | str | None = None


def make_event(
    subject: str,
    start: datetime,
    end: datetime,
    *,
    time_zone: str = "UTC",
    **extra: Any,
) -> dict[str, Any]:
    """A Graph `event` dict from aware datetimes (expressed in `time_zone`)."""
    zone = _zone(time_zone)
    event: dict[str, Any] = {
        "subject": subject,
        "start": {"dateTime": start.astimezone(zone).strftime(_GRAPH_DT), "timeZone": time_zone},
        "end": {"dateTime": end.astimezone(zone).strftime(_GRAPH_DT), "timeZone": time_zone},
        "isAllDay": False,
        "isCancelled": False,
        "showAs": "busy",
    }
    event.update(extra)
    return event


class FakeGraphAPI(LocalHTTPServer):
    """Stand-in for `https://graph.microsoft.com/v1.0` on 127.0.0.1.

    With `require_auth=True`, Graph calls without `Authorization: Bearer ...` get 401.
    calendarView pages hold `page_size` events (Graph's default is 10) unless `$top` is given.
    """

    def __init__(self, *, page_size: int = 10, require_auth: bool = False, port: int = 0) -> None:
        super().__init__(port=port)
        self.page_size = page_size
        self.require_auth = require_auth
        self._sent_items: dict[str, list[dict[str, Any]]] = {}
        self._mail_read_denied: set[str] = set()
        self._requests: list[GraphRequest] = []
        self._faults: list[_Fault] = []
        self._messages: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._mails: list[dict[str, Any]] = []
        self._events: dict[str, list[dict[str, Any]]] = {}
        self._webhooks: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    # URLs ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Graph base URL for `adapter.base_url` (no trailing slash)."""
        return f"{self.root_url}/v1.0"

    def webhook_url(self, name: str = "default") -> str:
        """A stand-in Teams Workflows webhook URL; posts answer 202 and are kept."""
        return f"{self.root_url}/teams-webhook/{quote(name, safe='')}"

    # configuration -------------------------------------------------------------------------

    def add_event(self, user: str, event: dict[str, Any]) -> dict[str, Any]:
        """Put an event in `user`'s calendar (an id is added); returns the stored copy.

        `start`/`end` may be Graph dicts ({"dateTime", "timeZone"}) or aware datetimes.
        """
        stored = copy.deepcopy(event)
        for key in ("start", "end"):
            value = stored.get(key)
            if isinstance(value, datetime):
                stored[key] = {
                    "dateTime": value.astimezone(UTC).strftime(_GRAPH_DT),
                    "timeZone": "UTC",
                }
            _parse_graph_dt(stored[key])  # fail now, not inside a request
        stored.setdefault("id", f"AAMkAGI{next(self._ids):012d}=")
        stored.setdefault("subject", "")
        with self._lock:
            self._events.setdefault(user.lower(), []).append(stored)
        return copy.deepcopy(stored)

    def deny_mail_read(self, user: str) -> None:
        """Answer 403 to listings of `user`'s mail folders (the app lacks Mail.Read there)."""
        with self._lock:
            self._mail_read_denied.add(user.lower())

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        status: int = 429,
        retry_after: int | float | str | None = None,
        times: int = 1,
        body: dict[str, Any] | str | None = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` without processing them.

        `path_prefix` is matched against the decoded path relative to /v1.0 (or the full
        path if it starts with /v1.0 or /teams-webhook). A Graph error body is sent unless
        `body` is given.
        """
        self._add_fault(
            _Fault(method.upper(), path_prefix, status, retry_after, times, False, body)
        )

    def accept_then_fail(
        self,
        method: str,
        path_prefix: str,
        status: int = 504,
        retry_after: int | float | str | None = None,
        times: int = 1,
    ) -> None:
        """Process the next `times` matching requests (e.g. store the message) but answer
        `status`, as a gateway timeout after Teams accepted a post does."""
        self._add_fault(_Fault(method.upper(), path_prefix, status, retry_after, times, True))

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    # inspection ----------------------------------------------------------------------------

    def requests(
        self, method: str | None = None, path_prefix: str | None = None
    ) -> list[GraphRequest]:
        """Recorded requests, oldest first, filtered by method and/or path prefix."""
        with self._lock:
            return [r for r in self._requests if _matches(r.method, r.path, method, path_prefix)]

    def messages(self, team: str, channel: str) -> list[dict[str, Any]]:
        """Channel messages as stored now (top-level posts, with their `replies`)."""
        with self._lock:
            return copy.deepcopy(self._messages.get((team, channel), []))

    def mails(self, user: str | None = None) -> list[dict[str, Any]]:
        """Mails sent: dicts with user, message, saveToSentItems."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._mails
                if user is None or m["user"].lower() == user.lower()
            ]

    def sent_items(self, user: str) -> list[dict[str, Any]]:
        """`user`'s Sent Items as stored (extended properties, headers), oldest first."""
        with self._lock:
            return [
                {k: copy.deepcopy(v) for k, v in m.items() if not k.startswith("_")}
                for m in self._sent_items.get(user.lower(), [])
            ]

    def webhook_posts(self, name: str | None = None) -> list[dict[str, Any]]:
        """Payloads posted to webhook URLs: dicts with name and payload."""
        with self._lock:
            return [copy.deepcopy(w) for w in self._webhooks if name in (None, w["name"])]

    def wait_for(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[GraphRequest]:
        """Wait until `count` matching requests arrived; AssertionError lists what did."""

        def ready() -> list[GraphRequest] | None:
            got = self.requests(method, path_prefix)
            return got if len(got) >= count else None

        def describe() -> str:
            seen = [f"{r.method} {r.path} -> {r.status}" for r in self.requests()]
            return (
                f"expected {count} request(s) {method or '*'} {path_prefix or ''} within "
                f"{timeout}s, got {len(self.requests(method, path_prefix))}; all: {seen}"
            )

        result: list[GraphRequest] = self._wait_until(ready, timeout, describe)
        return result

    def clear(self) -> None:
        """Forget requests, stored messages, mails, events, webhook posts and faults."""
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._messages.clear()
            self._mails.clear()
            self._sent_items.clear()
            self._mail_read_denied.clear()
            self._events.clear()
            self._webhooks.clear()

    # request handling ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        full_path = request.path
        path = full_path[len("/v1.0") :] if full_path.startswith("/v1.0/") else full_path
        try:
            body = request.json()
        except ValueError:
            body = request.body.decode("utf-8", "replace")
        record = GraphRequest(
            method=request.method,
            path=path,
            query=request.query,
            json=body,
            headers=request.headers,
            at=time.time(),
        )
        fault = self._take_fault(request.method, path, full_path)
        if fault is not None and not fault.accept:
            resp = _fault_response(fault, request)
        else:
            resp = self._route(request, path, full_path, body)
            if fault is not None:
                resp = _fault_response(fault, request)
        record.status = resp.status
        record.fault = None if fault is None else ("accept_then_fail" if fault.accept else "fail")
        if resp.body and "json" in resp.headers.get("Content-Type", ""):
            record.response = json.loads(resp.body)
        resp.headers.setdefault("request-id", str(uuid.uuid4()))
        resp.headers["client-request-id"] = request.headers.get("client-request-id", "")
        with self._changed:
            self._requests.append(record)
            self._changed.notify_all()
        return resp

    def _take_fault(self, method: str, path: str, full_path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                target = (
                    full_path if fault.path_prefix.startswith(("/v1.0", "/teams-webhook")) else path
                )
                if fault.method == method and target.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _route(self, req: Request, path: str, full_path: str, body: Any) -> Response:
        parts = [p for p in path.split("/") if p]
        if full_path.startswith("/teams-webhook/") and req.method == "POST":
            with self._lock:
                self._webhooks.append(
                    {"name": parts[1] if len(parts) > 1 else "", "payload": body, "at": time.time()}
                )
            return Response(202)
        if not full_path.startswith("/v1.0/"):
            return _graph_error(404, f"Resource not found for the segment '{full_path}'.", req)
        if self.require_auth and not req.headers.get("authorization", "").startswith("Bearer "):
            return _graph_error(401, "Access token is empty.", req)

        for pattern, method, handler in _ROUTES:
            if method != req.method or len(pattern) != len(parts):
                continue
            args = []
            for want, got in zip(pattern, parts, strict=True):
                if want == "{}":
                    args.append(got)
                elif want.lower() != got.lower():
                    break
            else:
                with self._lock:
                    return handler(self, req, body, *args)
        segment = parts[-1] if parts else ""
        return _graph_error(404, f"Resource not found for the segment '{segment}'.", req)

    # Graph endpoints (called with the lock held) -------------------------------------------

    def _new_message(self, team: str, channel: str, body: Any, reply_to: str | None) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("body"), dict):
            return _graph_error(400, "Body of the message is required.", None)
        now = _now()
        msg_id = str(1_700_000_000_000 + next(self._ids))
        message: dict[str, Any] = {
            "id": msg_id,
            "replyToId": reply_to,
            "etag": msg_id,
            "messageType": "message",
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "lastEditedDateTime": None,
            "deletedDateTime": None,
            "subject": body.get("subject"),
            "summary": body.get("summary"),
            "chatId": None,
            "importance": body.get("importance", "normal"),
            "locale": "en-us",
            "webUrl": (
                f"https://teams.microsoft.com/l/message/{quote(channel, safe='')}/{msg_id}"
                f"?groupId={team}&parentMessageId={reply_to or msg_id}"
            ),
            "policyViolation": None,
            "eventDetail": None,
            "from": {
                "application": None,
                "device": None,
                "user": {
                    "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                    "id": "00000000-0000-0000-0000-0000000b0701",
                    "displayName": "NorCRIN Bot",
                    "userIdentityType": "aadUser",
                },
            },
            "body": copy.deepcopy(body["body"]),
            "channelIdentity": {"teamId": team, "channelId": channel},
            "attachments": copy.deepcopy(body.get("attachments", [])),
            "mentions": copy.deepcopy(body.get("mentions", [])),
            "reactions": [],
        }
        context = f"{self.base_url}/$metadata#teams('{team}')/channels('{channel}')/messages"
        if reply_to is None:
            message["replies"] = []
            self._messages.setdefault((team, channel), []).append(message)
        else:
            parent = self._find(team, channel, reply_to)
            if parent is None:
                return _graph_error(404, f"Message {reply_to} not found.", None)
            parent["replies"].append(message)
            context += f"('{reply_to}')/replies"
        out = {k: v for k, v in message.items() if k != "replies"}
        return json_response(
            {"@odata.context": context + "/$entity", **out}, 201, {"Content-Type": _JSON_CT}
        )

    def _find(self, team: str, channel: str, msg_id: str) -> dict[str, Any] | None:
        for message in self._messages.get((team, channel), []):
            if message["id"] == msg_id:
                return message
        return None

    def _post_message(self, req: Request, body: Any, team: str, channel: str) -> Response:
        return self._new_message(team, channel, body, None)

    def _post_reply(self, req: Request, body: Any, team: str, channel: str, mid: str) -> Response:
        return self._new_message(team, channel, body, mid)

    def _list_messages(self, req: Request, body: Any, team: str, channel: str) -> Response:
        value = [
            {k: v for k, v in m.items() if k != "replies"}
            for m in self._messages.get((team, channel), [])
        ]
        return json_response({"value": value}, headers={"Content-Type": _JSON_CT})

    def _get_message(self, req: Request, body: Any, team: str, channel: str, mid: str) -> Response:
        message = self._find(team, channel, mid)
        if message is None:
            return _graph_error(404, f"Message {mid} not found.", req)
        out = {k: v for k, v in message.items() if k != "replies"}
        return json_response(out, headers={"Content-Type": _JSON_CT})

    def _patch_message(
        self, req: Request, body: Any, team: str, channel: str, mid: str
    ) -> Response:
        message = self._find(team, channel, mid)
        if message is None:
            return _graph_error(404, f"Message {mid} not found.", req)
        if not isinstance(body, dict):
            return _graph_error(400, "A JSON body is required.", req)
        for key, value in body.items():
            if key not in ("id", "createdDateTime", "replies"):
                message[key] = copy.deepcopy(value)
        now = _now()
        message["lastModifiedDateTime"] = now
        message["lastEditedDateTime"] = now
        return Response(204)

    def _send_mail(self, req: Request, body: Any, user: str) -> Response:
        # Action parameter names are case-insensitive: msgraph-sdk sends "Message" and
        # "SaveToSentItems", the docs show camelCase.
        params = {k.lower(): v for k, v in body.items()} if isinstance(body, dict) else {}
        message = params.get("message")
        if not isinstance(message, dict):
            return _graph_error(400, "Required property 'message' is missing.", req)
        for header in message.get("internetMessageHeaders") or []:
            name = str(header.get("name") or "") if isinstance(header, dict) else ""
            if not name.lower().startswith("x-"):
                return _graph_error(
                    400,
                    f"The internet message header name '{name}' should start with 'x-' or 'X-'.",
                    req,
                    code="InvalidInternetMessageHeader",
                )
        for prop in message.get("singleValueExtendedProperties") or []:
            prop_id = str(prop.get("id") or "") if isinstance(prop, dict) else ""
            if not _PROPERTY_ID.match(prop_id):
                return _graph_error(400, f"The extended property id '{prop_id}' is not valid.",
                                    req, code="ErrorInvalidProperty")
        save = params.get("savetosentitems", True)
        self._mails.append(
            {
                "user": user,
                "message": copy.deepcopy(message),
                "saveToSentItems": save,
                "at": time.time(),
            }
        )
        if save not in (False, "false", "False"):
            self._store_sent(user, message, datetime.now(UTC))
        return Response(202)

    def _store_sent(self, user: str, message: dict[str, Any], sent_at: datetime) -> dict[str, Any]:
        stamp = sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        msg_id = f"AAMkAGSent{next(self._ids):012d}="
        stored: dict[str, Any] = {
            "id": msg_id,
            "createdDateTime": stamp,
            "lastModifiedDateTime": stamp,
            "sentDateTime": stamp,
            "receivedDateTime": stamp,
            "subject": message.get("subject", ""),
            "bodyPreview": _TAG.sub("", str((message.get("body") or {}).get("content", "")))[:255],
            "body": copy.deepcopy(message.get("body") or {"contentType": "text", "content": ""}),
            "from": {"emailAddress": {"address": user}},
            "sender": {"emailAddress": {"address": user}},
            "toRecipients": copy.deepcopy(message.get("toRecipients") or []),
            "ccRecipients": copy.deepcopy(message.get("ccRecipients") or []),
            "bccRecipients": copy.deepcopy(message.get("bccRecipients") or []),
            "isDraft": False,
            "isRead": True,
            "parentFolderId": "sentitems",
            "internetMessageId": f"<{msg_id}@fake.graph>",
            "internetMessageHeaders": [
                {"name": "Message-ID", "value": f"<{msg_id}@fake.graph>"},
                {"name": "Subject", "value": message.get("subject", "")},
                *copy.deepcopy(message.get("internetMessageHeaders") or []),
            ],
            "singleValueExtendedProperties": copy.deepcopy(
                message.get("singleValueExtendedProperties") or []),
            "_sent_at": sent_at.astimezone(UTC),
        }
        self._sent_items.setdefault(user.lower(), []).append(stored)
        return {k: v for k, v in stored.items() if not k.startswith("_")}

    def _folder_messages(self, req: Request, body: Any, user: str, folder: str) -> Response:
        if user.lower() in self._mail_read_denied:
            return _graph_error(403, "Access is denied. Check credentials and try again.", req,
                                code="ErrorAccessDenied")
        if folder.lower() != "sentitems":
            return _graph_error(404, "The specified folder could not be found in the store.",
                                req, code="ErrorItemNotFound")
        query = {k.lower(): v for k, v in req.query.items()}
        try:
            keep = _property_filter(query.get("$filter", ""))
        except ValueError as exc:
            return _graph_error(400, str(exc), req, code="BadRequest")
        hits = [m for m in self._sent_items.get(user.lower(), [])
                if keep(m["singleValueExtendedProperties"])]
        hits.sort(key=lambda m: m["_sent_at"], reverse=True)  # newest first, as Graph lists
        selected = {s.strip().lower() for s in query.get("$select", "").split(",") if s.strip()}
        page = []
        for message in hits[: int(query.get("$top") or self.page_size)]:
            visible = {k: v for k, v in message.items() if not k.startswith("_")
                       and k not in ("internetMessageHeaders", "singleValueExtendedProperties")}
            if selected:  # $select names what comes back (plus id)
                visible = {k: v for k, v in visible.items() if k.lower() in selected | {"id"}}
            page.append({"@odata.etag": f'W/"{message["id"]}"', **visible})
        return json_response({
            "@odata.context": f"{self.base_url}/$metadata#users('{user}')/mailFolders"
                              f"('{folder}')/messages",
            "value": page,
        }, headers={"Content-Type": _JSON_CT})

    def _calendar_view(self, req: Request, body: Any, user: str) -> Response:
        query = {k.lower(): v for k, v in req.query.items()}
        try:
            window_start = _parse_query_dt(query["startdatetime"])
            window_end = _parse_query_dt(query["enddatetime"])
        except KeyError:
            return _graph_error(
                400,
                "This request requires a time window specified by the query string "
                "parameters StartDateTime and EndDateTime.",
                req,
                code="ErrorInvalidParameter",
            )
        except ValueError as exc:
            return _graph_error(400, str(exc), req, code="ErrorInvalidParameter")

        prefer = _prefer_timezone(req.headers.get("prefer", ""))
        try:
            out_zone = _zone(prefer or "UTC")
        except KeyError:
            return _graph_error(
                400, f"Unknown time zone {prefer!r}.", req, code="ErrorTimeZoneNotSupported"
            )
        hits = []
        for event in self._events.get(user.lower(), []):
            start, end = _parse_graph_dt(event["start"]), _parse_graph_dt(event["end"])
            overlaps = start < window_end and (end > window_start or start == end >= window_start)
            if overlaps:
                hits.append((start, end, event))
        hits.sort(key=lambda hit: hit[0])

        size = int(query.get("$top") or self.page_size)
        skip = int(query.get("$skip") or 0)
        selected = [s.strip() for s in query.get("$select", "").split(",") if s.strip()]
        page = []
        for start, end, event in hits[skip : skip + size]:
            item = copy.deepcopy(event)
            item["start"] = {
                "dateTime": start.astimezone(out_zone).strftime(_GRAPH_DT),
                "timeZone": prefer or "UTC",
            }
            item["end"] = {
                "dateTime": end.astimezone(out_zone).strftime(_GRAPH_DT),
                "timeZone": prefer or "UTC",
            }
            if selected:
                item = {k: v for k, v in item.items() if k in selected or k == "id"}
            page.append(item)

        payload: dict[str, Any] = {
            "@odata.context": f"{self.base_url}/$metadata#users('{user}')/calendarView",
            "value": page,
        }
        if skip + size < len(hits):
            next_query = {k: v for k, v in req.query.items() if k.lower() != "$skip"}
            next_query["$skip"] = str(skip + size)
            payload["@odata.nextLink"] = (
                f"{self.base_url}{quote(req.path[len('/v1.0') :])}?"
                + urlencode(next_query, safe="$:")
            )
        headers = {"Content-Type": _JSON_CT}
        if prefer:
            headers["Preference-Applied"] = f'outlook.timezone="{prefer}"'
        return json_response(payload, headers=headers)


_Route = tuple[tuple[str, ...], str, Callable[..., Response]]
_ROUTES: list[_Route] = [
    (("teams", "{}", "channels", "{}", "messages"), "POST", FakeGraphAPI._post_message),
    (("teams", "{}", "channels", "{}", "messages"), "GET", FakeGraphAPI._list_messages),
    (("teams", "{}", "channels", "{}", "messages", "{}"), "GET", FakeGraphAPI._get_message),
    (("teams", "{}", "channels", "{}", "messages", "{}"), "PATCH", FakeGraphAPI._patch_message),
    (
        ("teams", "{}", "channels", "{}", "messages", "{}", "replies"),
        "POST",
        FakeGraphAPI._post_reply,
    ),
    (("users", "{}", "sendMail"), "POST", FakeGraphAPI._send_mail),
    (("users", "{}", "mailFolders", "{}", "messages"), "GET", FakeGraphAPI._folder_messages),
    (("users", "{}", "calendar", "calendarView"), "GET", FakeGraphAPI._calendar_view),
    (("users", "{}", "calendarView"), "GET", FakeGraphAPI._calendar_view),
]


_TAG = re.compile(r"<[^>]+>")
_GUID = r"\{[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}"
# The documented id forms: "{type} {guid} Name {name}", "{type} {guid} Id {id}", "{type} {tag}"
_PROPERTY_ID = re.compile(
    rf"^[A-Za-z]+ (?:{_GUID} Name \S+|{_GUID} Id 0x[0-9A-Fa-f]{{1,4}}|0x[0-9A-Fa-f]{{4,8}})$")
_PROPERTY_FILTER = re.compile(
    r"^\s*singleValueExtendedProperties/any\((\w+):\s*(\w+)/id eq '([^']*)'"
    r" and (\w+)/value eq '([^']*)'\)\s*$",
    re.IGNORECASE,
)


def _property_filter(expression: str) -> Callable[[list[dict[str, Any]]], bool]:
    """The documented filter on a string extended property, `…/Any(ep: ep/id eq '<id>' and
    ep/value eq '<value>')`, as a test of a message's properties; no filter keeps all; 400 else."""
    if not expression.strip():
        return lambda _props: True
    match = _PROPERTY_FILTER.match(expression)
    if match is None or not match.group(1) == match.group(2) == match.group(4):
        raise ValueError(f"Invalid filter clause: {expression!r} (the fake knows "
                         "singleValueExtendedProperties/Any(ep: ep/id eq … and ep/value eq …)).")
    wanted_id, wanted_value = match.group(3), match.group(5)
    if not _PROPERTY_ID.match(wanted_id):
        raise ValueError(f"The extended property id '{wanted_id}' is not valid.")

    def keep(props: list[dict[str, Any]]) -> bool:
        # The type and GUID compare as Exchange resolves them (case-insensitively); Name exactly.
        return any(_same_property(str(p.get("id", "")), wanted_id)
                   and str(p.get("value", "")).lower() == wanted_value.lower() for p in props)

    return keep


def _same_property(stored: str, wanted: str) -> bool:
    head_stored, _, name_stored = stored.partition(" Name ")
    head_wanted, _, name_wanted = wanted.partition(" Name ")
    return head_stored.lower() == head_wanted.lower() and name_stored == name_wanted


def _matches(method: str, path: str, want_method: str | None, want_prefix: str | None) -> bool:
    if want_method is not None and method != want_method.upper():
        return False
    if want_prefix is not None:
        target = "/v1.0" + path if want_prefix.startswith("/v1.0") else path
        return target.startswith(want_prefix)
    return True


def _graph_error(
    status: int, message: str, req: Request | None, code: str | None = None
) -> Response:
    body = {
        "error": {
            "code": code or _ERROR_CODES.get(status, "UnknownError"),
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": req.headers.get("client-request-id", "") if req else "",
            },
        }
    }
    return json_response(body, status, {"Content-Type": _JSON_CT})


def _fault_response(fault: _Fault, req: Request) -> Response:
    if isinstance(fault.body, str):
        resp = Response(fault.status, fault.body.encode(), {"Content-Type": "text/html"})
    elif isinstance(fault.body, dict):
        resp = json_response(fault.body, fault.status)
    else:
        resp = _graph_error(fault.status, f"Injected {fault.status} by FakeGraphAPI.", req)
    if fault.retry_after is not None:
        resp.headers["Retry-After"] = str(fault.retry_after)
    return resp


def _now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _zone(name: str) -> ZoneInfo:
    """ZoneInfo for an IANA or (common) Windows zone name; KeyError if unknown."""
    try:
        return ZoneInfo(_WINDOWS_ZONES.get(name, name))
    except (ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise KeyError(name) from exc


def _parse_iso(value: str) -> datetime:
    text = value.strip().replace(" ", "+")  # a '+' in an unencoded query arrives as ' '
    if "." in text:  # Graph sends 7 fractional digits; Python takes at most 6
        head, _, tail = text.partition(".")
        digits = "".join(itertools.takewhile(str.isdigit, tail))
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits) :]}"
    return datetime.fromisoformat(text)


def _parse_query_dt(value: str) -> datetime:
    try:
        parsed = _parse_iso(value)
    except ValueError as exc:
        raise ValueError(f"Invalid value for dateTime: {value!r}.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # no offset = UTC


def _parse_graph_dt(value: dict[str, Any]) -> datetime:
    parsed = _parse_iso(value["dateTime"])
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(value.get("timeZone") or "UTC"))
    return parsed.astimezone(UTC)


def _prefer_timezone(prefer: str) -> str | None:
    for item in prefer.split(","):
        key, _, value = item.strip().partition("=")
        if key.strip().lower() == "outlook.timezone":
            return value.strip().strip('"')
    return None
