"""The Teams bot: `POST /api/messages` on our HTTP edge, the Teams SDK's App behind it.

Order of work for each request, so a bad one costs little and has no effect: the edge's framing
checks; the bearer token (`integrations.teams.auth`: signature, issuer, audience, expiry,
serviceurl = the activity's serviceUrl) → 401; the tenant (single-tenant by default) → 403; the
activity id claimed in `processed_events` (a redelivery is acked and dropped, across replicas);
then the SDK's activity pipeline (`App.server.on_request`) routes it to the handlers below.

Messages are acked at once and answered in the background (the bot's work runs on a bounded
thread pool; the SDK sends the reply to the activity's serviceUrl, in the channel thread when the
question was asked in one). Card buttons are `Action.Execute` invokes, answered in the response
(the card refreshed in place). Interactive sends retry 429/503 after Retry-After (never a 500:
Teams may have posted it already); queued posts retry in the outbox loop instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
import httpx
from microsoft_teams.api.activities import MessageActivityInput
from microsoft_teams.api.auth.json_web_token import JsonWebToken
from microsoft_teams.apps import App
from microsoft_teams.apps.events import ActivityEvent, CoreActivity
from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from bot.config import TeamsSettings
from bot.core import Bot
from bot.replies import Person, Reply
from integrations.send_errors import parse_retry_after
from integrations.teams.auth import AuthError, ConnectorTokens, InboundAuth
from integrations.teams.cards import CARD_TYPE, message_activity
from integrations.web import Edge, Endpoint, Inbound, Rejected
from storage.claims import claim_event

log = logging.getLogger("norcrin_bot.teams")

MESSAGES_PATH = "/api/messages"
CLAIMED_TYPES = frozenset({"message", "invoke", "conversationUpdate", "installationUpdate"})
RETRY_STATUSES = frozenset({429, 503})  # the service says it did not take the request
MAX_TRIES = 3
MAX_WAIT = 30.0


class EdgeAdapter:
    """The SDK's HttpServerAdapter for our edge: the edge owns the route and checks the token
    itself (the SDK's route handler would re-check with a derived keys URL), so the route the
    SDK registers is only recorded."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Any] = {}

    def register_route(self, method: str, path: str, handler: Any) -> None:
        self.routes[(method, path)] = handler

    def serve_static(self, path: str, directory: str) -> None:
        """No static files: the bot serves no tabs."""

    async def start(self, port: int) -> None:
        raise NotImplementedError("the HTTP edge (integrations.web) runs the server")

    async def stop(self) -> None:
        """The edge stops the server."""


class RetryMiddleware:
    """SDK HTTP middleware: a 429/503 waits for Retry-After (capped) and tries again, at most
    three tries; anything else fails at once, so nothing is ever posted twice."""

    async def send(self, context: Any, next: Callable[[], Awaitable[httpx.Response]]
                   ) -> httpx.Response:
        for attempt in range(1, MAX_TRIES + 1):
            try:
                return await next()
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if status not in RETRY_STATUSES or attempt == MAX_TRIES:
                    raise
                wait = parse_retry_after(exc.response.headers.get("retry-after"))
                wait = min(MAX_WAIT, wait if wait is not None else 2.0 ** attempt)
                log.warning("teams %s %s: %d; again in %.1f s", context.method,
                            _path(context.url), status, wait)
                await asyncio.sleep(wait)
            except httpx.ConnectError:
                if attempt == MAX_TRIES:
                    raise
                await asyncio.sleep(2.0 ** attempt)
        raise AssertionError("unreachable")


def _path(url: str) -> str:
    return httpx.URL(url).path.split("/v3/", 1)[-1][:40]


# An invoke handler gets the turn and the action data; it returns the invoke response body.
InvokeHandler = Callable[["Turn", dict[str, Any]], Awaitable[dict[str, Any] | None]]


@dataclass
class Turn:
    """What handlers need of one inbound activity, with the person behind it."""

    runtime: TeamsRuntime
    ctx: Any  # the SDK's ActivityContext
    person: Person

    @property
    def activity(self) -> Any:
        return self.ctx.activity

    @property
    def conversation_id(self) -> str:
        return str(self.ctx.activity.conversation.id)

    async def send(self, reply: Reply, *, reply_to: str | None = None) -> str | None:
        activity = MessageActivityInput.model_validate(message_activity(reply))
        if reply_to:
            activity.reply_to_id = reply_to
        sent = await self.ctx.send(activity)
        return getattr(sent, "id", None)

    async def send_card(self, card: dict[str, Any]) -> str | None:
        activity = MessageActivityInput.model_validate({
            "type": "message", "summary": str(card.get("fallbackText") or ""),
            "attachments": [{"contentType": CARD_TYPE, "content": card}]})
        sent = await self.ctx.send(activity)
        return getattr(sent, "id", None)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.runtime.run_sync(fn, *args)


@dataclass
class TeamsRuntime:
    bot: Bot
    settings: TeamsSettings
    app: App
    auth: InboundAuth
    tokens: ConnectorTokens
    invokes: dict[str, InvokeHandler] = field(default_factory=dict)
    # Typed commands a card answers better (e.g. "agenda propose"): True when taken.
    message_hooks: list[Callable[[Turn, str], Awaitable[bool]]] = field(default_factory=list)
    threads: int = 16
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _limiter: anyio.CapacityLimiter | None = None
    _ready: bool = False
    _init_lock: asyncio.Lock | None = None

    async def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        """The bot's blocking work (database, answers) on a bounded thread pool."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    def background(self, work: Awaitable[None], what: str) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("teams %s failed", what)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _initialize(self) -> None:
        """The SDK's App once, on the first activity (inside the edge's event loop)."""
        if self._ready:
            return
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if not self._ready:
                await self.app.initialize()
                self._ready = True

    # -- the edge endpoint --------------------------------------------------------------------
    def endpoint(self) -> Endpoint:
        async def handle(request: Inbound, edge: Edge) -> Response:
            authorization = request.headers.get("authorization", "")
            if not authorization.lower().startswith("bearer "):
                raise Rejected(401, "missing bearer token")
            try:
                body = json.loads(request.body)
            except ValueError:
                raise Rejected(400, "body is not valid JSON") from None
            if not isinstance(body, dict):
                raise Rejected(400, "body is not a JSON object")
            service_url = body.get("serviceUrl")
            try:
                await self.auth.check(authorization, service_url if isinstance(service_url, str)
                                      else None)
            except AuthError as exc:
                raise Rejected(401, f"Teams token refused: {exc}") from None
            if self.settings.tenant_id and _tenant(body) != self.settings.tenant_id:
                raise Rejected(403, "activity from another tenant")
            key = _claim_key(body)
            if key and not await self.run_sync(claim_event, self.bot, key):
                log.info("teams activity %s already taken; redelivery ignored", key[-24:])
                return Response(status_code=200)
            try:
                activity = CoreActivity.model_validate(body)
            except ValidationError:
                raise Rejected(400, "not an activity") from None
            await self._initialize()
            raw = authorization.split(" ", 1)[1].strip()
            event = ActivityEvent(body=activity, token=JsonWebToken(value=raw))
            assert self.app.server.on_request is not None
            result = await self.app.server.on_request(event)
            dumped = result.model_dump(exclude_none=True) if hasattr(result, "model_dump") else {}
            status = int(dumped.get("status") or 200)
            if dumped.get("body") is None:
                return Response(status_code=status)
            return JSONResponse(dumped["body"], status_code=status)

        return handle


def _tenant(body: dict[str, Any]) -> str | None:
    channel = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
    tenant = (channel or {}).get("tenant") or {}
    conversation = body.get("conversation") if isinstance(body.get("conversation"), dict) else {}
    found = (tenant.get("id") if isinstance(tenant, dict) else None) or (
        conversation or {}).get("tenantId")
    return str(found) if found else None


def _claim_key(body: dict[str, Any]) -> str | None:
    """Activity ids are unique within a conversation; the key names both."""
    activity_id, kind = body.get("id"), body.get("type")
    if not activity_id or kind not in CLAIMED_TYPES:
        return None
    conversation = body.get("conversation") if isinstance(body.get("conversation"), dict) else {}
    return fit_key(f"teams:{(conversation or {}).get('id', '')}:{activity_id}")


def fit_key(key: str, prefix: str = "teams:") -> str:
    """A claim key within the column's width (120): a longer one becomes its hash."""
    if len(key) <= 120:
        return key
    import hashlib

    return prefix + hashlib.sha256(key.encode()).hexdigest()
