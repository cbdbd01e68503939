"""Start-up checks: every configured destination must name a registered kind and a valid address.

A wrong `SECRETARIAT_CHANNEL` or a stored schedule whose kind no transport takes any more is
reported when the bot starts (exit 2, naming the setting or the schedule, secrets masked) rather
than as a failed post days later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings
from bot.destinations import TRANSPORTS, DestinationError, secretariat_destination

if TYPE_CHECKING:
    from bot.core import Services


def check_settings(settings: Settings) -> None:
    """`SECRETARIAT_CHANNEL` (a bare Slack id or any destination) must be one we can post to."""
    destination = secretariat_destination(settings)
    if destination is None:
        return
    try:
        TRANSPORTS.check(destination)
    except DestinationError as exc:
        raise ConfigError(f"SECRETARIAT_CHANNEL: {exc}") from None


def check_schedules(services: Services) -> None:
    """Every active schedule's destinations; one error naming each bad schedule."""
    # lazy: the worker checks them when it starts; `build_bot` only checks the settings
    from storage import schedules

    problems = []
    with services.db.session() as session:
        for row in schedules.active_schedules(session):
            for destination in row.destinations or []:
                try:
                    TRANSPORTS.check(destination)
                except DestinationError as exc:
                    problems.append(f"schedule {row.id} ({row.job}): {exc}")
    if problems:
        raise ConfigError(
            "; ".join(problems) + " (cancel it: `norcrin-bot schedule cancel ID`)"
        )
