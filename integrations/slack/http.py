"""`POST /slack/events` on the HTTP edge: signature first, then shape checks, then bolt.

The signature (HMAC over the exact bytes, timestamp within 5 minutes) is checked before anything
parses the body, so a forged request costs one HMAC and has no effect. Only then is the body
parsed, to refuse what bolt would turn into a 500 (bad JSON, an `event` or `payload` that is not
an object). Bolt's sync app runs on the edge's bounded thread pool; it acks at once and hands the
slow work to the bot's answer pool. Unknown request types are acked with 200: a 404 makes Slack
retry for an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import BoltRequest, BoltResponse
from starlette.responses import Response

from integrations.slack.surface import SlackRuntime
from integrations.web import Edge, Endpoint, Inbound, Rejected

log = logging.getLogger("norcrin_bot.http")

EVENTS_PATH = "/slack/events"
MAX_CLOCK_SKEW = 300  # seconds, as Slack's own SDKs


def _check_shape(body: str, content_type: str) -> dict[str, Any] | None:
    """Raise Rejected(400) for bodies bolt cannot take: bad JSON, non-object event/payload.
    Returns a JSON body's object (None for a form body)."""
    if content_type.startswith("application/json") or body.lstrip().startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            raise Rejected(400, "body is not valid JSON") from None
        if not isinstance(data, dict):
            raise Rejected(400, "body is not a JSON object")
        if data.get("type") == "event_callback" and not isinstance(data.get("event"), dict):
            raise Rejected(400, "`event` is not an object")
        return data
    try:
        form = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body),
                        max_num_fields=200)
    except ValueError:
        raise Rejected(400, "body is not a form") from None
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            raise Rejected(400, "`payload` is not valid JSON") from None
        if not isinstance(payload, dict):
            raise Rejected(400, "`payload` is not an object")
    return None


def valid_signature(secret: bytes, body: bytes, timestamp: str, signature: str) -> bool:
    """Slack's v0 signature over the raw bytes (any bytes: no decoding before it is checked),
    with the timestamp at most 5 minutes off."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
        return False
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


HandOff = Callable[[str, str, str], bool]  # (event id, content type, body) -> stored (not a retry)


def slack_endpoint(
    runtime: SlackRuntime, signing_secret: str, *, hand_off: HandOff | None = None
) -> Endpoint:
    """The handler for Slack's Events API, slash commands and interactivity.

    With `hand_off` (`serve --workers N`), Events API callbacks are stored durably for the answer
    processes and acked; nothing else about them runs here. Slash commands and interactions stay
    inline: their acks may have to carry a response (`response_action` errors) or open a view
    with a trigger that expires in 3 s.
    """
    secret = signing_secret.encode("utf-8")
    app = runtime.app

    async def handle(request: Inbound, edge: Edge) -> Response:
        if not valid_signature(
            secret,
            request.body,
            request.headers.get("x-slack-request-timestamp", ""),
            request.headers.get("x-slack-signature", ""),
        ):
            raise Rejected(401, "invalid or stale Slack signature")
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(400, "body is not UTF-8") from None
        content_type = request.headers.get("content-type", "")
        data = _check_shape(body, content_type)
        if hand_off is not None and data is not None and data.get("type") == "event_callback":
            event_id = data.get("event_id")
            if isinstance(event_id, str) and event_id:
                if not await edge.run_sync(hand_off, event_id, content_type, body):
                    log.info("event %s already in the inbox; retry acked", event_id[:40])
                return Response(b"", status_code=200)
        headers: dict[str, str | Sequence[str]] = {k: [v] for k, v in request.headers.items()}
        response: BoltResponse = await edge.run_sync(
            app.dispatch, BoltRequest(body=body, headers=headers)
        )
        status = response.status
        if status == 404:  # unhandled type: ack, or Slack retries it
            log.info("http %s: unhandled Slack request acked", request.path)
            status = 200
        return _to_response(status, response)

    return handle


def _to_response(status: int, response: BoltResponse) -> Response:
    body: Any = response.body
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    headers: dict[str, str] = {}
    media_type = "application/json"
    for name, values in (response.headers or {}).items():
        value = values[0] if isinstance(values, (list, tuple)) and values else values
        if name.lower() == "content-type":
            media_type = str(value)
        elif name.lower() != "content-length":
            headers[name] = str(value)
    return Response(raw, status_code=status, headers=headers, media_type=media_type)
