"""A one-shot `ask` (surface "cli") prints one reply and exits: it is logged like any question,
but offers no 👍/👎 or "pass it on", which nobody could answer afterwards. The terminal chat
(surface "console") still offers both."""

from __future__ import annotations

from bot.core import Bot
from bot.replies import Actions, Message, Note, Person
from storage.questions_log import QuestionLog


def _ask(bot: Bot, text: str, surface: str) -> tuple[list[str], int]:
    sender = Person(platform="console", user_id="u-one-shot", name="Kari Tester")
    [reply] = bot.handle(Message(text=text, sender=sender, surface=surface))
    actions = [b.action for part in reply.parts if isinstance(part, Actions) for b in part.buttons]
    notes = [part.text for part in reply.parts if isinstance(part, Note)]
    return actions + notes, len(actions)


def _logged(bot: Bot) -> int:
    with bot.services.db.session() as session:
        return session.query(QuestionLog).count()


def test_one_shot_ask_offers_no_rating_but_is_logged(bot: Bot) -> None:
    before = _logged(bot)
    shown, buttons = _ask(bot, "who leads AP8?", "cli")
    assert buttons == 0 and not any("Helpful" in s or "Nyttig" in s for s in shown)
    shown, buttons = _ask(bot, "what's the weather in Bergen tomorrow?", "cli")
    assert buttons == 0 and not any("pass it on" in s or "send videre" in s for s in shown)
    assert _logged(bot) == before + 2


def test_terminal_chat_still_offers_rating(bot: Bot) -> None:
    shown, buttons = _ask(bot, "who leads AP8?", "console")
    assert buttons == 2 and any("Helpful" in s for s in shown)
