"""Microsoft Graph through msgraph-sdk: Teams channel posts and edits, mail, calendar views.

The SDK is async only; a threaded bot (bolt listeners, APScheduler jobs) shares one event loop
on a dedicated thread and hands coroutines to it (`asyncio.run` per call breaks a shared client).
Writes (channel POST/PATCH, sendMail) run with kiota's RetryHandler off: it would re-send a POST
on 503/504, which after Teams accepted the message doubles the post. The outbox retries instead;
reads (calendarView, message listing) keep the SDK's retries.

Mail carries a digest of its outbox key in a named MAPI property of our own (an extended property:
Graph can filter Sent Items on it, unlike internet headers, which it does not return for Sent
Items); when a try's outcome is unknown the next one asks for that property before sending again.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from bot.config import ConfigError, Settings
from bot.markup import plain
from bot.ports import CalendarEvent
from bot.replies import Reply
from integrations.graph.render import mail_html, reply_html
from integrations.send_errors import SendError, parse_retry_after

if TYPE_CHECKING:
    from bot.core import Services

T = TypeVar("T")
log = logging.getLogger("norcrin_bot.outbox")

# The property set GUID is ours (made once for this bot); Graph matches the Name case-sensitively.
MAIL_KEY_PROPERTY = "String {8A660986-0592-4AD5-ADD1-273F40942CDC} Name NorcrinOutboxKey"
# The same digest as a header, for a human tracing a delivered mail: extended properties stay in
# the sender's mailbox, headers reach the recipients. The look-up does not use it.
MAIL_KEY_HEADER = "x-norcrin-outbox-key"


class GraphGateway:
    """One event loop thread and one GraphServiceClient per credential purpose."""

    def __init__(
        self,
        settings: Settings,
        *,
        credential_factory: Callable[[str], Any] | None = None,
        read_retries: int = 3,
        timeout: float = 30.0,
    ) -> None:
        self.settings = settings
        self._credential_factory = credential_factory
        self._read_retries = read_retries
        self._timeout = timeout
        self._clients: dict[str, Any] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="graph-loop",
                                        daemon=True)
        self._thread.start()

    def _client(self, purpose: str) -> Any:
        if purpose not in self._clients:
            # lazy: heavy optional dependency
            import httpx
            from kiota_authentication_azure.azure_identity_authentication_provider import (
                AzureIdentityAuthenticationProvider,
            )
            from kiota_http.middleware.options import RetryHandlerOption
            from msgraph import GraphRequestAdapter, GraphServiceClient
            from msgraph_core import GraphClientFactory

            # lazy: heavy optional dependency
            from integrations.graph.auth import APP_SCOPE, credential_for

            credential = (self._credential_factory or (
                lambda p: credential_for(self.settings, p)))(purpose)
            base = self.settings.graph_base_url.rstrip("/")
            host = httpx.URL(base).host
            options = {RetryHandlerOption.get_key(): RetryHandlerOption(
                delay=1.0, max_retries=self._read_retries)}
            http = GraphClientFactory.create_with_default_middleware(
                client=httpx.AsyncClient(timeout=self._timeout), options=options
            )
            auth = AzureIdentityAuthenticationProvider(
                credential, scopes=[APP_SCOPE], allowed_hosts=[host]
            )
            adapter = GraphRequestAdapter(auth, client=http)
            adapter.base_url = base
            self._clients[purpose] = GraphServiceClient(request_adapter=adapter)
        return self._clients[purpose]

    def run(self, purpose: str, call: Callable[[Any], Awaitable[T]], timeout: float = 120) -> T:
        """Run `call(client)` on the loop thread and wait for its result."""

        async def runner() -> T:
            return await call(self._client(purpose))

        future: Future[T] = asyncio.run_coroutine_threadsafe(runner(), self._loop)
        return future.result(timeout=timeout)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


class GraphLink:
    """The bot's one Graph gateway, started on first use (a CLI that never talks to Graph starts
    no event-loop thread) and shared by the Teams sender and the calendar."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._gateway: GraphGateway | None = None
        self._lock = threading.Lock()

    def gateway(self) -> GraphGateway:
        with self._lock:
            if self._gateway is None:
                self._gateway = GraphGateway(self.settings)
            return self._gateway

    def close(self) -> None:
        with self._lock:
            gateway, self._gateway = self._gateway, None
        if gateway is not None:
            gateway.close()


_LINKS: WeakKeyDictionary[Services, GraphLink] = WeakKeyDictionary()
_LINKS_LOCK = threading.Lock()


def bind_graph_link(services: Services, link: GraphLink) -> None:
    """Make `link` the bot's one Graph link (the composition root shares the calendar's)."""
    with _LINKS_LOCK:
        _LINKS[services] = link


def graph_link(services: Services) -> GraphLink:
    """The bot's Graph link, for the Teams and mail transports; made on first use if the
    composition root bound none (a bot wired by hand)."""
    with _LINKS_LOCK:
        link = _LINKS.get(services)
        if link is None:
            link = _LINKS[services] = GraphLink(services.settings)
        return link


class GraphCalendar:
    """The calendar port (`bot.ports.CalendarSource`) on Graph's calendarView."""

    def __init__(self, link: GraphLink) -> None:
        self.link = link

    def read(
        self, user: str, start: datetime, end: datetime
    ) -> tuple[list[CalendarEvent], list[str]]:
        return read_calendar(self.link.gateway(), user, start, end)

    def close(self) -> None:
        self.link.close()


def _no_retry() -> Any:
    # lazy: heavy optional dependency
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_http.middleware.options import RetryHandlerOption

    return RequestConfiguration(options=[RetryHandlerOption(max_retries=0, should_retry=False)])


def _send_error(exc: BaseException, *, writing: bool) -> SendError:
    # lazy: heavy optional dependency
    import httpx
    from kiota_abstractions.api_error import APIError

    if isinstance(exc, APIError):
        status = int(exc.response_status_code or 0)
        headers = exc.response_headers or {}
        message = getattr(getattr(exc, "error", None), "message", None) or str(exc)
        if status == 429:
            after = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
            return SendError(f"Graph 429: {message}", retryable=True,
                             retry_after=after if after is not None else 2.0)
        if status >= 500:
            return SendError(f"Graph {status}: {message}", retryable=True, ambiguous=writing)
        hint = ""
        if status in (401, 403):
            hint = (" (channel posts need a delegated account with ChannelMessage.Send; "
                    "app-only tokens are refused outside migration mode)")
        return SendError(f"Graph {status}: {message}{hint}", retryable=False)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return SendError(f"Graph timed out: {exc}", retryable=True, ambiguous=writing)
    if isinstance(exc, httpx.TransportError):
        return SendError(f"Graph unreachable: {exc}", retryable=True)
    if isinstance(exc, ConfigError):
        return SendError(str(exc), retryable=False)
    return SendError(f"Graph call failed: {exc.__class__.__name__}: {exc}", retryable=False)


_TAGS = re.compile(r"<[^>]+>")


def _plain(content: str | None) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", content or "")).split())


class GraphSender:
    """`teams:TEAM/CHANNEL` (channel message) and `mail:ADDR[,ADDR]` (sendMail) destinations."""

    def __init__(self, gateway: GraphGateway, settings: Settings) -> None:
        self.gateway = gateway
        self.settings = settings

    def _run(self, purpose: str, call: Callable[[Any], Awaitable[T]], writing: bool) -> T:
        try:
            return self.gateway.run(purpose, call)
        except SendError:
            raise
        except Exception as exc:
            raise _send_error(exc, writing=writing) from None

    def send(
        self, kind: str, target: str, reply: Reply, *, key: str, look_since: datetime | None
    ) -> str | None:
        if kind == "mail":
            self._mail(target, reply, key, look_since)
            return None
        team, _, channel = target.partition("/")
        content = reply_html(reply)
        if look_since is not None:
            found = self._find_message(team, channel, content, look_since)
            if found:
                return found
        # lazy: heavy optional dependency
        from msgraph.generated.models.body_type import BodyType
        from msgraph.generated.models.chat_message import ChatMessage
        from msgraph.generated.models.item_body import ItemBody

        message = ChatMessage(body=ItemBody(content_type=BodyType.Html, content=content))

        async def post(client: Any) -> Any:
            channels = client.teams.by_team_id(team).channels.by_channel_id(channel)
            return await channels.messages.post(message, request_configuration=_no_retry())

        created = self._run("channel", post, writing=True)
        return str(created.id) if created is not None and created.id else None

    def _find_message(self, team: str, channel: str, content: str, since: datetime) -> str | None:
        """After an ambiguous failure: was the post accepted after all? (same text, ours, new)"""
        wanted = _plain(content)

        async def listing(client: Any) -> Any:
            channels = client.teams.by_team_id(team).channels.by_channel_id(channel)
            return await channels.messages.get()

        page = self._run("channel", listing, writing=False)
        for message in (page.value if page else None) or []:
            created = message.created_date_time
            recent = created is None or created >= since - timedelta(minutes=5)
            if recent and _plain(message.body.content if message.body else "") == wanted:
                return str(message.id)
        return None

    def edit(self, kind: str, target: str, ref: str, reply: Reply) -> str | None:
        if kind != "teams":
            raise SendError("mail cannot be edited", retryable=False)
        team, _, channel = target.partition("/")
        # lazy: heavy optional dependency
        from msgraph.generated.models.body_type import BodyType
        from msgraph.generated.models.chat_message import ChatMessage
        from msgraph.generated.models.item_body import ItemBody

        message = ChatMessage(body=ItemBody(content_type=BodyType.Html, content=reply_html(reply)))

        async def patch(client: Any) -> Any:
            item = client.teams.by_team_id(team).channels.by_channel_id(channel).messages
            return await item.by_chat_message_id(ref).patch(message,
                                                            request_configuration=_no_retry())

        self._run("channel", patch, writing=False)  # PATCH is idempotent: safe to repeat
        return ref

    def _mail(self, target: str, reply: Reply, key: str, look_since: datetime | None) -> None:
        sender = self.settings.graph_mail_sender
        if not sender:
            raise SendError("GRAPH_MAIL_SENDER is not set", retryable=False)
        if look_since is not None and self._find_mail(sender, key):
            return None
        # lazy: heavy optional dependency
        from msgraph.generated.models.body_type import BodyType
        from msgraph.generated.models.email_address import EmailAddress
        from msgraph.generated.models.internet_message_header import InternetMessageHeader
        from msgraph.generated.models.item_body import ItemBody
        from msgraph.generated.models.message import Message
        from msgraph.generated.models.recipient import Recipient
        from msgraph.generated.models.single_value_legacy_extended_property import (
            SingleValueLegacyExtendedProperty,
        )
        from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
            SendMailPostRequestBody,
        )

        addresses = [a.strip() for a in target.split(",") if a.strip()]
        people = [Recipient(email_address=EmailAddress(address=a)) for a in addresses]
        first = next((getattr(p, "text", "") for p in reply.parts), "") or reply.text[:120]
        subject = plain(first)  # a subject is plain text: markup and entities undone
        digest = mail_key_digest(key)
        # Subscribers do not see each other: one recipient goes in To, a list in Bcc.
        message = Message(
            subject=subject[:250],
            body=ItemBody(content_type=BodyType.Html, content=mail_html(reply)),
            to_recipients=people if len(people) == 1 else [
                Recipient(email_address=EmailAddress(address=sender))],
            bcc_recipients=people if len(people) > 1 else None,
            internet_message_headers=[InternetMessageHeader(name=MAIL_KEY_HEADER, value=digest)],
            single_value_extended_properties=[
                SingleValueLegacyExtendedProperty(id=MAIL_KEY_PROPERTY, value=digest)],
        )
        body = SendMailPostRequestBody(message=message, save_to_sent_items=True)

        async def send(client: Any) -> Any:
            return await client.users.by_user_id(sender).send_mail.post(
                body, request_configuration=_no_retry()
            )

        self._run("app", send, writing=True)
        return None

    def _find_mail(self, sender: str, key: str) -> bool:
        """After an unknown outcome: is a mail with this key's property in the sender's Sent Items?

        One request, filtered by Graph on the property. A look-up Graph refuses (403: no Mail.Read
        on that mailbox; 400: a filter it does not take) sends anyway: at least once, not never."""
        # lazy: heavy optional dependency
        from kiota_abstractions.api_error import APIError
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import (  # noqa: E501
            MessagesRequestBuilder,
        )

        query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
            filter=mail_key_filter(key), select=["id"], top=1,
        )
        config = RequestConfiguration(query_parameters=query)

        async def look(client: Any) -> str | None:
            folder = client.users.by_user_id(sender).mail_folders.by_mail_folder_id("sentitems")
            page = await folder.messages.get(request_configuration=config)
            return next((str(m.id) for m in (page.value if page else None) or []), None)

        try:
            found = self.gateway.run("app", look)
        except APIError as exc:
            status = exc.response_status_code
            if status not in (400, 403):
                raise _send_error(exc, writing=False) from None
            log.warning("outbox %s: cannot look in the Sent Items of %s for an earlier try (%s%s); "
                        "sending", key, sender, status,
                        "; grant Mail.Read" if status == 403 else ": filter refused")
            return False
        except Exception as exc:
            raise _send_error(exc, writing=False) from None
        if found:
            log.info("outbox %s: found in Sent Items (%s); not sent again", key, found)
        return found is not None


def mail_key_filter(key: str) -> str:
    """The documented `$filter` for messages with a string extended property of a given value."""
    return (f"singleValueExtendedProperties/Any(ep: ep/id eq '{MAIL_KEY_PROPERTY}' "
            f"and ep/value eq '{mail_key_digest(key)}')")


def mail_key_digest(key: str) -> str:
    """The outbox key as stored on the mail: a digest, since the key can name the Bcc list and
    every recipient receives the headers (hex: nothing to quote in a `$filter`)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


# -- calendar ----------------------------------------------------------------------------------


def _graph_time(value: Any) -> datetime:
    """A Graph dateTimeTimeZone (offset-less text + zone) as an aware UTC datetime."""
    text = str(value.date_time or "")
    head, dot, tail = text.partition(".")
    text = f"{head}.{tail[:6]}" if dot else head
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        zone_name = value.time_zone or "UTC"
        zone_name = {"W. Europe Standard Time": "Europe/Oslo"}.get(zone_name, zone_name)
        parsed = parsed.replace(tzinfo=ZoneInfo(zone_name))
    return parsed.astimezone(UTC)


def read_calendar(
    gateway: GraphGateway, user: str, start: datetime, end: datetime
) -> tuple[list[CalendarEvent], list[str]]:
    """Events of `user`'s calendar view in [start, end), following paging; malformed events are
    reported in the second list and skipped."""
    # lazy: heavy optional dependency
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.item.calendar.calendar_view.calendar_view_request_builder import (
        CalendarViewRequestBuilder,
    )

    query = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
        start_date_time=start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        end_date_time=end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        top=50,
    )
    config = RequestConfiguration(query_parameters=query)
    config.headers.add("Prefer", 'outlook.timezone="UTC"')

    async def fetch(client: Any) -> list[Any]:
        builder = client.users.by_user_id(user).calendar.calendar_view
        page = await builder.get(request_configuration=config)
        found = list(page.value or []) if page else []
        while page is not None and page.odata_next_link:
            page = await builder.with_url(page.odata_next_link).get()
            found.extend(page.value or [] if page else [])
        return found

    try:
        raw = gateway.run("app", fetch)
    except Exception as exc:
        raise _send_error(exc, writing=False) from None
    events: list[CalendarEvent] = []
    problems: list[str] = []
    for index, event in enumerate(raw, start=1):
        label = f"event {index} ({getattr(event, 'subject', None) or getattr(event, 'id', '?')})"
        try:
            if not event.id:
                raise ValueError("no id")
            if event.is_cancelled:
                continue
            if event.start is None or event.end is None:
                raise ValueError("no start or end")
            begin, finish = _graph_time(event.start), _graph_time(event.end)
            if finish < begin:
                raise ValueError("ends before it starts")
            location = event.location.display_name if event.location else None
            online = event.online_meeting.join_url if event.online_meeting else None
            events.append(CalendarEvent(str(event.id), (event.subject or "").strip() or "Møte",
                                        begin, finish, location or None, online))
        except Exception as exc:  # one bad event must not stop the rest
            problems.append(f"{label}: {exc}")
    return events, problems
