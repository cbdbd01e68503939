"""The status feature's router: the `status` command, the interceptor through which an open form
claims a direct message, and the App Home section (the feature itself is `commands.status`).

Every chat answer runs the interceptor and every start builds the router, but only a status
command, an open form or an App Home needs the form engine, the campaigns and their messages:
those are imported (`commands.status`) when one of them is at hand. The common case, no open
form, is the one query here.
"""

from __future__ import annotations

from typing import Any

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
