"""The Teams app package: `manifest.json`, its Norwegian strings, a colour and an outline icon,
zipped for upload.

Teams installs a bot from a zip with those files at its root (Teams admin centre, or the
Developer Portal's "Import app"). The manifest follows schema 1.22; its command menu is taken from
the router's routes, so Teams suggests exactly what the bot answers. English is the manifest's own
language; `nb.json` (Microsoft's localisation file) gives Teams users whose language is Norwegian
the name, descriptions and command menu in bokmål, from the routes' nb texts. The icons are drawn
here and written as PNG with zlib/struct, so building a package needs no imaging library. The same
inputs give the same bytes (fixed zip timestamps), so a package can be rebuilt and compared.
"""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings
from bot.i18n import Text
from bot.router import Route

MANIFEST_VERSION = "1.22"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
MAX_COMMANDS = 10  # per command list, the schema's maxItems
TITLE_MAX = 32  # Teams shows at most 32 characters of a command title (the schema allows 128)
DESCRIPTION_MAX = 128  # Teams' limit for a command description (the schema allows 4000)
SHORT_NAME_MAX = 30
FULL_NAME_MAX = 100
SHORT_DESCRIPTION_MAX = 80
# Microsoft: the default language is the last fallback; language-only tags ("en", not "en-us")
# cover every region, so "nb" serves nb-NO. Its file follows the localisation schema of the same
# version as the manifest.
DEFAULT_LANGUAGE = "en"
NORWEGIAN = "nb"
NORWEGIAN_FILE = f"{NORWEGIAN}.json"
LOCALIZATION_SCHEMA_URL = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.Localization.schema.json"
)
ACCENT = "#00558C"
COLOR_ICON, OUTLINE_ICON = "color.png", "outline.png"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")

Pixel = tuple[int, int, int, int]

SHORT_DESCRIPTION = Text(
    "Spør om NorCRINs folk, arbeidspakker og SOP-er.",
    "Ask about NorCRIN's people, work packages and SOPs.",
)
FULL_DESCRIPTION = Text(
    "Chatboten til NorCRIN, Norwegian Clinical Research Infrastructure Network. Spør på norsk "
    "eller engelsk hvem som leder en arbeidspakke, hvem du kan kontakte ved et sykehus, eller "
    "hvilken SOP som gjelder en oppgave; svar på arbeidspakkens statusskjema; les og foreslå "
    "saker til dagsordenen; få nyhetsbrevet.",
    "The chat bot of NorCRIN, the Norwegian Clinical Research Infrastructure Network. "
    "Ask in Norwegian or English who leads a work package, who to contact at a "
    "hospital, or which SOP covers a task; answer your work package's status form; "
    "read and propose agenda items; get the news digest.",
)


@dataclass(frozen=True)
class AppInfo:
    """What the package says about the app besides its id and commands."""

    name: str = "NorCRIN-bot"
    developer: str = "NorCRIN"
    developer_url: str = "https://www.norcrin.no/"
    version: str = ""  # default: the installed norcrin-bot version


def require_app_id(settings: Settings) -> str:
    """The bot's Microsoft App ID, or one line naming TEAMS_APP_ID."""
    app_id = settings.teams_app_id
    if not app_id:
        raise ConfigError(
            "TEAMS_APP_ID is not set (the bot's Microsoft App ID, from its Azure Bot resource "
            "or the Teams Developer Portal)."
        )
    if not _GUID.fullmatch(app_id):
        raise ConfigError("TEAMS_APP_ID must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).")
    return app_id


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _menu_routes(routes: Iterable[Route]) -> list[Route]:
    """The routes the menu offers: members' ones (no admin ones), `help` first, at most ten."""
    members = [route for route in routes if not route.admin_only and route.names]
    members.sort(key=lambda route: "help" not in route.names)  # stable: otherwise router order
    chosen: list[Route] = []
    seen: set[str] = set()
    for route in members:
        title = _trim(route.names[0], TITLE_MAX)
        if title not in seen:
            seen.add(title)
            chosen.append(route)
    return chosen[:MAX_COMMANDS]


def bot_commands(routes: Iterable[Route], language: str = "en") -> list[dict[str, str]]:
    """The command menu in `language`: members' routes (no admin ones), `help` first, at most ten;
    the same routes in the same order in every language, so entry N is the same command."""
    commands: list[dict[str, str]] = []
    seen: set[str] = set()
    for route in _menu_routes(routes):
        word = route.word(language)
        usage = route.synopsis(language)[len(word):].strip()  # argument names
        if _trim(word, TITLE_MAX) in seen:  # two routes sharing a word: each keeps its own
            word = route.names[0]
        title = _trim(word, TITLE_MAX)
        seen.add(title)
        text = route.help(language).strip()
        text = text[:1].upper() + text[1:]
        mentioned = re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)
        description = f"{text} ({title} {usage})" if usage and not mentioned else text
        commands.append({"title": title, "description": _trim(description, DESCRIPTION_MAX)})
    return commands


def manifest(app_id: str, routes: Iterable[Route], info: AppInfo | None = None) -> dict[str, Any]:
    """`manifest.json` for one bot in personal chat, channels and group chats."""
    info = info or AppInfo()
    version = info.version or _installed_version()
    commands = bot_commands(routes)
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": _trim(info.developer, 32),
            "websiteUrl": info.developer_url,
            "privacyUrl": info.developer_url,
            "termsOfUseUrl": info.developer_url,
        },
        "name": {
            "short": _trim(info.name, SHORT_NAME_MAX),
            "full": _trim(info.name, FULL_NAME_MAX),
        },
        "description": {
            "short": _trim(SHORT_DESCRIPTION.en, SHORT_DESCRIPTION_MAX),
            "full": FULL_DESCRIPTION.en,
        },
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": commands},
                    {"scopes": ["team", "groupChat"], "commands": commands},
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "localizationInfo": {
            "defaultLanguageTag": DEFAULT_LANGUAGE,
            "additionalLanguages": [{"languageTag": NORWEGIAN, "file": NORWEGIAN_FILE}],
        },
    }


def norwegian_strings(
    document: dict[str, Any], routes: Iterable[Route], info: AppInfo | None = None
) -> dict[str, str]:
    """`nb.json` for the manifest `document`: name, descriptions and one title and description
    per command of each command list, keyed by their paths in the manifest (Microsoft's
    localisation format), from the same routes in the same order as the English menu."""
    info = info or AppInfo()
    strings = {
        "$schema": LOCALIZATION_SCHEMA_URL,
        "name.short": _trim(info.name, SHORT_NAME_MAX),  # a name: the same in both languages
        "name.full": _trim(info.name, FULL_NAME_MAX),
        "description.short": _trim(SHORT_DESCRIPTION.nb, SHORT_DESCRIPTION_MAX),
        "description.full": FULL_DESCRIPTION.nb,
    }
    commands = bot_commands(routes, NORWEGIAN)
    for bot_index, bot in enumerate(document["bots"]):
        for list_index, entry in enumerate(bot.get("commandLists", [])):
            for index, _ in enumerate(entry["commands"]):
                path = f"bots[{bot_index}].commandLists[{list_index}].commands[{index}]"
                strings[f"{path}.title"] = commands[index]["title"]
                strings[f"{path}.description"] = commands[index]["description"]
    return strings


def _installed_version() -> str:
    try:
        found = package_version("norcrin-bot")
    except PackageNotFoundError:
        return "1.0.0"
    match = _SEMVER.match(found)
    return match.group(0) if match else "1.0.0"


def valid_version(value: str) -> bool:
    """Teams wants plain MAJOR.MINOR.PATCH and a higher one for each update of the app."""
    return bool(_SEMVER.fullmatch(value))


# --- icons -----------------------------------------------------------------------------------


def png(width: int, height: int, pixel: Callable[[float, float], Pixel]) -> bytes:
    """An 8-bit RGBA PNG; `pixel(u, v)` gets the pixel centre in 0..1 coordinates."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel((x + 0.5) / width, (y + 0.5) / height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def _in_letter(u: float, v: float) -> bool:
    """The letter N in the unit square: two stems and the diagonal between them."""
    if not 0.24 <= v <= 0.76:
        return False
    if 0.25 <= u <= 0.37 or 0.63 <= u <= 0.75:
        return True
    # the diagonal from the top of the left stem to the bottom of the right one
    t = (v - 0.24) / 0.52
    centre = 0.31 + t * 0.38
    return abs(u - centre) <= 0.075


def _coverage(u: float, v: float, size: int, inside: Callable[[float, float], bool]) -> float:
    """The share of a pixel inside the shape (4×4 samples), for smooth edges."""
    step = 1 / (4 * size)
    hits = sum(
        inside(u + (i - 1.5) * step, v + (j - 1.5) * step) for i in range(4) for j in range(4)
    )
    return hits / 16


def _accent() -> tuple[int, int, int]:
    return int(ACCENT[1:3], 16), int(ACCENT[3:5], 16), int(ACCENT[5:7], 16)


def color_icon(size: int = 192) -> bytes:
    """The colour icon: a white N on the accent colour, full bleed (Teams rounds the corners)."""
    red, green, blue = _accent()

    def pixel(u: float, v: float) -> Pixel:
        share = _coverage(u, v, size, _in_letter)
        mix = [round(c + (255 - c) * share) for c in (red, green, blue)]
        return mix[0], mix[1], mix[2], 255

    return png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    """The outline icon: the N in white on a transparent background, as Teams requires."""

    def pixel(u: float, v: float) -> Pixel:
        return 255, 255, 255, round(255 * _coverage(u, v, size, _in_letter))

    return png(size, size, pixel)


# --- the zip ---------------------------------------------------------------------------------


def package_files(app_id: str, routes: Sequence[Route], info: AppInfo | None = None
                  ) -> dict[str, bytes]:
    document = manifest(app_id, routes, info)
    return {
        "manifest.json": _json(document),
        NORWEGIAN_FILE: _json(norwegian_strings(document, routes, info)),
        COLOR_ICON: color_icon(),
        OUTLINE_ICON: outline_icon(),
    }


def _json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def build_package(
    settings: Settings, routes: Sequence[Route], output: Path, info: AppInfo | None = None
) -> Path:
    """Write the app package to `output` (replaced whole, never left half-written)."""
    app_id = require_app_id(settings)
    files = package_files(app_id, routes, info)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".teams-", suffix=".zip", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for name, data in files.items():
                entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output
