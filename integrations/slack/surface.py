"""What Slack listeners share (`SlackRuntime`): the bot, the bolt app, the Web API client and
the answer pool. Feature listeners (`integrations.slack.status`, `…agenda`, `…teachback`) import
this; `integrations.slack.app` builds it and registers them (one direction, no cycle)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select

from bot.core import Bot
from bot.replies import Message, Person, Reply, Section
from integrations.slack.render import fallback_text, render_blocks
from storage.directory import person_by_slack_user
from storage.models import Person as PersonRow

log = logging.getLogger("norcrin_bot.slack")


RUNTIME_KEY = "norcrin_runtime"  # where module-level listeners find the runtime in bolt's context


@dataclass
class SlackRuntime:
    """What Slack listeners share: the bot, the app, the Web API client and the answer pool."""

    bot: Bot
    app: App
    client: WebClient
    pool: Executor
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
        settings = self.bot.services.settings
        found = None
        with self.bot.services.db.session() as session:
            found = person_by_slack_user(session, user_id)
            if found is None:
                email = self._email(user_id)
                if email:
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


class InlineExecutor(Executor):
    """Runs submitted work at once in the caller's thread: in an answer process
    (`integrations.slack.inbox`) a listener's work must be finished when `dispatch` returns,
    so that its inbox row is marked done only after the answer went out."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


FeatureRegistrar = Callable[[SlackRuntime], None]


def payload_user(body: dict[str, Any]) -> str:
    """The Slack user id behind an interaction payload (button, modal, shortcut)."""
    return str((body.get("user") or {}).get("id", ""))


def runtime_of(context: BoltContext) -> SlackRuntime:
    """The runtime a module-level listener serves (a middleware puts it in bolt's context)."""
    runtime = context[RUNTIME_KEY]
    assert isinstance(runtime, SlackRuntime)
    return runtime
