"""Teams listeners are keyed by feature name and checked against `commands.FEATURES` when the
Teams app is built, like Slack's."""

from __future__ import annotations

import pytest

from bot.features import Feature, FeatureError
from commands import FEATURES
from integrations.teams.build import LISTENERS, teams_listeners


def test_teams_listeners_must_match_the_features_that_expect_them() -> None:
    without_agenda = tuple(f for f in FEATURES if f.name != "agenda")
    with pytest.raises(FeatureError, match="listener\\(s\\) agenda for no feature"):
        teams_listeners(without_agenda)
    wanting_more = (*FEATURES, Feature("polls", listeners=("teams",)))
    with pytest.raises(FeatureError, match="no Teams listener for feature\\(s\\) polls"):
        teams_listeners(wanting_more)
    assert set(LISTENERS) == {f.name for f in FEATURES if "teams" in f.listeners}
    assert teams_listeners(FEATURES) == ["status", "agenda", "teachback"]
