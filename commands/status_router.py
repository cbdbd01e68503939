"""The status feature's router: the `status` command, the interceptor through which an open form
claims a direct message, and the App Home section (the feature itself is `commands.status`).

Every chat answer runs the interceptor and every start builds the router, but only a status
command, an open form or an App Home needs the form engine, the campaigns and their messages:
those are imported (`commands.status`) when one of them is at hand. The common case, no open
form, is the one query here.
"""

from __future__ import annotations

import re
from typing import Any

from bot.intents import WordSet, any_phrase, tokens
from bot.replies import Reply
from bot.router import Context, Router
from storage.forms import claims_next_message, respondent_key

router = Router()


@router.command(
    "status",
    help_nb="statusskjema for arbeidspakken din, eller en oversikt",
    help_en="your work package's status form, or an overview",
    usage="[GRUPPE | tabell]",
    usage_en="[GROUP | table]",
)
def status_command(ctx: Context, rest: str) -> list[Reply]:
    from commands import status  # lazy: see the module's docstring

    return status.status_command(ctx, rest)


@router.intercept
def claim_message(ctx: Context) -> list[Reply] | None:
    """An open filling (or a pending "which group?") claims the person's next direct message."""
    message = ctx.message
    if not message.direct or ctx.slash_command or message.surface == "home":
        return None  # a slash command, a channel message or the App Home is never a form answer
    services = ctx.services
    with services.db.shared_session() as session:
        if not claims_next_message(session, respondent_key(message.sender), services.clock.now()):
            return None  # the common case: no open form, one query in the message's unit
    from commands import status  # lazy: see the module's docstring

    return status.claimed_message(ctx)


@router.home
def home_section(ctx: Context) -> list[Any]:
    """The App Home: the person's pending forms with start buttons (and counts for admins)."""
    from commands import status  # lazy: see the module's docstring

    return status.home_section(ctx)


# A question about status reports: a status word with a report word or a submitted / missing /
# fill-in word ("har AP8 levert status?", "who hasn't sent their status report yet?"). A template
# or how-to question is a document's ("mal for statusrapport", "how do I write a status report").
_STATUS = WordSet.of("status statusen statusrapport statusrapporten statusrapporter statusskjema "
                     "statusskjemaet statusskjemaer statusrunde statusrunden statusmelding "
                     "statusrapportering")
_REPORT = WordSet.of("rapport rapporten report reports form forms skjema skjemaet runde round "
                     "update")
_SUBMIT = WordSet.of("levert levere leverer lever sendt sende sender send innsendt innsendte "
                     "submitted submit submitting sent delivered deliver missing mangler "
                     "manglende fylle fylt fyller fyll fill filled filling frist fristen deadline "
                     "due completed oversikt overview")
_DOCUMENT = WordSet.of("mal maler malen template templates eksempel example hvordan how skrive "
                       "write")
_ABOUT_ME = WordSet.of("jeg meg min mitt mine me my")
_ABOUT_OTHERS = WordSet.of("hvem who which hvilke hvilken alle everyone everybody nobody andre "
                           "others grupper groups arbeidspakker arbeidspakkene packages their "
                           "deres oversikt overview")
_ME_PHRASES = (("do", "i"), ("have", "i"), ("am", "i"), ("should", "i"), ("must", "i"),
               ("i", "need"), ("i", "have"), ("did", "i"))
_GROUP_CODE = re.compile(r"^(?:ap|wp)\d+$")


def status_question(text: str) -> str | None:
    """`status` for a question about the asker's own forms, `status tabell` for one about who
    has submitted; None for anything else."""
    found = tokens(text)
    if not _STATUS.any_in(found) or _DOCUMENT.any_in(found):
        return None
    if not (_REPORT.any_in(found) or _SUBMIT.any_in(found)):
        return None
    about_others = _ABOUT_OTHERS.any_in(found) or any(_GROUP_CODE.match(t) for t in found)
    about_me = _ABOUT_ME.any_in(found) or any_phrase(found, _ME_PHRASES)
    return "status" if about_me and not about_others else "status tabell"


@router.question
def status_command_for(ctx: Context) -> str | None:
    """"Har AP8 levert status?" is `status tabell`; "må jeg fylle ut statusrapport?" `status`."""
    return status_question(ctx.message.text)
