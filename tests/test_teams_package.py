"""`norcrin-bot teams package`: a Teams app zip whose manifest validates against Microsoft's
manifest schema 1.22 (vendored in tests/data/teams), with right icons and the router's commands,
and a Norwegian localisation file in Microsoft's documented format (no copy of the localisation
schema is installed here, so `localization_problems` checks the documented structure)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from PIL import Image

from bot.config import load_settings
from bot.router import Route, Router
from bot.text import detect_language
from commands import FEATURES
from integrations.teams.package import (
    DESCRIPTION_MAX,
    MANIFEST_VERSION,
    TITLE_MAX,
    AppInfo,
    build_package,
    manifest,
    norwegian_strings,
)
from tests.test_cli import run

APP_ID = "0f6c2f7e-3b1a-4c55-9d2e-8a1b2c3d4e5f"
SCHEMA_FILE = (
    Path(__file__).parent / "data" / "teams" / f"v{MANIFEST_VERSION}" / "MicrosoftTeams.schema.json"
)


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    validator = Draft4Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)]


# Microsoft's localisation schema reference (v1.22): the keys a file may hold that this package
# can use, each a pattern and its maximum length; the first four are required.
REQUIRED_KEYS = {"name.short": 30, "name.full": 100, "description.short": 80,
                 "description.full": 4000}
COMMAND_KEYS = {
    r"bots\[0\]\.commandLists\[[0-2]\]\.commands\[[0-9]\]\.title": 32,
    r"bots\[0\]\.commandLists\[[0-2]\]\.commands\[[0-9]\]\.description": 128,
}
_SEGMENT = re.compile(r"([A-Za-z]+)((?:\[\d+\])*)")


def manifest_value(document: Any, key: str) -> Any:
    """What a localisation key (`bots[0].commandLists[1].commands[3].title`) names in the
    manifest, or None when the manifest has no such place."""
    node = document
    for segment in key.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None or not isinstance(node, dict) or match.group(1) not in node:
            return None
        node = node[match.group(1)]
        for index in map(int, re.findall(r"\d+", match.group(2))):
            if not isinstance(node, list) or index >= len(node):
                return None
            node = node[index]
    return node


def localization_problems(document: dict[str, Any], strings: dict[str, Any]) -> list[str]:
    """What in `strings` breaks the documented localisation format for the manifest `document`."""
    problems = []
    expected_schema = (f"/v{document['manifestVersion']}/MicrosoftTeams.Localization.schema.json")
    if not str(strings.get("$schema", "")).endswith(expected_schema):
        problems.append("$schema: not the localisation schema of the manifest's version")
    problems += [f"{key}: missing" for key in REQUIRED_KEYS if key not in strings]
    for key, value in strings.items():
        if key == "$schema":
            continue
        limit = REQUIRED_KEYS.get(key) or next(
            (most for pattern, most in COMMAND_KEYS.items() if re.fullmatch(pattern, key)), None
        )
        if limit is None:
            problems.append(f"{key}: not a documented key")
        elif not isinstance(value, str) or not value.strip() or len(value) > limit:
            problems.append(f"{key}: not a text of 1 to {limit} characters")
        if not isinstance(manifest_value(document, key), str):
            problems.append(f"{key}: names nothing in the manifest")
    for b, bot in enumerate(document.get("bots", [])):
        for c, entry in enumerate(bot.get("commandLists", [])):
            for n, _ in enumerate(entry["commands"]):
                for field in ("title", "description"):
                    key = f"bots[{b}].commandLists[{c}].commands[{n}].{field}"
                    if key not in strings:
                        problems.append(f"{key}: missing")
    return problems


def image(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    assert picture.format == "PNG"
    return picture


def rgba(picture: Image.Image) -> list[tuple[int, ...]]:
    data = picture.convert("RGBA").tobytes()
    return [tuple(data[i : i + 4]) for i in range(0, len(data), 4)]


def member_routes() -> list[Route]:
    return [
        r for f in FEATURES if f.router for r in f.router.routes if not r.admin_only
    ]


def test_cli_builds_a_valid_package(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "norcrin-bot.zip"
    result = run(["teams", "package", "-o", str(target)], sqlite_url, TEAMS_APP_ID=APP_ID)
    assert result.returncode == 0, result.stderr
    assert f"Teams app package written to {target}" in result.stderr
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "nb.json",
                                              "outline.png"]
        document = json.loads(archive.read("manifest.json"))
        color = image(archive.read(document["icons"]["color"]))
        outline = image(archive.read(document["icons"]["outline"]))
    assert schema_errors(document) == []
    assert document["manifestVersion"] == MANIFEST_VERSION
    assert document["$schema"].endswith(f"/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json")
    assert document["id"] == APP_ID and document["bots"][0]["botId"] == APP_ID
    assert document["version"].count(".") == 2

    assert color.size == (192, 192)
    assert len(set(rgba(color))) > 2  # a drawing, not a blank square
    assert all(alpha == 255 for *_, alpha in rgba(color))
    assert outline.size == (32, 32) and outline.mode == "RGBA"
    pixels = rgba(outline)
    assert all(alpha == 0 or (r, g, b) == (255, 255, 255) for r, g, b, alpha in pixels)
    assert sum(alpha == 0 for *_, alpha in pixels) > len(pixels) // 2  # transparent around it
    assert sum(alpha == 255 for *_, alpha in pixels) > 50  # and a visible white mark

    lists = document["bots"][0]["commandLists"]
    assert sorted(scope for entry in lists for scope in entry["scopes"]) == [
        "groupChat", "personal", "team"
    ]
    expected = [r.names[0] for r in member_routes()]
    for entry in lists:
        titles = [command["title"] for command in entry["commands"]]
        assert titles[0] == "help" and sorted(titles) == sorted(expected)
        assert "triage" not in titles and "taught" not in titles  # admin commands stay out
        by_title = {c["title"]: c["description"] for c in entry["commands"]}
        assert by_title["wp"] == "About a work package or group (wp CODE)"


def test_norwegian_teams_users_get_the_menu_in_bokmal(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "norcrin-bot.zip"
    result = run(["teams", "package", "-o", str(target)], sqlite_url, TEAMS_APP_ID=APP_ID)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(target) as archive:
        document = json.loads(archive.read("manifest.json"))
        languages = document["localizationInfo"]["additionalLanguages"]
        files = {entry["languageTag"]: json.loads(archive.read(entry["file"]))
                 for entry in languages}
    assert schema_errors(document) == []
    assert document["localizationInfo"]["defaultLanguageTag"] == "en"  # what the manifest says
    assert list(files) == ["nb"]  # Microsoft: a language-only tag serves every region (nb-NO)
    strings = files["nb"]
    assert localization_problems(document, strings) == []

    routes = member_routes()
    router = Router(routes=routes)
    help_route = next(r for r in routes if "help" in r.names)
    lists = document["bots"][0]["commandLists"]
    for c, entry in enumerate(lists):
        for n, command in enumerate(entry["commands"]):
            title = strings[f"bots[0].commandLists[{c}].commands[{n}].title"]
            description = strings[f"bots[0].commandLists[{c}].commands[{n}].description"]
            route, _ = router.find(command["title"])
            assert route is not None
            # Teams sends the picked title: it must reach the same command as the English one
            assert title in route.names and router.find(title)[0] is route
            assert description.lower().startswith(route.help_nb.lower())
            assert description != command["description"]
            assert detect_language(description, "en") == "nb", description
            assert len(title) <= TITLE_MAX and len(description) <= DESCRIPTION_MAX
    first, help_nb = "bots[0].commandLists[0].commands[0]", help_route.help_nb
    assert strings[f"{first}.title"] == help_route.word("nb") == "hjelp"
    assert strings[f"{first}.description"] == help_nb[:1].upper() + help_nb[1:]
    for field in ("short", "full"):
        assert strings[f"description.{field}"] != document["description"][field]
        assert detect_language(strings[f"description.{field}"], "en") == "nb"
    assert strings["name.short"] == document["name"]["short"]  # a name is not translated


def test_the_localisation_check_can_fail() -> None:
    document = manifest(APP_ID, member_routes(), AppInfo(version="1.0.0"))
    strings = norwegian_strings(document, member_routes())
    assert localization_problems(document, strings) == []
    broken = dict(strings)
    broken["$schema"] = broken["$schema"].replace(f"v{MANIFEST_VERSION}", "v1.5")
    del broken["name.full"]
    del broken["bots[0].commandLists[1].commands[2].description"]
    broken["bots[0].commandLists[0].commands[0].title"] = "h" * (TITLE_MAX + 1)
    broken["bots[0].commandLists[0].commands[9].title"] = "ekstra"  # no 10th command
    broken["bots[0].commandLists[3].commands[0].title"] = "ekstra"  # no 4th list
    broken["staticTabs[0].name"] = "Fane"
    problems = localization_problems(document, broken)
    assert any(p.startswith("$schema: ") for p in problems)
    assert "name.full: missing" in problems
    assert "bots[0].commandLists[1].commands[2].description: missing" in problems
    assert any(p.startswith("bots[0].commandLists[0].commands[0].title: not a text")
               for p in problems)
    assert "bots[0].commandLists[0].commands[9].title: names nothing in the manifest" in problems
    assert "bots[0].commandLists[3].commands[0].title: not a documented key" in problems
    assert "staticTabs[0].name: not a documented key" in problems


def test_same_input_gives_the_same_bytes(sqlite_url: str, tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": sqlite_url, "TEAMS_APP_ID": APP_ID})
    info = AppInfo(version="2.3.4")
    first = build_package(settings, member_routes(), tmp_path / "a.zip", info).read_bytes()
    second = build_package(settings, member_routes(), tmp_path / "b.zip", info).read_bytes()
    assert first == second
    assert list(tmp_path.iterdir()) and not list(tmp_path.glob(".teams-*"))


@pytest.mark.parametrize(
    "value, message",
    [
        ("", "norcrin-bot: configuration error: TEAMS_APP_ID is not set"),
        ("my-bot", "norcrin-bot: configuration error: TEAMS_APP_ID must be a GUID"),
    ],
)
def test_a_missing_or_malformed_app_id_is_one_line_naming_it(
    sqlite_url: str, tmp_path: Path, value: str, message: str
) -> None:
    target = tmp_path / "norcrin-bot.zip"
    result = run(["teams", "package", "-o", str(target)], sqlite_url, TEAMS_APP_ID=value)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def test_options_reach_the_manifest_and_bad_ones_are_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "p.zip"
    result = run(["teams", "package", "-o", str(target), "--name", "NorCRIN test",
                  "--developer-url", "https://norcrin.example/bot", "--app-version", "1.4.0"],
                 sqlite_url, TEAMS_APP_ID=APP_ID)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(target) as archive:
        document = json.loads(archive.read("manifest.json"))
    assert document["name"]["short"] == "NorCRIN test" and document["version"] == "1.4.0"
    assert document["developer"]["websiteUrl"] == "https://norcrin.example/bot"
    assert document["developer"]["privacyUrl"] == "https://norcrin.example/bot"
    assert schema_errors(document) == []
    for option, value in [("--developer-url", "http://x.no/"), ("--app-version", "1.4"),
                          ("--name", "N" * 31)]:
        bad = run(["teams", "package", "-o", str(tmp_path / "q.zip"), option, value],
                  sqlite_url, TEAMS_APP_ID=APP_ID)
        assert bad.returncode == 2 and option in bad.stderr
    result = run(["teams", "package"], sqlite_url, TEAMS_APP_ID=APP_ID)
    assert result.returncode == 2 and "-o/--output" in result.stderr
    assert not (tmp_path / "q.zip").exists()


def _many_routes(count: int) -> list[Route]:
    def handler(context: Any, rest: str) -> Any:
        return []

    return [
        Route((f"command{i}" + "x" * 40, f"kommando{i}" + "x" * 40), handler,
              "hjelpetekst " * 60, "help text " * 60, usage="ARG " * 9)
        for i in range(count)
    ] + [Route(("secret", "hemmelig"), handler, "skjult", "admins only", admin_only=True)]


def test_long_and_many_commands_are_trimmed_to_the_limits() -> None:
    document = manifest(APP_ID, _many_routes(14), AppInfo(version="1.0.0"))
    assert schema_errors(document) == []
    for entry in document["bots"][0]["commandLists"]:
        assert len(entry["commands"]) == 10
        assert all(len(c["title"]) <= TITLE_MAX and c["title"].endswith("…")
                   for c in entry["commands"])
        assert all(len(c["description"]) <= DESCRIPTION_MAX for c in entry["commands"])
        assert "secret" not in {c["title"] for c in entry["commands"]}
    strings = norwegian_strings(document, _many_routes(14))
    assert localization_problems(document, strings) == []
    titles = [v for k, v in strings.items() if k.endswith(".title")]
    descriptions = [v for k, v in strings.items() if k.endswith(".description")]
    assert len(titles) == len(descriptions) == 20  # ten per command list
    assert all(t.startswith("kommando") and t.endswith("…") and len(t) <= TITLE_MAX
               for t in titles)
    assert all(d.startswith("Hjelpetekst") and len(d) <= DESCRIPTION_MAX for d in descriptions)
    assert "hemmelig" not in titles


def test_the_schema_check_can_fail() -> None:
    document = manifest(APP_ID, member_routes(), AppInfo(version="1.0.0"))
    broken = json.loads(json.dumps(document))
    broken["id"] = "not-a-guid"
    broken["bots"][0]["commandLists"][0]["commands"] *= 2  # 16 > 10
    broken["name"]["short"] = "N" * 31
    errors = schema_errors(broken)
    assert any(e.startswith("id: ") for e in errors)
    assert any(e.startswith("bots/0/commandLists/0/commands: ") for e in errors)
    assert any(e.startswith("name/short: ") for e in errors)
