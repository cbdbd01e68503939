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
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.core import Bot
from bot.replies import Message, Person, Reply, Section
from integrations.slack.client import make_web_client
from integrations.slack.render import fallback_text, message_payload, render_blocks
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)

EVENT_ID_RETENTION = timedelta(hours=2)

# What manifest.yaml must ask for (tests/test_manifest.py keeps the two in step).
SLACK_COMMAND = "/norcrin"
SLACK_BOT_EVENTS = ("app_home_opened", "app_mention", "message.im")
SLACK_SCOPES = (
    "app_mentions:read",  # app_mention
    "channels:history",  # outbox: look for a post of unknown outcome before re-sending it
    "chat:write",  # answers, prompts, posts (chat.postMessage / chat.update)
    "commands",  # /norcrin
    "im:history",  # message.im
    "im:write",  # conversations.open for DMs
    "users:read",  # users.info
    "users:read.email",  # match Slack users to the directory by e-mail
)

# Feature modules add Slack listeners (buttons, modals, command prefixes) through these hooks.
FeatureRegistrar = Callable[["SlackRuntime"], None]
FEATURE_REGISTRARS: list[str] = [
    "integrations.slack.status:register",
    "integrations.slack.agenda:register",
    "integrations.slack.teachback:register",
]  # "module:function" names, imported at build time


RUNTIME_KEY = "norcrin_runtime"  # where module-level listeners find the runtime in bolt's context


@dataclass
class SlackRuntime:
    """What Slack listeners share: the bot, the app, the Web API client and the answer pool."""

    bot: Bot
    app: App
    client: WebClient
    pool: ThreadPoolExecutor
    # Command prefixes handled in the ack path (e.g. opening a modal needs the trigger at once).
    command_hooks: list[Callable[[dict[str, Any], Person, Callable[..., Any]], bool]] = field(
        default_factory=list
    )
    _users: dict[str, Person] = field(default_factory=dict)
    _users_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- people ---------------------------------------------------------------------------------
    def person(self, user_id: str) -> Person:
        """The directory person behind a Slack user (by stored Slack id, then by e-mail)."""
        with self._users_lock:
            cached = self._users.get(user_id)
        if cached is not None:
            return cached
        from storage.directory import person_by_slack_user

        settings = self.bot.services.settings
        found = None
        with self.bot.services.db.session() as session:
            found = person_by_slack_user(session, user_id)
            if found is None:
                email = self._email(user_id)
                if email:
                    from sqlalchemy import func, select

                    from storage.models import Person as PersonRow

                    found = session.scalar(
                        select(PersonRow).where(func.lower(PersonRow.email) == email.lower())
                    )
                    if found is not None and not found.slack_user_id:
                        found.slack_user_id = user_id
            person = Person(
                platform="slack",
                user_id=user_id,
                person_id=found.id if found else None,
                name=found.name if found else None,
                is_admin=user_id in settings.admins,
            )
        with self._users_lock:
            self._users[user_id] = person
        return person

    def _email(self, user_id: str) -> str | None:
        try:
            info = self.client.users_info(user=user_id)
        except SlackApiError:
            return None
        profile = (info.get("user") or {}).get("profile") or {}
        return profile.get("email")

    # -- sending --------------------------------------------------------------------------------
    def post(self, channel: str, reply: Reply, *, thread_ts: str | None = None) -> str | None:
        response = self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            text=fallback_text(reply),
            blocks=render_blocks(reply),
        )
        ts = response.get("ts")
        return str(ts) if ts else None

    def dm(self, user_id: str, reply: Reply) -> str | None:
        channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        return self.post(channel, reply)

    def submit(self, work: Callable[[], None], *, event_id: str | None = None) -> None:
        """Run slow work off the ack path; failures are logged with the event id."""

        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("Slack work failed (event %s)", event_id or "-")

        self.pool.submit(run)

    def answer(
        self,
        message: Message,
        deliver: Callable[[Reply], object],
        *,
        event_id: str | None = None,
    ) -> None:
        """Answer a message in the pool; if delivery fails, try once more with a short apology."""

        def work() -> None:
            replies = self.bot.handle(message)
            for reply in replies:
                try:
                    deliver(reply)
                except Exception:
                    log.exception("could not deliver an answer (event %s)", event_id or "-")
                    apology = Reply(
                        text="Beklager, jeg fikk ikke sendt svaret. / Sorry, I could not send "
                        "the answer.",
                        parts=(Section("Beklager, jeg fikk ikke sendt svaret mitt. Prøv igjen."),),
                    )
                    deliver(apology)

        self.submit(work, event_id=event_id)


def runtime_of(context: BoltContext) -> SlackRuntime:
    """The runtime a module-level listener serves (a middleware puts it in bolt's context)."""
    runtime = context[RUNTIME_KEY]
    assert isinstance(runtime, SlackRuntime)
    return runtime


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


def claim_event(bot: Bot, event_id: str) -> bool:
    """True the first time an event id is seen (across replicas sharing the database)."""
    now = bot.services.clock.now()
    db = bot.services.db
    try:
        with db.session() as session:
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    if hash(event_id) % 100 == 0:  # now and then, forget ids older than any Slack retry
        with db.session() as session:
            session.execute(
                delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_ID_RETENTION)
            )
    return True


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


def build_slack_app(
    bot: Bot,
    *,
    client: WebClient | None = None,
    socket_mode: bool = False,
    answer_workers: int = 16,
    listener_workers: int = 32,
) -> SlackRuntime:
    settings = bot.services.settings
    client = client or make_web_client(settings)
    _quiet_bolt_start_up()
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or ("socket-mode" if socket_mode else None),
        # No authorize function: bolt takes the token from `client` and runs auth.test once,
        # on the first request (SingleTeamAuthorization caches it).
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
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
        pool=ThreadPoolExecutor(max_workers=answer_workers, thread_name_prefix="answer"),
    )
    _register_core(runtime)
    import importlib

    for name in FEATURE_REGISTRARS:
        module_name, _, function = name.partition(":")
        getattr(importlib.import_module(module_name), function)(runtime)
    _register_fallbacks(app)
    return runtime


def _register_core(runtime: SlackRuntime) -> None:
    app, bot = runtime.app, runtime.bot

    @app.middleware
    def attach_runtime(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context[RUNTIME_KEY] = runtime
        return next()

    @app.middleware
    def deduplicate_events(
        req: BoltRequest, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if not isinstance(body, dict):
            return next()
        event_id = body.get("event_id")
        if event_id and body.get("type") == "event_callback" and not claim_event(bot, event_id):
            log.info("event %s already taken; retry ignored", event_id)
            return BoltResponse(status=200, body="")
        key = request_key(body, req.raw_body)
        if key and not claim_event(bot, key):
            log.info("request %s already taken; replay ignored", key[:16])
            return BoltResponse(status=200, body="")
        return next()

    def answer_event(event: dict[str, Any], body: dict[str, Any], *, direct: bool) -> None:
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
        runtime.answer(
            message,
            lambda reply: runtime.post(channel, reply, thread_ts=thread),
            event_id=body.get("event_id"),
        )

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        answer_event(event, body, direct=False)

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # channel chatter, edits, joins and our own posts need no answer
        answer_event(event, body, direct=True)

    @app.command(SLACK_COMMAND)
    def on_command(
        ack: Callable[..., None], body: dict[str, Any], respond: Callable[..., Any]
    ) -> None:
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

    @app.action({"action_id": _LINK_ACTIONS})
    def on_link(ack: Callable[..., None]) -> None:
        ack()  # URL buttons still send an action; nothing to do

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user_id = event.get("user", "")
        runtime.submit(lambda: publish_home(runtime, user_id))


_LINK_ACTIONS = re.compile(r"^(open_document|link_\d+):\d+$")


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


def publish_home(runtime: SlackRuntime, user_id: str) -> None:
    person = runtime.person(user_id)
    home = runtime.bot.home(person)
    view = {"type": "home", "blocks": render_blocks(home, max_blocks=100)}
    runtime.client.views_publish(user_id=user_id, view=view)
