"""manifest.yaml asks for exactly what the code uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from integrations.slack.app import SLACK_BOT_EVENTS, SLACK_COMMAND, SLACK_SCOPES

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yaml").read_text())


def test_events_commands_scopes_match_the_code():
    settings = MANIFEST["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(SLACK_BOT_EVENTS)
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == [SLACK_COMMAND]
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(SLACK_SCOPES)
    assert settings["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_manifest_has_the_required_top_level_shape():
    assert MANIFEST["_metadata"]["major_version"] == 1
    assert MANIFEST["display_information"]["name"]
    assert MANIFEST["features"]["bot_user"]["display_name"]
    for command in MANIFEST["features"]["slash_commands"]:
        assert command["url"].endswith("/slack/events")
        assert len(command["description"]) <= 100
