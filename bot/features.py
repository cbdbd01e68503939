"""The feature registry's entry: one object per feature, declaring everything it plugs in.

`commands.FEATURES` lists them in dispatch order; the composition root builds the router, the
CLI, the job table and the worker hooks from that list, and checks it at start-up (a command word
claimed twice, a job name defined twice, a surface listener no surface provides fail there with a
clear error, never when a message or a schedule arrives).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.jobs import JobFunction
from bot.router import Router

if TYPE_CHECKING:
    from bot.core import Services

ServicesHook = Callable[["Services"], None]


class FeatureError(Exception):
    """The features do not fit together (found at start-up)."""


@dataclass(frozen=True)
class CliCommands:
    """Top-level sub-commands that `module`'s `register_cli(sub)` adds (argparse sub-parsers;
    see bot.terminal.cli_tools), named here with their one-line help.

    Named, not imported: the CLI imports `module` only when one of `commands` runs or the full
    command list is printed, so `norcrin-bot ask` does not load every feature's CLI code.
    `tests/test_cli_registry.py` checks the names and help against what the module adds.
    """

    module: str
    commands: tuple[tuple[str, str], ...]  # (name, help), in the order the module adds them

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _help in self.commands)


@dataclass(frozen=True)
class Feature:
    """A feature: its chat router, CLI sub-commands, jobs, worker hooks and surface listeners.

    `listeners` names the surfaces whose listener for this feature (registered under the
    feature's `name`) it needs, e.g. `("slack",)` for buttons and modals; `cli` names the module
    that adds the feature's sub-commands.
    """

    name: str
    router: Router | None = None
    cli: CliCommands | None = None
    jobs: Mapping[str, JobFunction] = field(default_factory=dict)
    worker_start: tuple[ServicesHook, ...] = ()
    listeners: tuple[str, ...] = ()


def check_features(features: tuple[Feature, ...], surfaces: frozenset[str]) -> None:
    """Raise FeatureError for a duplicate feature name, command word or job name, or a listener
    on a surface nobody provides."""
    names: set[str] = set()
    words: dict[str, str] = {}
    jobs: dict[str, str] = {}
    for feature in features:
        if feature.name in names:
            raise FeatureError(f"feature {feature.name!r} is listed twice")
        names.add(feature.name)
        for surface in feature.listeners:
            if surface not in surfaces:
                raise FeatureError(
                    f"feature {feature.name!r} expects a {surface!r} listener, but no surface "
                    f"provides {surface!r} (known: {', '.join(sorted(surfaces))})"
                )
        for route in feature.router.routes if feature.router else ():
            for word in route.names:
                if word in words:
                    raise FeatureError(
                        f"command word {word!r} is claimed by both {words[word]!r} and "
                        f"{feature.name!r}"
                    )
                words[word] = feature.name
        for job in feature.jobs:
            if job in jobs:
                raise FeatureError(
                    f"job {job!r} is defined by both {jobs[job]!r} and {feature.name!r}"
                )
            jobs[job] = feature.name


def surface_listeners(
    features: tuple[Feature, ...], surface: str, shown: str, registered: Collection[str]
) -> list[str]:
    """The feature names whose `surface` listeners to register, in feature order. A feature
    expecting a listener the surface lacks, or a listener for no such feature, is a
    FeatureError (`shown` names the surface in it: "Slack", "Teams")."""
    expecting = [f.name for f in features if surface in f.listeners]
    missing = [name for name in expecting if name not in registered]
    if missing:
        raise FeatureError(f"no {shown} listener for feature(s) {', '.join(missing)}")
    orphans = sorted(set(registered) - set(expecting))
    if orphans:
        raise FeatureError(
            f"{shown} listener(s) {', '.join(orphans)} for no feature that expects one"
        )
    return expecting


def all_jobs(features: tuple[Feature, ...]) -> dict[str, JobFunction]:
    """Every feature's jobs by name (what `schedules.job` stores)."""
    return {name: fn for feature in features for name, fn in feature.jobs.items()}
