"""The bolt app: listeners translate Slack requests into `Message`s and replies into Block Kit.

Acks are immediate: listeners only hand work to the bot's own answer pool, so bolt's listener
threads are never held by slow work (bolt shares one small pool between listeners and lazy
listeners; starving it turns acks into 404s). Event ids are claimed in the database before
anything runs, so Slack's retries — to this process or another replica — are never answered twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient

from bot.core import Bot
from bot.features import Feature, surface_listeners
from bot.replies import Message
from commands import FEATURES
from integrations.slack import agenda, status, teachback
from integrations.slack.client import make_web_client
from integrations.slack.render import message_payload, render_blocks
from integrations.slack.surface import (
    INBOX_KEY,
    RUNTIME_KEY,
    FeatureRegistrar,
    InlineExecutor,
    Once,
    SlackRuntime,
    runtime_of,
)
from storage.claims import claim_event

__all__ = ["LISTENERS", "SlackRuntime", "build_slack_app", "slack_listeners"]

log = logging.getLogger(__name__)


# What manifest.yaml must ask for (tests/test_manifest.py keeps the two in step).
SLACK_COMMAND = "/norcrin"
SLACK_BOT_EVENTS = ("app_home_opened", "app_mention", "message.im")
SLACK_SCOPES = (
    "app_mentions:read",  # app_mention
    "channels:history",  # outbox posts, answers: look for a post of unknown outcome first
    "chat:write",  # answers, prompts, posts (chat.postMessage / chat.update)
    "commands",  # /norcrin
    "groups:history",  # the same look in private channels the bot was invited to
    "im:history",  # message.im; a DM answer of unknown outcome is looked for in the DM
    "im:write",  # conversations.open for DMs
    "mpim:history",  # the same look in group DMs the bot was added to
    "users:read",  # users.info
    "users:read.email",  # match Slack users to the directory by e-mail
)

# Slack listeners (buttons, modals, command prefixes) per feature name (`Feature.listeners`);
# checked against `commands.FEATURES` when the app is built.
LISTENERS: dict[str, FeatureRegistrar] = {
    "status": status.register,
    "agenda": agenda.register,
    "teachback": teachback.register,
}


def request_key(body: dict[str, Any], raw_body: str) -> str | None:
    """The claim key of a slash command or interaction, None for other requests.

    A replay or retry repeats the exact signed body (Slack's trigger_id makes every real
    interaction's body unique), so a hash of the body names the interaction; re-signing it with
    another timestamp does not make it new.
    """
    kind = body.get("type")
    if not (body.get("command") or kind in _CLAIMED_INTERACTIONS):
        return None
    raw = raw_body or json.dumps(body, sort_keys=True)  # Socket Mode hands over parsed bodies
    return "req:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


_CLAIMED_INTERACTIONS = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)


class _TokenNoise(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment on its own and then warns that it "will
    be unused" beside our client, which carries that very token: a warning that misleads."""

    noise = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.noise


def _quiet_bolt_start_up() -> None:
    bolt_logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _TokenNoise) for f in bolt_logger.filters):
        bolt_logger.addFilter(_TokenNoise())


def slack_listeners(features: tuple[Feature, ...]) -> list[str]:
    """The feature names whose Slack listeners to register, in feature order (checked)."""
    return surface_listeners(features, "slack", "Slack", LISTENERS)


def build_slack_app(
    bot: Bot,
    *,
    client: WebClient | None = None,
    socket_mode: bool = False,
    answer_workers: int = 16,
    listener_workers: int = 32,
    answer_inline: bool = False,
) -> SlackRuntime:
    """The bolt app with every listener. `answer_inline`: for an answer process fed from the
    inbox (`integrations.slack.inbox`) — the edge verified the signature already, and
    `dispatch` returns only once the listener's answer went out."""
    settings = bot.services.settings
    client = client or make_web_client(settings)
    _quiet_bolt_start_up()
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or ("socket-mode" if socket_mode else None),
        # No authorize function: bolt takes the token from `client` and runs auth.test once,
        # on the first request (SingleTeamAuthorization caches it).
        token_verification_enabled=False,
        request_verification_enabled=not (socket_mode or answer_inline),
        process_before_response=answer_inline,
        listener_executor=ThreadPoolExecutor(
            max_workers=listener_workers, thread_name_prefix="bolt"
        ),
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
    )
    runtime = SlackRuntime(
        bot=bot,
        app=app,
        client=client,
        pool=InlineExecutor() if answer_inline
        else ThreadPoolExecutor(max_workers=answer_workers, thread_name_prefix="answer"),
    )
    _register_core(runtime)
    for name in slack_listeners(FEATURES):
        LISTENERS[name](runtime)
    _register_fallbacks(app)
    return runtime


_LINK_ACTIONS = re.compile(r"^(open_document|link_\d+):\d+$")


def _register_core(runtime: SlackRuntime) -> None:
    """The runtime into bolt's context, replay claims, and the core listeners below."""
    app = runtime.app

    @app.middleware
    def attach_runtime(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context[RUNTIME_KEY] = runtime  # module-level listeners find it with `runtime_of`
        return next()

    app.middleware(deduplicate_events)
    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
    app.command(SLACK_COMMAND)(on_command)
    app.action({"action_id": _LINK_ACTIONS})(on_link)
    app.event("app_home_opened")(on_home)


def deduplicate_events(
    req: BoltRequest, body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    """An event id (Slack's retries) or a request (a replayed interaction) is handled once."""
    if not isinstance(body, dict) or req.context.get(INBOX_KEY):
        return next()  # from the inbox: the edge's insert was the claim
    bot = runtime_of(context).bot
    event_id = body.get("event_id")
    if event_id and body.get("type") == "event_callback" and not claim_event(bot, event_id):
        log.info("event %s already taken; retry ignored", event_id)
        return BoltResponse(status=200, body="")
    key = request_key(body, req.raw_body)
    if key and not claim_event(bot, key):
        log.info("request %s already taken; replay ignored", key[:16])
        return BoltResponse(status=200, body="")
    return next()


def answer_event(
    runtime: SlackRuntime, event: dict[str, Any], body: dict[str, Any], *, direct: bool,
    context: BoltContext,
) -> None:
    """A mention or DM as a core Message; the answer goes back where it was asked. From the
    inbox (an answer process) the posts carry the row's key, so a later attempt after an unknown
    outcome finds them instead of answering twice."""
    channel = event.get("channel", "")
    # In a channel the answer goes in a thread under the question; in a DM it stays flat.
    thread = event.get("thread_ts") or (None if direct else event.get("ts"))
    message = Message(
        text=event.get("text", ""),
        sender=runtime.person(event.get("user", "")),
        surface="slack",
        channel=channel,
        thread=thread,
        direct=direct,
        extra={"event_id": body.get("event_id", "")},
    )
    once = Once.from_context(context, since=event.get("ts"))
    if once is not None:
        runtime.answer_once(message, channel, once, thread_ts=thread,
                            event_id=body.get("event_id"))
        return
    runtime.answer(
        message,
        lambda reply: runtime.post(channel, reply, thread_ts=thread),
        event_id=body.get("event_id"),
    )


def on_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    answer_event(runtime_of(context), event, body, direct=False, context=context)


def on_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return  # channel chatter, edits, joins and our own posts need no answer
    answer_event(runtime_of(context), event, body, direct=True, context=context)


def on_command(
    ack: Callable[..., None], body: dict[str, Any], respond: Callable[..., Any],
    context: BoltContext,
) -> None:
    """`/norcrin TEXT`: a feature's hook may take it (modals need the trigger id at once);
    otherwise it is a message answered privately (ephemeral)."""
    runtime = runtime_of(context)
    person = runtime.person(body.get("user_id", ""))
    for hook in runtime.command_hooks:
        if hook(body, person, ack):
            return
    ack()
    message = Message(
        text=body.get("text", "") or "help",
        sender=person,
        surface="slack",
        channel=body.get("channel_id"),
        direct=True,
        extra={"trigger_id": body.get("trigger_id", "")},
    )
    runtime.answer(
        message,
        lambda reply: respond(
            response_type="ephemeral", replace_original=False, **message_payload(reply)
        ),
    )


def on_link(ack: Callable[..., None]) -> None:
    ack()  # URL buttons still send an action; nothing to do


def on_home(event: dict[str, Any], context: BoltContext) -> None:
    """The Home tab is (re)drawn for its person; the Messages tab opened on an empty DM gets the
    welcome."""
    runtime = runtime_of(context)
    user_id = str(event.get("user") or "")
    tab, channel = event.get("tab"), str(event.get("channel") or "")
    if tab in (None, "home"):
        runtime.submit(lambda: publish_home(runtime, user_id))
    elif tab == "messages" and user_id and channel:
        runtime.submit(lambda: welcome_once(runtime, user_id, channel))


def _register_fallbacks(app: App) -> None:
    """Registered last: ack whatever no listener took (bolt would 404, log the body, and Slack
    would retry)."""
    anything = re.compile(".*")

    def ignore(ack: Callable[..., None] | None = None) -> None:
        if ack is not None:
            ack()

    app.event(anything)(ignore)
    app.command(anything)(ignore)
    app.action(anything)(ignore)
    app.view(anything)(ignore)
    app.view_closed(anything)(ignore)
    app.shortcut(anything)(ignore)
    app.options(anything)(ignore)


def welcome_once(runtime: SlackRuntime, user_id: str, channel: str) -> None:
    """Say the welcome in a DM the person opens for the first time: Slack sends
    app_home_opened (tab "messages") on every visit, so the DM must hold no message yet, and a
    claim on the person keeps two quick visits from both finding it empty."""
    history = runtime.client.conversations_history(channel=channel, limit=1)
    if history.get("messages"):
        return
    if not claim_event(runtime.bot, f"slack-welcome:{user_id}"[:120]):
        return
    runtime.post(channel, runtime.bot.welcome(runtime.person(user_id)))


def publish_home(runtime: SlackRuntime, user_id: str) -> None:
    person = runtime.person(user_id)
    home = runtime.bot.home(person)
    view = {"type": "home", "blocks": render_blocks(home, max_blocks=100)}
    runtime.client.views_publish(user_id=user_id, view=view)
