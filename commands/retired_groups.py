"""Groups that no longer exist, and facts the report only implies, in answers.

A question about a merged work package (AP4, AP5, AP6) is answered for its successor with one
line saying so; a role the data marks as inferred is labelled "(utledet)"/"(inferred)". Kept out of
`commands/ask.py` so the answering logic there stays about ranking.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from bot.i18n import t
from bot.questions import Question
from bot.replies import Note, Reply
from bot.roles import role_label
from bot.router import Context
from storage import directory
from storage.models import Membership


def successors(
    context: Context, session: Session, question: Question
) -> tuple[Question, list[str]]:
    """Retired groups (AP5 …) in the question are answered for the group that carries on their
    work, and the answer says so."""
    group_ids: list[str] = []
    notes: list[str] = []
    for group_id in question.group_ids:
        found = directory.successor(session, group_id)
        if found is None:
            if directory.group(session, group_id) is not None:
                group_ids.append(group_id)
            continue
        old, live = found
        year = f" {context.t('i', 'in')} {old.year}" if old.year else ""
        if old.year and (old.provenance or {}).get("inferred"):
            year = f" {context.t('omkring', 'around')} {old.year}"
        title = live.title(context.language)
        notes.append(
            context.t(
                f"{old.group_id} ({old.name('nb')}) finnes ikke lenger: den ble slått sammen "
                f"med {title}{year}. Svaret gjelder {live.id}.",
                f"{old.group_id} ({old.name('en')}) no longer exists: it was merged into "
                f"{title}{year}. The answer is for {live.id}.",
            )
            if old.event == "merged"
            else context.t(
                f"{old.group_id} heter nå {title}.", f"{old.group_id} is now called {title}."
            )
        )
        if live.id not in group_ids:
            group_ids.append(live.id)
    if not notes and len(group_ids) == len(question.group_ids):
        return question, []
    return dataclasses.replace(question, group_ids=tuple(group_ids)), notes


def with_notes(reply: Reply, notes: list[str]) -> Reply:
    if not notes:
        return reply
    return dataclasses.replace(
        reply,
        text="\n".join(notes) + "\n" + reply.text,
        parts=tuple(Note(n) for n in notes) + reply.parts,
    )


def role_text(membership: Membership, language: str) -> str:
    """'leder, AP8'; a role the report only implies is marked as inferred."""
    text = f"{role_label(membership.role, language)}, {membership.group_id}"
    if (membership.provenance or {}).get("inferred"):
        text += t(language, " (utledet)", " (inferred)")
    return text


def holder_name(holder: directory.RoleHolder, language: str) -> str:
    suffix = t(language, " (utledet)", " (inferred)") if holder.inferred else ""
    return holder.person.name + suffix
