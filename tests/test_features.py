"""The feature registry is checked when a bot (or its Slack app) is built, not when a message or a
schedule arrives: a command word claimed twice, a job defined twice or a listener nobody
provides stop start-up with a clear message."""

from __future__ import annotations

import pytest

from bot.features import Feature, FeatureError, all_jobs, check_features
from bot.replies import Reply
from bot.router import Context, Router
from commands import FEATURES
from integrations.runtime.wiring import SURFACES, build_router
from integrations.slack.app import LISTENERS, slack_listeners


def _router(*words: str) -> Router:
    router = Router()

    @router.command(*words, help_nb="t", help_en="t")
    def handler(context: Context, rest: str) -> Reply:
        return Reply(text=rest)

    return router


def test_the_shipped_features_fit_together_and_keep_the_dispatch_order() -> None:
    check_features(FEATURES, SURFACES)
    assert [f.name for f in FEATURES if f.router is not None] == [
        "status", "agenda", "news", "sources", "teachback", "teachback_admin", "ask",
    ]
    router = build_router()
    assert [r.names for r in router.routes] == [
        r.names for f in FEATURES if f.router is not None for r in f.router.routes
    ]
    assert {"digest", "agenda", "status_open", "question_log_purge"} <= set(all_jobs(FEATURES))
    assert slack_listeners(FEATURES) == ["status", "agenda", "teachback"]


def test_a_command_word_claimed_by_two_features_fails_at_build_time() -> None:
    features = (
        Feature("one", router=_router("hello", "hei")),
        Feature("two", router=_router("Hei")),
    )
    with pytest.raises(FeatureError, match="'hei' is claimed by both 'one' and 'two'"):
        check_features(features, SURFACES)


def test_a_job_defined_twice_or_a_feature_listed_twice_fails() -> None:
    def job(services: object, args: dict, occurrence: object) -> None:
        return None

    with pytest.raises(FeatureError, match="job 'ping' is defined by both 'a' and 'b'"):
        check_features((Feature("a", jobs={"ping": job}), Feature("b", jobs={"ping": job})),
                       SURFACES)
    with pytest.raises(FeatureError, match="'a' is listed twice"):
        check_features((Feature("a"), Feature("a")), SURFACES)


def test_a_listener_on_a_surface_nobody_provides_fails() -> None:
    with pytest.raises(FeatureError, match="expects a 'mattermost' listener"):
        check_features((Feature("polls", listeners=("mattermost",)),), SURFACES)


def test_slack_listeners_must_match_the_features_that_expect_them() -> None:
    without_agenda = tuple(f for f in FEATURES if f.name != "agenda")
    with pytest.raises(FeatureError, match="listener\\(s\\) agenda for no feature"):
        slack_listeners(without_agenda)
    wanting_more = (*FEATURES, Feature("polls", listeners=("slack",)))
    with pytest.raises(FeatureError, match="no Slack listener for feature\\(s\\) polls"):
        slack_listeners(wanting_more)
    assert set(LISTENERS) == {f.name for f in FEATURES if "slack" in f.listeners}
