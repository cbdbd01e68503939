"""`norcrin-bot teams package`: argparse wiring for the Teams app package (logic in `package`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from commands import FEATURES
from integrations.teams.package import SHORT_NAME_MAX, AppInfo, build_package, valid_version


def _name(value: str) -> str:
    if not value.strip() or len(value.strip()) > SHORT_NAME_MAX:
        raise argparse.ArgumentTypeError(f"must be 1 to {SHORT_NAME_MAX} characters")
    return value.strip()


def _https(value: str) -> str:
    if not value.startswith("https://") or len(value) > 2048:
        raise argparse.ArgumentTypeError("must be an https:// URL")
    return value


def _version(value: str) -> str:
    if not valid_version(value):
        raise argparse.ArgumentTypeError("must be MAJOR.MINOR.PATCH, e.g. 1.0.3")
    return value


def cmd_teams_package(args: argparse.Namespace, settings: Settings) -> int:
    routes = [route for feature in FEATURES if feature.router for route in feature.router.routes]
    info = AppInfo(name=args.name, developer_url=args.developer_url, version=args.app_version or "")
    path = build_package(settings, routes, Path(args.output), info)
    print(f"Teams app package written to {path}", file=sys.stderr)
    return 0


def register_cli(sub: Any) -> None:
    teams = sub.add_parser("teams", help="Microsoft Teams: the app package")
    actions = teams.add_subparsers(dest="teams_action", required=True, metavar="ACTION")
    package = actions.add_parser(
        "package", help="build the Teams app package (manifest.json, nb.json and icons) as a zip"
    )
    package.add_argument("-o", "--output", required=True, metavar="FILE",
                         help="the zip to write, e.g. norcrin-bot.zip")
    package.add_argument("--name", type=_name, default=AppInfo.name,
                         help=f"the app's name in Teams (default {AppInfo.name})")
    package.add_argument("--developer-url", type=_https, default=AppInfo.developer_url,
                         metavar="URL",
                         help="website, privacy and terms page (default %(default)s)")
    package.add_argument("--app-version", type=_version, metavar="X.Y.Z",
                         help="the app's version; raise it for each update (default: the bot's)")
    package.set_defaults(run=cmd_teams_package)
