""" "Hvor kommer dette fra?" / "source?": the sources of what the bot just showed.

Every answer's shown entities (result ids, never message text) are kept per conversation — a
person in a channel, DM or terminal — in the `conversation_results` table, so the follow-up works
across processes and replicas. The follow-up is recognised only as a whole short message.
"""

from __future__ import annotations

import re

from bot.replies import Heading, Note, Reply, Section
from bot.router import Context, Router
from bot.text import fold
from storage import directory
from storage.provenance import conversation_key, last_results, remember_results

MAX_ENTITIES = 4

_NB = re.compile(
    r"^(?:og )?(?:hvor (?:kommer|har du) (?:dette|det|den|disse|de|dem)(?: fra)?"
    r"|hva er kilden(?: til (?:dette|det))?|hvilke(?:n|t)? kilder?"
    r"|kilder?n?(?: (?:til|for) (?:dette|det))?(?: takk)?)$"
)
_EN = re.compile(
    r"^(?:and )?(?:where (?:is|was|does|did) (?:that|this|it)(?: come)?(?: from)?"
    r"|where did you get (?:that|this)(?: from)?"
    r"|what(?: is|s)? (?:the|your) sources?(?: (?:of|for) (?:that|this))?"
    r"|which sources?|sources?(?: please)?)$"
)

router = Router()


def asks_for_sources(text: str) -> str | None:
    """The language of a "where is that from?" message, or None for anything else."""
    plain = " ".join(re.sub(r"[?!.,:;'’]", " ", fold(text)).split())
    if len(plain) > 60:
        return None
    if _NB.match(plain):
        return "nb"
    if _EN.match(plain):
        return "en"
    return None


def _key(context: Context) -> str:
    message = context.message
    return conversation_key(message.surface, message.channel, message.sender.user_id)


@router.intercept
def sources_follow_up(context: Context) -> list[Reply] | None:
    language = asks_for_sources(context.message.text)
    if language is None:
        return None
    context.language = language
    with context.services.db.session() as session:
        shown = last_results(session, _key(context))
        parts: list = []
        lines: list[str] = []
        # When people were shown, their own lines say where their roles come from.
        people_shown = any(kind == "person" for kind, _ in shown)
        for kind, ref_id in shown[:MAX_ENTITIES]:
            heading, facts = directory.fact_sources(
                session, kind, ref_id, language, with_members=not people_shown
            )
            if not facts:
                continue
            more = len(facts) - directory.MAX_SOURCE_LINES
            facts = facts[: directory.MAX_SOURCE_LINES]
            if more > 0:
                facts.append(context.t(f"… og {more} til", f"… and {more} more"))
            parts.append(Heading(heading))
            parts.append(Section("\n".join(f"• {f}" for f in facts)))
            lines.append(heading + ":\n" + "\n".join(f"  • {f}" for f in facts))
    if not parts:
        text = context.t(
            "Jeg har ikke vist deg noe fra katalogen i denne samtalen ennå, så jeg har ingen "
            "kilder å vise. Spør meg om en person eller en gruppe først.",
            "I haven't shown you anything from the directory in this conversation yet, so "
            "there are no sources to show. Ask me about a person or a group first.",
        )
        return [Reply(text=text, parts=(Section(text),), language=language, intent="sources")]
    intro = context.t("Kilder for det jeg nettopp viste:", "Sources of what I just showed:")
    parts.insert(0, Note(intro))
    text = intro + "\n" + "\n".join(lines)
    return [Reply(text=text, parts=tuple(parts), language=language, intent="sources")]


@router.home
def home_hint(context: Context) -> list:
    """The home screen says the follow-up exists."""
    return [
        Note(
            context.t(
                "Etter et svar om folk eller grupper: skriv «kilde?» for å se hvor det kommer fra.",
                'After an answer about people or groups: write "source?" to see where it '
                "comes from.",
            )
        )
    ]


@router.observe
def remember_shown(context: Context, replies: list[Reply]) -> None:
    """Keep the ids the answer showed, so "source?" right after it can explain them."""
    if any(r.intent == "sources" for r in replies):
        return
    shown = [(r.kind, r.id) for reply in replies for r in reply.results]
    with context.services.db.shared_session() as session:  # the message's last write
        remember_results(  # the same results again write nothing
            session, _key(context), shown, context.language, context.services.clock.now()
        )
