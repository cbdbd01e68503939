"""Activity handlers: messages become `Message`s for `Bot.handle`; card buttons are routed by verb.

Each person is linked to the directory once, by the Entra user's e-mail or UPN (the roster look-up
`GET /v3/conversations/{id}/members/{user}`), and the link is kept in `teams_conversations` with
the conversation reference, so proactive prompts can reach them later. Added to a chat (an install,
or the bot among a conversationUpdate's new members), the bot introduces itself once: `welcome`.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from bot.replies import Message, Person, Reply, Section
from integrations.teams.app import InvokeHandler, TeamsRuntime, Turn, fit_key
from integrations.teams.cards import reply_card
from storage.claims import claim_event

log = logging.getLogger("norcrin_bot.teams")

_links: dict[str, Person] = {}  # AAD object id -> Person, a cache of rows
_links_lock = threading.Lock()


def _scope(activity: Any) -> str:
    kind = getattr(activity.conversation, "conversation_type", None)
    return str(kind or ("groupChat" if activity.conversation.is_group else "personal"))


def _base_conversation(conversation_id: str) -> str:
    return conversation_id.split(";messageid=", 1)[0]


def remember_turn(runtime: TeamsRuntime, ref: dict[str, Any], addresses: tuple[str | None, ...]
                  ) -> Person:
    """Store the conversation reference and return the person (linked when the directory knows
    their e-mail/UPN). Runs on the thread pool."""
    from storage.teams import known_person, person_for_address, remember

    services = runtime.bot.services
    aad = ref.get("aad_object_id")
    with services.db.session() as session:
        known = known_person(session, aad) if aad else None
        found = None
        if known is not None:
            from storage.models import Person as PersonRow

            found = session.get(PersonRow, known.person_id)
        if found is None:
            found = person_for_address(session, *addresses)
        personal = ref["scope"] == "personal"
        remember(
            session,
            conversation_id=ref["conversation_id"] if personal
            else _base_conversation(ref["conversation_id"]),
            scope=ref["scope"],
            service_url=ref["service_url"],
            now=services.clock.now(),
            tenant_id=ref.get("tenant_id"),
            user_id=ref.get("user_id") if personal else None,
            aad_object_id=aad if personal else None,
            person_id=found.id if found is not None and personal else None,
            email=next((a for a in addresses if a), None) if personal else None,
            name=ref.get("name") if personal else None,
        )
        admins = {a.lower() for a in runtime.bot.services.settings.admins}
        keys = {k.lower() for k in (aad, ref.get("user_id"), *addresses,
                                    found.id if found is not None else None) if k}
        return Person(
            platform="teams",
            user_id=str(aad or ref.get("user_id") or ""),
            person_id=found.id if found is not None else None,
            name=found.name if found is not None else ref.get("name"),
            is_admin=bool(keys & admins),
        )


async def person_for(runtime: TeamsRuntime, ctx: Any) -> Person:
    activity = ctx.activity
    sender = activity.from_
    aad = getattr(sender, "aad_object_id", None)
    scope = _scope(activity)
    with _links_lock:
        cached = _links.get(aad) if aad else None
    ref = {
        "conversation_id": activity.conversation.id, "scope": scope,
        "service_url": activity.service_url, "tenant_id": activity.conversation.tenant_id,
        "user_id": sender.id, "aad_object_id": aad, "name": sender.name,
    }
    if cached is not None and scope != "personal":
        return cached
    addresses: tuple[str | None, ...] = ()
    if cached is None:
        try:
            member = await ctx.api.conversations.get_member_by_id(activity.conversation.id,
                                                                  sender.id)
            addresses = (member.email, member.user_principal_name)
        except Exception as exc:  # a roster outage: answer anyway, unlinked this time
            log.warning("teams roster look-up failed: %s", type(exc).__name__)
    person: Person = await runtime.run_sync(remember_turn, runtime, ref, addresses)
    if cached is not None and person.person_id is None:
        person = cached
    if aad and person.person_id:
        with _links_lock:
            _links[aad] = person
    return person


def forget_links() -> None:
    """Tests start from an empty cache; the rows are the truth."""
    with _links_lock:
        _links.clear()


def message_response(text: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
            "value": text}


def card_response(card: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card}


def reply_response(reply: Reply) -> dict[str, Any]:
    """A reply shown in place of the card that was pressed."""
    return card_response(reply_card(reply))


APOLOGY = Reply(
    text="Beklager, jeg fikk ikke sendt svaret. / Sorry, I could not send the answer.",
    parts=(Section("Beklager, jeg fikk ikke sendt svaret mitt. Prøv igjen."),),
)


async def answer(turn: Turn, message: Message, reply_to: str | None) -> None:
    replies: list[Reply] = await turn.run(turn.runtime.bot.handle, message)
    for reply in replies:
        try:
            await turn.send(reply, reply_to=reply_to)
        except Exception:
            log.exception("teams: could not deliver an answer (activity %s)",
                          message.extra.get("event_id", "-"))
            await turn.send(APOLOGY, reply_to=reply_to)


def _bot_added(activity: Any) -> bool:
    """A conversationUpdate that adds the bot itself (not another person joining)."""
    bot_id = getattr(activity.recipient, "id", None)
    return bool(bot_id) and any(m.id == bot_id for m in activity.members_added or ())


def welcome_key(conversation_id: str) -> str:
    return fit_key(f"teams-welcome:{_base_conversation(conversation_id)}", "teams-welcome:")


async def welcome(turn: Turn) -> None:
    """Introduce the bot once in a conversation it was added to. Teams announces one install
    twice (installationUpdate and conversationUpdate, each with its own id), so the conversation
    is claimed as well as each activity; that claim is forgotten with old activity ids (two
    hours at the earliest), so a reinstall later on is welcomed again. A channel or group chat
    is shown only what everyone may use, even when an admin added the bot."""
    runtime = turn.runtime
    if not await turn.run(claim_event, runtime.bot, welcome_key(turn.conversation_id)):
        return
    person = turn.person
    if _scope(turn.activity) != "personal":
        person = dataclasses.replace(person, is_admin=False)
    reply: Reply = await turn.run(runtime.bot.welcome, person)
    await turn.send(reply)


def register(runtime: TeamsRuntime) -> None:
    app = runtime.app

    @app.on_message
    async def on_message(ctx: Any) -> None:
        activity = ctx.activity
        if not activity.text and activity.value:
            return  # an old-style Action.Submit: our cards use Action.Execute
        person = await person_for(runtime, ctx)
        activity.strip_mentions_text()
        scope = _scope(activity)
        conversation = str(activity.conversation.id)
        thread = None
        if scope == "channel":
            thread = conversation.split(";messageid=", 1)[1] if ";messageid=" in conversation \
                else activity.id
        message = Message(
            text=(activity.text or "").strip(),
            sender=person,
            surface="teams",
            channel=conversation,
            thread=thread,
            direct=scope == "personal",
            extra={"event_id": str(activity.id or "")},
        )
        turn = Turn(runtime, ctx, person)
        for hook in runtime.message_hooks:
            if await hook(turn, message.text):
                return
        runtime.background(answer(turn, message, None if scope == "personal" else activity.id),
                           "answer")

    @app.on_installation_update
    async def on_install(ctx: Any) -> None:
        person = await person_for(runtime, ctx)
        if getattr(ctx.activity, "action", None) == "add":
            runtime.background(welcome(Turn(runtime, ctx, person)), "welcome")

    @app.on_conversation_update
    async def on_conversation_update(ctx: Any) -> None:
        person = await person_for(runtime, ctx)
        if _bot_added(ctx.activity):
            runtime.background(welcome(Turn(runtime, ctx, person)), "welcome")

    # The invoke body is returned as a plain dict (statusCode/type/value): the SDK passes a dict
    # through as the response body; its typed models would need our card as its own model.
    @app.on_card_action_execute  # type: ignore[arg-type]
    async def on_execute(ctx: Any) -> dict[str, Any]:
        action = ctx.activity.value.action
        verb = str(action.verb or "")
        handler = _find(runtime.invokes, verb)
        if handler is None:
            log.info("teams: unknown card verb %s", verb[:40])
            return message_response("…")
        person = await person_for(runtime, ctx)
        result = await handler(Turn(runtime, ctx, person), dict(action.data or {}))
        return result or message_response("OK")


def _find(invokes: dict[str, InvokeHandler], verb: str) -> InvokeHandler | None:
    if verb in invokes:
        return invokes[verb]
    prefix = verb.split(":", 1)[0]
    return invokes.get(prefix + ":*")
