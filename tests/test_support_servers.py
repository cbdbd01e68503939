"""The test stand-ins must behave like Slack and Graph for the real SDKs, or tests built on
them prove nothing. These tests drive them with slack_sdk, slack_bolt and msgraph-sdk."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.chat_message import ChatMessage
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.internet_message_header import InternetMessageHeader
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.models.single_value_legacy_extended_property import (
    SingleValueLegacyExtendedProperty,
)
from msgraph.generated.users.item.calendar.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import (
    MessagesRequestBuilder,
)
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
    SendMailPostRequestBody,
)
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.support._http import LocalHTTPServer, Request, Response
from tests.support.graph_api import FakeGraphAPI, make_event
from tests.support.graph_client import FakeCredential, open_graph_client
from tests.support.slack_api import FakeSlackAPI
from tests.support.slack_signing import (
    SlackClientHTTP,
    app_mention_event,
    block_actions_payload,
    command_body,
    event_body,
    input_value,
    interaction_body,
    sign,
    view_submission_payload,
)

SECRET = "test-signing-secret"
TEAM, CHANNEL = "team-1", "19:abc@thread.tacv2"


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as fake:
        yield fake


def _client(slack: FakeSlackAPI) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url)


# Slack Web API ---------------------------------------------------------------------------


def test_webclient_post_message_records_channel_text_and_blocks(slack: FakeSlackAPI) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    resp = _client(slack).chat_postMessage(channel="C123", text="hello", blocks=blocks)

    assert resp["ok"] and resp["channel"] == "C123"
    (call,) = slack.calls("chat.postMessage")
    assert call.params["channel"] == "C123"
    assert call.params["text"] == "hello"
    assert call.params["blocks"] == blocks
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert call.response["ts"] == resp["ts"]


def test_form_encoded_blocks_are_decoded_into_a_list(slack: FakeSlackAPI) -> None:
    blocks = [{"type": "divider"}]
    client = _client(slack)
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(blocks)})
    dm = client.conversations_open(users="U42")
    user = client.users_info(user="U42")

    assert slack.calls("chat.postMessage")[0].params["blocks"] == blocks
    assert dm["channel"]["id"] == "DU42"
    assert user["user"]["id"] == "U42" and "email" in user["user"]["profile"]
    assert [c.method for c in slack.calls()] == [
        "chat.postMessage",
        "conversations.open",
        "users.info",
    ]


def test_ts_is_unique_and_increasing_and_update_changes_the_message(slack: FakeSlackAPI) -> None:
    client = _client(slack)
    first = client.chat_postMessage(channel="C1", text="a")["ts"]
    second = client.chat_postMessage(channel="C1", text="b")["ts"]
    updated = client.chat_update(channel="C1", ts=first, text="a2")

    assert first == "1700000000.000100"
    assert float(second) > float(first)
    assert updated["ts"] == first and updated["channel"] == "C1"
    assert [m["text"] for m in slack.messages("C1")] == ["a2", "b"]


def test_replies_return_a_thread_with_metadata_only_when_asked(slack: FakeSlackAPI) -> None:
    """conversations.replies as on Slack: the parent then the replies, oldest first, named by any
    of its messages' ts; metadata only with include_all_metadata; an unknown ts is no thread."""
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    parent = slack.add_message("C1", "a question", user="U1")
    meta = {"event_type": "norcrin_answer", "event_payload": {"key": "Ev1"}}
    first = client.chat_postMessage(channel="C1", thread_ts=parent["ts"], text="one",
                                    metadata=meta)
    client.chat_postMessage(channel="C1", thread_ts=parent["ts"], text="two")
    client.chat_postMessage(channel="C1", text="elsewhere", metadata=meta)

    plain = client.conversations_replies(channel="C1", ts=parent["ts"])
    assert [m["text"] for m in plain["messages"]] == ["a question", "one", "two"]
    assert all("metadata" not in m for m in plain["messages"])
    full = client.conversations_replies(channel="C1", ts=first["ts"], include_all_metadata=True)
    assert [m.get("metadata") for m in full["messages"]] == [None, meta, None]
    later = client.conversations_replies(channel="C1", ts=parent["ts"], oldest=parent["ts"],
                                         limit=1)
    assert [m["text"] for m in later["messages"]] == ["one"] and later["has_more"]
    rest = client.conversations_replies(channel="C1", ts=parent["ts"], oldest=parent["ts"],
                                        cursor=later["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["two"] and not rest["has_more"]
    history = client.conversations_history(channel="C1", include_all_metadata=True)
    assert [(m["text"], m.get("metadata")) for m in history["messages"]] == [
        ("elsewhere", meta), ("a question", None)]
    with pytest.raises(SlackApiError) as refused:
        client.conversations_replies(channel="C1", ts="1.000001")
    assert refused.value.response["error"] == "thread_not_found"


def test_users_lookup_views_and_ephemeral(slack: FakeSlackAPI) -> None:
    slack.add_user("U7", real_name="Kari Nordmann", email="kari@example.no")
    client = _client(slack)

    found = client.users_lookupByEmail(email="KARI@example.no")
    view = client.views_open(
        trigger_id="t",
        view={
            "type": "modal",
            "callback_id": "cb",
            "title": {"type": "plain_text", "text": "x"},
            "blocks": [],
        },
    )
    eph = client.chat_postEphemeral(channel="C1", user="U7", text="psst")

    assert found["user"]["profile"]["real_name"] == "Kari Nordmann"
    assert view["view"]["id"].startswith("V") and view["view"]["callback_id"] == "cb"
    assert eph["message_ts"]
    with pytest.raises(SlackApiError) as err:
        client.users_lookupByEmail(email="nobody@example.no")
    assert err.value.response["error"] == "users_not_found"


def test_missing_or_wrong_token_is_rejected(slack: FakeSlackAPI) -> None:
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack.base_url).chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xapp-1", base_url=slack.base_url).chat_postMessage(channel="C1", text="x")

    assert missing.value.response["error"] == "not_authed"
    assert wrong.value.response["error"] == "invalid_auth"


def test_429_injection_raises_with_retry_after_then_recovers(slack: FakeSlackAPI) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    client = _client(slack)

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] in ("1", ["1"])
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]


def test_5xx_injection_with_html_body(slack: FakeSlackAPI) -> None:
    slack.fail_next("chat.postMessage", status=503, times=2)
    client = _client(slack)

    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel="C1", text="x")
        assert err.value.response.status_code == 503
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_error_next_answers_ok_false(slack: FakeSlackAPI) -> None:
    slack.error_next("views.open", "expired_trigger_id")
    with pytest.raises(SlackApiError) as err:
        _client(slack).views_open(trigger_id="t", view={"type": "modal", "blocks": []})
    assert err.value.response["error"] == "expired_trigger_id"


def test_response_url_posts_are_recorded(slack: FakeSlackAPI) -> None:
    resp = WebhookClient(slack.response_url("cmd-1")).send(text="done", replace_original=True)

    assert resp.status_code == 200
    (call,) = slack.wait_for("response_url")
    assert call.path == "/response/cmd-1"
    assert call.params["text"] == "done" and call.params["replace_original"] is True


def test_wait_for_times_out_with_what_arrived(slack: FakeSlackAPI) -> None:
    _client(slack).auth_test()
    with pytest.raises(AssertionError, match=r"chat.postMessage.*auth.test\(200\)"):
        slack.wait_for("chat.postMessage", timeout=0.2)
    slack.clear()
    assert slack.calls() == []


# signing and inbound requests ------------------------------------------------------------


def test_signature_verifies_with_slack_sdk() -> None:
    body = event_body(app_mention_event("<@U0BOT> hi"))
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)

    assert verifier.is_valid_request(body, headers)
    assert headers["X-Slack-Signature"] == verifier.generate_signature(
        timestamp=headers["X-Slack-Request-Timestamp"], body=body
    )
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)


def test_stale_signature_is_rejected() -> None:
    body = command_body(text="help")
    headers = sign(SECRET, body, timestamp=int(time.time()) - 400)
    assert not SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_bodies_have_slacks_shapes() -> None:
    cmd = {k: v[0] for k, v in parse_qs(command_body(text="who is kari").decode()).items()}
    envelope = json.loads(event_body({"type": "app_mention", "text": "x"}, event_id="Ev1"))
    payload = view_submission_payload("U1", "status_form", {"b": {"a": input_value("ok")}})
    raw = parse_qs(interaction_body(payload).decode())["payload"][0]

    assert set(cmd) >= {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "response_url",
        "trigger_id",
    }
    assert cmd["text"] == "who is kari" and cmd["command"] == "/norcrin"
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev1"
    assert envelope["authorizations"][0]["user_id"] == "U0BOT"
    assert json.loads(raw)["view"]["state"]["values"]["b"]["a"]["value"] == "ok"


class _BoltBridge(LocalHTTPServer):
    """Minimal HTTP front for a Bolt App: the raw body reaches Bolt unchanged."""

    def __init__(self, app: App) -> None:
        super().__init__()
        self.app = app

    def handle(self, request: Request) -> Response:
        bolt_resp = self.app.dispatch(
            BoltRequest(body=request.body.decode(), headers=dict(request.headers))
        )
        headers = {k: v[0] for k, v in bolt_resp.headers.items() if v}
        return Response(bolt_resp.status, bolt_resp.body.encode(), headers)


def test_signed_requests_drive_a_bolt_app_end_to_end(slack: FakeSlackAPI) -> None:
    app = App(signing_secret=SECRET, client=_client(slack))
    seen: list[dict[str, Any]] = []

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Any) -> None:
        say(text=f"hi <@{event['user']}>")

    @app.command("/norcrin")
    def command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"you said {command['text']}")

    @app.action("approve")
    def approve(ack: Any, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    @app.view("status_form")
    def submit(ack: Any, view: dict[str, Any]) -> None:
        ack(response_action="errors", errors={"b": "nope"})

    with _BoltBridge(app) as bot:
        client = SlackClientHTTP(f"{bot.root_url}/slack/events", SECRET)

        assert client.send_event(app_mention_event("<@U0BOT> hi", user="U9")).status == 200
        (posted,) = slack.wait_for("chat.postMessage")
        assert posted.params["text"] == "hi <@U9>"

        resp = client.send_command(text="ping", response_url=slack.response_url("c1"))
        assert resp.status == 200
        assert slack.wait_for("response_url")[0].params["text"] == "you said ping"

        action = block_actions_payload("U9", "approve", "yes", channel_id="C1")
        assert client.send_interaction(action).status == 200
        assert seen[0]["actions"][0]["value"] == "yes"

        sub = view_submission_payload("U9", "status_form", {"b": {"a": input_value("x")}})
        answer = client.send_interaction(sub)
        assert answer.status == 200 and answer.json()["response_action"] == "errors"

        assert client.send_event(app_mention_event("x"), stale=True).status == 401
        assert client.send_event(app_mention_event("x"), bad_signature=True).status == 401
        retry = client.send_event(app_mention_event("x"), event_id="EvR", retry_num=1)
        assert retry.status == 200
    assert slack.calls()[0].method == "auth.test"


# Microsoft Graph -------------------------------------------------------------------------


def _chat_message(text: str) -> ChatMessage:
    return ChatMessage(body=ItemBody(content_type=BodyType.Html, content=text))


def test_graph_posts_a_channel_message_and_updates_it(graph: FakeGraphAPI) -> None:
    async def run() -> str:
        async with open_graph_client(graph.base_url) as client:
            messages = client.teams.by_team_id(TEAM).channels.by_channel_id(CHANNEL).messages
            posted = await messages.post(_chat_message("<b>hello</b>"))
            assert posted is not None and posted.id
            await messages.by_chat_message_id(posted.id).patch(_chat_message("edited"))
            fetched = await messages.by_chat_message_id(posted.id).get()
            assert fetched is not None and fetched.body is not None
            assert fetched.body.content == "edited"
            return posted.id

    msg_id = asyncio.run(run())
    (stored,) = graph.messages(TEAM, CHANNEL)
    assert stored["id"] == msg_id and stored["body"]["content"] == "edited"
    post = graph.requests("POST")[0]
    assert post.path == f"/teams/{TEAM}/channels/{CHANNEL}/messages"
    assert post.status == 201 and post.headers["Authorization"] == "Bearer fake-token"
    assert [r.status for r in graph.requests()] == [201, 204, 200]


def test_graph_sends_mail(graph: FakeGraphAPI) -> None:
    body = SendMailPostRequestBody(
        message=Message(
            subject="Agenda",
            body=ItemBody(content_type=BodyType.Text, content="See attached."),
            to_recipients=[Recipient(email_address=EmailAddress(address="kari@example.no"))],
        ),
        save_to_sent_items=False,
    )

    async def run() -> None:
        cred = FakeCredential("tok-2")
        async with open_graph_client(graph.base_url, credential=cred) as client:
            await client.users.by_user_id("bot@example.no").send_mail.post(body)

    asyncio.run(run())
    (mail,) = graph.mails()
    assert mail["user"] == "bot@example.no" and mail["saveToSentItems"] is False
    assert mail["message"]["subject"] == "Agenda"
    assert mail["message"]["toRecipients"][0]["emailAddress"]["address"] == "kari@example.no"
    (sent,) = graph.requests("POST", "/users/")
    assert sent.status == 202 and sent.headers["authorization"] == "Bearer tok-2"


_PROP = "String {11111111-2222-3333-4444-555555555555} Name Ref"


def _mail_with(
    subject: str, *props: tuple[str, str], header: str = "x-norcrin-test"
) -> SendMailPostRequestBody:
    return SendMailPostRequestBody(message=Message(
        subject=subject,
        body=ItemBody(content_type=BodyType.Text, content="x"),
        to_recipients=[Recipient(email_address=EmailAddress(address="kari@example.no"))],
        internet_message_headers=[InternetMessageHeader(name=header, value=subject)],
        single_value_extended_properties=[
            SingleValueLegacyExtendedProperty(id=i, value=v) for i, v in props],
    ), save_to_sent_items=True)


def _by_property(prop_id: str, value: str) -> RequestConfiguration[Any]:
    query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
        filter=f"singleValueExtendedProperties/Any(ep: ep/id eq '{prop_id}' "
               f"and ep/value eq '{value}')",
        select=["subject"])
    return RequestConfiguration(query_parameters=query)


def test_graph_sent_items_filter_on_an_extended_property(graph: FakeGraphAPI) -> None:
    async def run() -> dict[str, list[Any]]:
        async with open_graph_client(graph.base_url) as client:
            user = client.users.by_user_id("bot@example.no")
            await user.send_mail.post(_mail_with("m0", (_PROP, "abc")))
            await user.send_mail.post(_mail_with("m1", (_PROP, "ABD")))
            await user.send_mail.post(_mail_with("m2", (_PROP.replace("Ref", "ref"), "abc")))
            await user.send_mail.post(_mail_with("m3"))
            folder = user.mail_folders.by_mail_folder_id("sentitems").messages
            asked = {
                "all": await folder.get(),
                "abc": await folder.get(request_configuration=_by_property(_PROP, "abc")),
                "ABC": await folder.get(request_configuration=_by_property(_PROP, "ABC")),
                "abd": await folder.get(request_configuration=_by_property(_PROP, "abd")),
                "other guid": await folder.get(request_configuration=_by_property(
                    _PROP.replace("11111111", "99999999"), "abc")),
            }
            return {name: list(page.value or []) if page else [] for name, page in asked.items()}

    pages = asyncio.run(run())
    assert [m.subject for m in pages["all"]] == ["m3", "m2", "m1", "m0"]  # newest first
    assert [m.subject for m in pages["abc"]] == ["m0"]  # Name case-sensitive: not m2
    assert [m.subject for m in pages["ABC"]] == ["m0"]  # value case-insensitive
    assert [m.subject for m in pages["abd"]] == ["m1"]
    assert pages["other guid"] == []
    listed = [*pages["all"], *pages["abc"]]
    assert all(m.internet_message_headers is None and m.single_value_extended_properties is None
               for m in listed)  # neither comes back in a listing
    assert pages["abc"][0].sent_date_time is None and pages["all"][0].sent_date_time  # $select
    (stored,) = [m for m in graph.sent_items("bot@example.no") if m["subject"] == "m0"]
    assert stored["singleValueExtendedProperties"] == [{"id": _PROP, "value": "abc"}]


def test_graph_sent_items_refusals(graph: FakeGraphAPI) -> None:
    filters = [
        "sentDateTime ge 2026-01-01T00:00:00Z",
        f"singleValueExtendedProperties/Any(ep: ep/id eq '{_PROP}' and ep/value eq 'a') "
        "and sentDateTime ge 2026-01-01T00:00:00Z",
        f"singleValueExtendedProperties/Any(ep: ep/id eq '{_PROP}' and contains(ep/value, 'a'))",
        "singleValueExtendedProperties/Any(ep: ep/id eq 'Ref' and ep/value eq 'a')",
    ]

    async def run() -> tuple[APIError, APIError, list[int], APIError]:
        async with open_graph_client(graph.base_url) as client:
            user = client.users.by_user_id("bot@example.no")
            with pytest.raises(APIError) as bad_header:
                await user.send_mail.post(_mail_with("m", header="Norcrin-Key"))
            with pytest.raises(APIError) as bad_property:
                await user.send_mail.post(_mail_with("m", ("NorcrinKey", "v")))
            folder = user.mail_folders.by_mail_folder_id("sentitems").messages
            refused = []
            for expression in filters:
                query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
                    filter=expression)
                with pytest.raises(APIError) as bad_filter:
                    await folder.get(request_configuration=RequestConfiguration(
                        query_parameters=query))
                refused.append(int(bad_filter.value.response_status_code or 0))
            graph.deny_mail_read("bot@example.no")
            with pytest.raises(APIError) as denied:
                await folder.get()
            return bad_header.value, bad_property.value, refused, denied.value

    bad_header, bad_property, refused, denied = asyncio.run(run())
    assert bad_header.response_status_code == bad_property.response_status_code == 400
    assert graph.sent_items("bot@example.no") == []
    assert refused == [400] * len(filters)
    assert denied.response_status_code == 403
    assert denied.error.code == "ErrorAccessDenied"  # type: ignore[attr-defined]


def test_graph_calendar_view_pages_with_next_link(graph: FakeGraphAPI) -> None:
    graph.page_size = 2
    day = datetime(2026, 3, 2, 8, tzinfo=UTC)
    for hour in (3, 0, 1):  # stored out of order; Graph answers in start order
        start = day + timedelta(hours=hour)
        graph.add_event(
            "kari@example.no", make_event(f"m{hour}", start, start + timedelta(0, 1800))
        )
    outside = day + timedelta(days=2)
    graph.add_event("kari@example.no", make_event("outside", outside, outside + timedelta(hours=1)))
    query = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
        start_date_time="2026-03-02T00:00:00Z", end_date_time="2026-03-03T00:00:00Z"
    )
    config = RequestConfiguration(query_parameters=query)
    config.headers.add("Prefer", 'outlook.timezone="Europe/Oslo"')

    async def run() -> list[Any]:
        async with open_graph_client(graph.base_url) as client:
            view = client.users.by_user_id("kari@example.no").calendar.calendar_view
            first = await view.get(request_configuration=config)
            assert first is not None and first.odata_next_link and first.value
            second = await view.with_url(first.odata_next_link).get()
            assert second is not None and second.odata_next_link is None and second.value
            return [*first.value, *second.value]

    events = asyncio.run(run())
    assert [e.subject for e in events] == ["m0", "m1", "m3"]
    assert events[0].start.date_time == "2026-03-02T09:00:00.0000000"  # Oslo, UTC+1
    first_get, second_get = graph.requests("GET")
    assert first_get.query["startDateTime"] == "2026-03-02T00:00:00Z"
    assert second_get.query["$skip"] == "2"


def _post_once(base_url: str, text: str, **client_kwargs: Any) -> None:
    async def run() -> None:
        async with open_graph_client(base_url, **client_kwargs) as client:
            messages = client.teams.by_team_id(TEAM).channels.by_channel_id(CHANNEL).messages
            await messages.post(_chat_message(text))

    asyncio.run(run())


def test_graph_429_with_retry_after_is_retried_and_stored_once(graph: FakeGraphAPI) -> None:
    graph.fail_next("POST", "/teams/", status=429, retry_after=1)

    started = time.monotonic()
    _post_once(graph.base_url, "once", max_retries=2)

    assert time.monotonic() - started >= 0.9  # Retry-After honoured
    assert len(graph.messages(TEAM, CHANNEL)) == 1
    first, second = graph.requests("POST")
    assert (first.status, first.fault, second.status) == (429, "fail", 201)
    assert second.headers["Retry-Attempt"] == "1"


def test_graph_accept_then_fail_shows_a_retry_double_posts(graph: FakeGraphAPI) -> None:
    graph.accept_then_fail("POST", "/teams/", status=504, retry_after=1)

    _post_once(graph.base_url, "twice", max_retries=1)

    assert [r.status for r in graph.requests("POST")] == [504, 201]
    assert len(graph.messages(TEAM, CHANNEL)) == 2  # the transport retry doubled the post


def test_graph_without_retries_surfaces_errors(graph: FakeGraphAPI) -> None:
    graph.fail_next("POST", "/teams/", status=503)

    async def run() -> tuple[APIError, APIError]:
        async with open_graph_client(graph.base_url) as client:
            messages = client.teams.by_team_id(TEAM).channels.by_channel_id(CHANNEL).messages
            with pytest.raises(APIError) as failed:
                await messages.post(_chat_message("x"))
            with pytest.raises(APIError) as missing:
                await client.teams.by_team_id(TEAM).get()
            return failed.value, missing.value

    failed, missing = asyncio.run(run())
    assert failed.response_status_code == 503
    assert missing.response_status_code == 404
    assert missing.error.code == "NotFound"  # type: ignore[attr-defined]
    assert graph.messages(TEAM, CHANNEL) == []


def test_teams_webhook_and_auth_requirement() -> None:
    with FakeGraphAPI(require_auth=True) as graph, httpx.Client() as http:
        resp = http.post(graph.webhook_url("standup"), json={"type": "message"})
        denied = http.get(f"{graph.base_url}/users/u/calendarView")

        assert resp.status_code == 202 and resp.content == b""
        assert graph.webhook_posts("standup")[0]["payload"] == {"type": "message"}
        assert denied.status_code == 401
        assert denied.json()["error"]["code"] == "InvalidAuthenticationToken"
        assert graph.wait_for("POST", "/teams-webhook/standup")[0].status == 202
