"""What Slack listeners share (`SlackRuntime`): the bot, the bolt app, the Web API client and
the answer pool. Feature listeners (`integrations.slack.status`, `…agenda`, `…teachback`) import
this; `integrations.slack.app` builds it and registers them (one direction, no cycle)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select

from bot.core import Bot
from bot.replies import Message, Person, Reply, Section
from integrations.slack.client import unknown_outcome
from integrations.slack.history import messages_with_key
from integrations.slack.render import message_payload
from storage.directory import person_by_slack_user
from storage.models import Person as PersonRow

log = logging.getLogger("norcrin_bot.slack")


RUNTIME_KEY = "norcrin_runtime"  # where module-level listeners find the runtime in bolt's context
# What an answer process (`integrations.slack.inbox`) puts in bolt's context for an inbox row:
# its key (Slack's event id) and the claim's attempt (more than 1: an earlier owner's outcome is
# unknown).
INBOX_KEY = "inbox_key"
INBOX_ATTEMPTS = "inbox_attempts"
INBOX_STILL_MINE = "inbox_still_mine"  # () -> bool: renews the row's lease, False if taken over
ANSWER_EVENT = "norcrin_answer"  # message metadata event type of an inbox row's answer posts
LOOKUP_PAGES = 5  # x 200 messages: how far a look for an earlier answer reads
# A look-up error that only means there is nothing to find (no thread under that ts): no warning.
# Any other failure (a private channel without groups:history, Slack down) is logged, then posted.
_NOTHING_TO_FIND = frozenset({"thread_not_found"})
# A post whose outcome is unknown (a 5xx, a cut connection) is looked for, then tried again:
# this many tries in all, the first wait POST_BACKOFF seconds, doubling.
POST_TRIES = 4
POST_BACKOFF = 0.5


@dataclass(frozen=True)
class Once:
    """An answer's identity in Slack: each of its posts names `key` (an inbox row's, or a fresh
    one for a post of its own) in its metadata, and when an earlier attempt's outcome is unknown
    (`look`), the posts already there are not made again."""

    key: str
    look: bool
    since: str | None = None  # the question's ts: answers come after it (None: the newest)
    still_mine: Callable[[], bool] | None = None  # renew the lease just before a post

    @classmethod
    def from_context(cls, context: Any, since: str | None) -> Once | None:
        """From bolt's context: None when the request did not come from the inbox."""
        key = context.get(INBOX_KEY)
        if not key:
            return None
        return cls(key=str(key)[:200], look=int(context.get(INBOX_ATTEMPTS) or 1) > 1,
                   since=since, still_mine=context.get(INBOX_STILL_MINE))

    def metadata(self, part: int, parts: int) -> dict[str, Any]:
        return {"event_type": ANSWER_EVENT,
                "event_payload": {"key": self.key, "part": part, "parts": parts}}


@dataclass(frozen=True)
class Posted:
    """The parts of an answer found where it would be posted (part -> ts), and how many it has."""

    ts: Mapping[int, str] = field(default_factory=dict)
    of: int | None = None

    @property
    def parts(self) -> frozenset[int]:
        return frozenset(self.ts)

    @property
    def complete(self) -> bool:
        return self.of is not None and self.parts >= frozenset(range(self.of))


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
    post_backoff: float = POST_BACKOFF  # seconds before a post's second try, doubling
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
    def post(self, channel: str, reply: Reply, *, thread_ts: str | None = None,
             once: Once | None = None, part: int = 0, parts: int = 1) -> str | None:
        """Post `reply` as part `part` of `parts` of the answer `once` (a post of its own if
        None). Every post names its key in its metadata, so when a try's outcome is unknown (a
        5xx, a connection cut: the client does not retry those blindly) the channel or thread is
        read for it before the next try: posted once, not once per failure."""
        # a post of its own is looked for among the newest messages (no `since`: no clocks)
        once = once or Once(key=uuid.uuid4().hex, look=False)
        wait = self.post_backoff
        for tries in range(1, POST_TRIES + 1):
            try:
                response = self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    metadata=once.metadata(part, parts),
                    **message_payload(reply),
                )
                ts = response.get("ts")
                return str(ts) if ts else None
            except Exception as exc:
                if tries == POST_TRIES or not unknown_outcome(exc):
                    raise
                log.warning("post %s (part %d) to %s: outcome unknown (%s); looking before "
                            "trying again", once.key, part, channel, type(exc).__name__)
            time.sleep(wait)
            wait *= 2
            found = self.posted(channel, once, thread_ts=thread_ts).ts.get(part)
            if found is not None:
                log.info("post %s (part %d) is in %s (ts %s); not posted again", once.key,
                         part, channel, found)
                return found
        return None  # not reached: the last try returns or raises

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
            _deliver_each(self.bot.handle(message), lambda _, reply: deliver(reply), event_id)

        self.submit(work, event_id=event_id)

    def answer_once(
        self,
        message: Message,
        channel: str,
        once: Once,
        *,
        thread_ts: str | None = None,
        event_id: str | None = None,
    ) -> None:
        """Answer an inbox row in `channel` (the thread `thread_ts`, if any): each post carries
        the row's key, part n of N, in its metadata. On a later attempt (`once.look`: the earlier
        owner died or hung after perhaps posting) the posts with that key are looked for first:
        an answer found whole is not made again, nor asked of the bot; a part found is not posted
        again. A first attempt makes no look-up."""

        def work() -> None:
            posted = self.posted(channel, once, thread_ts=thread_ts) if once.look else Posted()
            if posted.complete:
                log.info("inbox %s: the answer is in %s already (%d posts); not posted again",
                         once.key, channel, posted.of or 0)
                return
            replies = self.bot.handle(message)

            def deliver(part: int, reply: Reply) -> None:
                if part in posted.parts:
                    log.info("inbox %s: part %d is in %s already; not posted again", once.key,
                             part, channel)
                    return
                if once.still_mine is not None and not once.still_mine():
                    # this process hung past its lease: the next owner answers (and looks first)
                    log.warning("inbox %s: taken over before part %d was posted; not posted",
                                once.key, part)
                    return
                self.post(channel, reply, thread_ts=thread_ts, once=once, part=part,
                          parts=len(replies))

            _deliver_each(replies, deliver, event_id)

        self.submit(work, event_id=event_id)

    def posted(self, channel: str, once: Once, *, thread_ts: str | None = None) -> Posted:
        """Our posts naming `once.key` where the answer goes: the thread (conversations.replies)
        or the channel's top level since the question (conversations.history). A look-up that
        fails finds nothing: the answer is then posted (twice rather than never)."""
        ts: dict[int, str] = {}
        of: int | None = None

        def page(cursor: str | None) -> Any:
            if thread_ts:
                return self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=once.since, limit=200,
                    include_all_metadata=True, cursor=cursor)
            return self.client.conversations_history(
                channel=channel, oldest=once.since, limit=200, include_all_metadata=True,
                cursor=cursor)

        try:
            for found in messages_with_key(page, ANSWER_EVENT, once.key, LOOKUP_PAGES):
                payload = found["metadata"]["event_payload"]
                ts.setdefault(int(payload.get("part") or 0), str(found.get("ts") or ""))
                of = int(payload.get("parts") or 1)
        except SlackApiError as exc:
            error = (exc.response.data or {}).get("error") if isinstance(
                exc.response.data, dict) else None
            if error not in _NOTHING_TO_FIND:
                log.warning("answer %s: could not look in %s for an earlier post (%s); "
                            "answering", once.key, channel, error or exc.response.status_code)
        except Exception:
            log.exception("answer %s: could not look in %s for an earlier post; answering",
                          once.key, channel)
        return Posted(ts, of)


def _deliver_each(replies: list[Reply], deliver: Callable[[int, Reply], object],
                  event_id: str | None) -> None:
    """Deliver reply n as part n; if that fails, its part is a short apology instead."""
    for part, reply in enumerate(replies):
        try:
            deliver(part, reply)
        except Exception:
            log.exception("could not deliver an answer (event %s)", event_id or "-")
            apology = Reply(
                text="Beklager, jeg fikk ikke sendt svaret. / Sorry, I could not send "
                "the answer.",
                parts=(Section("Beklager, jeg fikk ikke sendt svaret mitt. Prøv igjen."),),
            )
            deliver(part, apology)


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
