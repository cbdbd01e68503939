"""The bot through Slack's real request shapes: signed HTTP in, Web API calls out."""

from __future__ import annotations

import concurrent.futures
import json

from slack_sdk.models.blocks import Block

from tests.support.slack_signing import app_mention_event, message_event, new_event_id


def assert_valid_blocks(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()  # raises SlackObjectFormationError on any limit


def test_mention_in_channel_is_answered_in_thread(slack):
    event = app_mention_event(
        "<@U0BOT> hvem leder AP8?", user="U1", channel="C1", ts="1700000000.000100"
    )
    result = slack.http.send_event(event)
    assert result.status == 200
    [call] = slack.fake.wait_for("chat.postMessage")
    assert call.params["channel"] == "C1"
    assert call.params["thread_ts"] == "1700000000.000100"
    assert "Cecilie Moe" in call.params["text"]
    assert_valid_blocks(call.params["blocks"])


def test_direct_message_is_answered_in_the_dm(slack):
    event = message_event("note to file SOP", user="U2", channel="D2", channel_type="im")
    assert slack.http.send_event(event).status == 200
    [call] = slack.fake.wait_for("chat.postMessage")
    assert call.params["channel"] == "D2"
    assert "lm-sop-note-to-file" in call.params["text"]
    assert_valid_blocks(call.params["blocks"])


def test_retried_event_is_answered_once(slack):
    event = app_mention_event("<@U0BOT> law group", user="U1", channel="C1")
    event_id = new_event_id()
    assert slack.http.send_event(event, event_id=event_id).status == 200
    assert slack.http.send_event(event, event_id=event_id, retry_num=1).status == 200
    assert slack.http.send_event(event, event_id=event_id, retry_num=2).status == 200
    slack.fake.wait_for("chat.postMessage")
    slack.runtime.pool.shutdown(wait=True)
    assert len(slack.fake.calls("chat.postMessage")) == 1


def test_forged_and_stale_requests_get_401_and_no_side_effect(slack):
    event = app_mention_event("<@U0BOT> hvem leder AP8?")
    assert slack.http.send_event(event, bad_signature=True).status == 401
    assert slack.http.send_event(event, stale=True).status == 401
    slack.runtime.pool.shutdown(wait=True)
    assert slack.fake.calls("chat.postMessage") == []


def test_bot_messages_and_channel_chatter_are_ignored(slack):
    assert (
        slack.http.send_event(
            message_event("hei alle", channel="C1", channel_type="channel")
        ).status
        == 200
    )
    own = message_event("svar", channel="D1", channel_type="im")
    own["bot_id"] = "B0001"
    assert slack.http.send_event(own).status == 200
    slack.runtime.pool.shutdown(wait=True)
    assert slack.fake.calls("chat.postMessage") == []


def test_slash_command_acks_at_once_and_answers_by_response_url(slack):
    url = slack.fake.response_url("cmd")
    result = slack.http.send_command(text="wp 12", user_id="U3", response_url=url)
    assert result.status == 200
    [call] = slack.fake.wait_for("response_url")
    assert "Ellen Johnsen" in call.params["text"]
    assert call.params["response_type"] == "ephemeral"
    assert_valid_blocks(call.params["blocks"])


def test_slash_command_variants(slack):
    for text, _expected in [
        ("help", "contact"),
        ("contact UNN", "Mariann Sundstrøm"),
        ("sop SUSAR", "SOP 1.4.c"),
        ("", "contact"),
    ]:
        url = slack.fake.response_url(text.replace(" ", "-") or "empty")
        assert slack.http.send_command(text=text, response_url=url).status == 200
    calls = slack.fake.wait_for("response_url", count=4)
    texts = " ".join(c.params["text"] for c in calls)
    for _, expected in [
        ("help", "contact"),
        ("contact UNN", "Mariann Sundstrøm"),
        ("sop", "SOP 1.4.c"),
    ]:
        assert expected in texts
    for call in calls:
        assert_valid_blocks(call.params["blocks"])


def test_app_home_is_published(slack):
    event = {"type": "app_home_opened", "user": "U5", "channel": "D5", "tab": "home"}
    assert slack.http.send_event(event).status == 200
    [call] = slack.fake.wait_for("views.publish")
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        assert Block.parse(block) is not None


def test_handler_error_gives_apology_not_silence(slack, monkeypatch):
    import commands.ask as ask

    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(ask, "_decide", boom)
    event = app_mention_event("<@U0BOT> anything", channel="C9")
    assert slack.http.send_event(event).status == 200
    [call] = slack.fake.wait_for("chat.postMessage")
    assert "Beklager" in call.params["text"] or "Sorry" in call.params["text"]


def test_rate_limited_post_is_retried_after_retry_after(slack):
    slack.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    event = app_mention_event("<@U0BOT> hvem leder AP9?", channel="C7")
    assert slack.http.send_event(event).status == 200
    calls = slack.fake.wait_for("chat.postMessage", count=2, timeout=10)
    assert calls[0].status == 429
    assert calls[1].status == 200
    assert calls[1].at - calls[0].at >= 0.9
    slack.runtime.pool.shutdown(wait=True)
    delivered = [c for c in slack.fake.calls("chat.postMessage") if c.status == 200]
    assert len(delivered) == 1


def test_hundreds_of_concurrent_events_are_all_acked_and_answered(slack):
    questions = ["hvem leder AP8?", "law group", "note to file SOP", "who leads wp12"]
    events = [
        app_mention_event(
            f"<@U0BOT> {questions[i % 4]}",
            user=f"U{i % 7}",
            channel=f"C{i % 5}",
            ts=f"17000000{i:02d}.{i:06d}",
        )
        for i in range(200)
    ]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as senders:
        results = list(senders.map(slack.http.send_event, events))
    assert all(r.status == 200 for r in results)
    slack.fake.wait_for("chat.postMessage", count=200, timeout=60)
    slack.runtime.pool.shutdown(wait=True)
    posts = slack.fake.calls("chat.postMessage")
    assert len(posts) == 200
    assert len({(p.params["channel"], p.params["thread_ts"]) for p in posts}) == 200
