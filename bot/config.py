"""Settings read from the environment (and an optional `.env`), validated once at start-up.

A wrong setting must give the operator one clear line, not a traceback: every problem is raised as
`ConfigError` with the variable's name in it, and the CLI prints just that message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from dotenv import dotenv_values

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_TEAMS_OPENID_METADATA_URL = (
    "https://login.botframework.com/v1/.well-known/openidconfiguration"
)
DEFAULT_TEAMS_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
LANGUAGES = ("nb", "en")


@dataclass(frozen=True)
class HttpLimits:
    """Limits of the HTTP edge (`serve --http`): every value is an `HTTP_*` variable."""

    max_body: int = 1_000_000  # HTTP_MAX_BODY bytes; larger bodies get 413 unread
    read_timeout: float = 10.0  # HTTP_READ_TIMEOUT s without a byte closes the connection
    body_timeout: float = 15.0  # HTTP_BODY_TIMEOUT s to receive a whole body (408)
    keep_alive: float = 5.0  # HTTP_KEEP_ALIVE s an idle kept-alive connection stays open
    backlog: int = 2048  # HTTP_BACKLOG pending connections the kernel queues
    max_in_flight: int = 256  # HTTP_MAX_IN_FLIGHT requests at once; more get 503
    threads: int = 32  # HTTP_THREADS threads dispatching requests into the bolt app


_HTTP_LIMIT_VARS = {
    "HTTP_MAX_BODY": "max_body",
    "HTTP_READ_TIMEOUT": "read_timeout",
    "HTTP_BODY_TIMEOUT": "body_timeout",
    "HTTP_KEEP_ALIVE": "keep_alive",
    "HTTP_BACKLOG": "backlog",
    "HTTP_MAX_IN_FLIGHT": "max_in_flight",
    "HTTP_THREADS": "threads",
}


def http_limits(get: Callable[[str], str | None]) -> HttpLimits:
    """HttpLimits from `HTTP_*` variables; a malformed one stops start-up, named."""
    values: dict[str, float | int] = {}
    for name, attr in _HTTP_LIMIT_VARS.items():
        raw = get(name)
        if raw is None:
            continue
        kind = type(getattr(HttpLimits, attr))
        try:
            value = kind(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise ConfigError(f"{name}={raw!r} must be a positive {kind.__name__}.")
        values[attr] = value
    return HttpLimits(**values)  # type: ignore[arg-type]


class ConfigError(Exception):
    """A setting is missing or malformed; the message is safe to print as is."""


@dataclass(frozen=True)
class TeamsSettings:
    """The Teams bot (`TEAMS_*`): its Entra app, and where tokens are checked and fetched."""

    app_id: str
    tenant_id: str | None  # None only with TEAMS_MULTI_TENANT=1
    app_password: str | None = field(default=None, repr=False)
    cert_path: str | None = None  # PEM with the private key and the certificate
    openid_metadata_url: str = DEFAULT_TEAMS_OPENID_METADATA_URL
    token_url: str = DEFAULT_TEAMS_TOKEN_URL  # "{tenant}" is filled in

    @property
    def token_endpoint(self) -> str:
        return self.token_url.replace("{tenant}", self.tenant_id or "botframework.com")


def teams_settings(get: Callable[[str], str | None]) -> TeamsSettings | None:
    """TeamsSettings when the bot has an app id and a credential (TEAMS_APP_ID alone is enough
    for `teams package`, not for serving); a half-configured bot stops start-up, named."""
    app_id = get("TEAMS_APP_ID")
    password, cert = get("TEAMS_APP_PASSWORD"), get("TEAMS_CERT_PATH")
    if not password and not cert:
        return None
    if app_id is None:
        raise ConfigError("TEAMS_APP_PASSWORD or TEAMS_CERT_PATH is set: set TEAMS_APP_ID too.")
    if cert and not Path(cert).is_file():
        raise ConfigError(f"TEAMS_CERT_PATH={cert!r} is not a readable file.")
    tenant = get("TEAMS_TENANT_ID")
    multi = (get("TEAMS_MULTI_TENANT") or "").lower() in ("1", "true", "yes")
    if tenant is None and not multi:
        raise ConfigError(
            "TEAMS_TENANT_ID is not set (the bot is single-tenant; set TEAMS_MULTI_TENANT=1 "
            "for a multi-tenant registration)."
        )
    urls = {}
    for name in ("TEAMS_OPENID_METADATA_URL", "TEAMS_TOKEN_URL"):
        value = get(name)
        if value and not value.startswith(("http://", "https://")):
            raise ConfigError(f"{name}={value!r} must be an http(s) URL.")
        urls[name] = value
    return TeamsSettings(
        app_id=app_id,
        tenant_id=None if multi else tenant,
        app_password=password,
        cert_path=cert,
        openid_metadata_url=urls["TEAMS_OPENID_METADATA_URL"] or DEFAULT_TEAMS_OPENID_METADATA_URL,
        token_url=urls["TEAMS_TOKEN_URL"] or DEFAULT_TEAMS_TOKEN_URL,
    )


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    database_url: str
    language: str = "nb"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Oslo"))
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    admins: frozenset[str] = frozenset()
    graph_base_url: str = DEFAULT_GRAPH_BASE_URL
    azure_tenant_id: str | None = None
    azure_client_id: str | None = None
    azure_client_secret: str | None = None
    graph_access_token: str | None = None
    graph_mail_sender: str | None = None
    graph_token_store: str | None = None
    news_feed_url: str | None = None
    news_feed_max_bytes: int = 5_000_000
    news_feed_timeout: float = 30.0
    secretariat_channel: str | None = None
    http: HttpLimits = field(default_factory=HttpLimits)
    import_max_bytes: int = 10_000_000
    form_idle_minutes: int = 30  # an open form pauses after this long without an answer
    question_log_days: int = 180
    teams_app_id: str | None = None  # the bot's Microsoft App ID (Teams app package)
    teams: TeamsSettings | None = None  # None: Teams (POST /api/messages) is not served

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def teams_enabled(self) -> bool:
        return self.teams is not None

    def require_slack(self, *, socket_mode: bool) -> None:
        """Fail early, naming the variable, when Slack cannot be served with these settings."""
        if not self.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is not set (a bot token starting with xoxb-).")
        if not self.slack_bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")
        if socket_mode:
            if not (self.slack_app_token or "").startswith("xapp-"):
                raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-.")
        elif not (self.slack_signing_secret or "").strip():
            raise ConfigError("SLACK_SIGNING_SECRET is not set (needed to verify Slack requests).")


def require_graph(settings: Settings) -> None:
    """Stop with one line when no way to reach Microsoft Graph is configured."""
    app_only = bool(
        settings.azure_tenant_id and settings.azure_client_id and settings.azure_client_secret
    )
    store = settings.graph_token_store
    delegated = bool(store and Path(store).expanduser().exists())
    if not (settings.graph_access_token or app_only or delegated):
        raise ConfigError(
            "Microsoft Graph is not configured: set GRAPH_ACCESS_TOKEN, "
            "AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, or sign in with "
            "`norcrin-bot graph login` (GRAPH_TOKEN_STORE)."
        )


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("norcrin-bot", appauthor=False))
    return f"sqlite:///{data_dir / 'norcrin-bot.sqlite3'}"


def _read_dotenv(path: Path) -> dict[str, str]:
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _number(
    get: Callable[[str], str | None], name: str, default: float, *, integer: bool = False
) -> float:
    """A positive limit from the environment; anything else is a ConfigError naming it."""
    raw = get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = 0
    if not value > 0:
        kind = "a positive whole number" if integer else "a positive number of seconds"
        raise ConfigError(f"{name}={raw!r} must be {kind}.")
    return value


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: Path | None = None) -> Settings:
    """Build settings from `env` (default: the process environment plus `./.env`)."""
    if env is None:
        merged: dict[str, str] = {}
        dotenv_path = dotenv if dotenv is not None else Path.cwd() / ".env"
        if dotenv_path.is_file():
            merged.update(_read_dotenv(dotenv_path))
        merged.update(os.environ)
        env = merged

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value and value.strip() else None

    language = (get("BOT_LANGUAGE") or "nb").lower()
    if language in ("no", "nob", "norwegian", "norsk"):
        language = "nb"
    if language not in LANGUAGES:
        raise ConfigError(f"BOT_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {language!r}.")

    tz_name = get("TZ") or "Europe/Oslo"
    if tz_name.startswith(":"):
        tz_name = tz_name[1:]
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TZ={tz_name!r} is not a known time zone (e.g. Europe/Oslo).") from None

    database_url = get("DATABASE_URL") or default_database_url()
    if "://" not in database_url:
        raise ConfigError(
            f"DATABASE_URL={database_url!r} is not a database URL "
            "(e.g. sqlite:///path/bot.sqlite3 or postgresql+psycopg://user@host/db)."
        )
    if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    for name in ("SLACK_API_URL", "GRAPH_BASE_URL"):
        value = get(name)
        if value and not value.startswith(("http://", "https://")):
            raise ConfigError(f"{name}={value!r} must be an http(s) URL.")

    feed_max_bytes = _number(get, "NEWS_FEED_MAX_BYTES", 5_000_000, integer=True)
    feed_timeout = _number(get, "NEWS_FEED_TIMEOUT", 30.0)
    import_max_bytes = 10_000_000
    raw_max = get("IMPORT_MAX_BYTES")
    if raw_max is not None:
        if not raw_max.isdigit() or int(raw_max) < 1:
            raise ConfigError(f"IMPORT_MAX_BYTES={raw_max!r} must be a positive number of bytes.")
        import_max_bytes = int(raw_max)
    idle = get("FORM_IDLE_MINUTES") or "30"
    if not idle.strip().isdigit() or int(idle) < 1:
        raise ConfigError(f"FORM_IDLE_MINUTES={idle!r} must be a whole number of minutes (>= 1).")

    admins = frozenset(
        a for a in (get("BOT_ADMINS") or "").replace(";", ",").split(",") if a.strip()
    )
    days = get("QUESTION_LOG_DAYS") or "180"
    if not days.isdigit() or int(days) < 1:
        raise ConfigError(
            f"QUESTION_LOG_DAYS must be a whole number of days (1 or more), not {days!r}."
        )
    return Settings(
        database_url=database_url,
        language=language,
        timezone=timezone,
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
        admins=frozenset(a.strip() for a in admins),
        graph_base_url=(get("GRAPH_BASE_URL") or DEFAULT_GRAPH_BASE_URL).rstrip("/"),
        azure_tenant_id=get("AZURE_TENANT_ID"),
        azure_client_id=get("AZURE_CLIENT_ID"),
        azure_client_secret=get("AZURE_CLIENT_SECRET"),
        graph_access_token=get("GRAPH_ACCESS_TOKEN"),
        graph_mail_sender=get("GRAPH_MAIL_SENDER"),
        graph_token_store=get("GRAPH_TOKEN_STORE"),
        news_feed_url=get("NEWS_FEED_URL"),
        news_feed_max_bytes=int(feed_max_bytes),
        news_feed_timeout=feed_timeout,
        secretariat_channel=get("SECRETARIAT_CHANNEL"),
        http=http_limits(get),
        import_max_bytes=import_max_bytes,
        form_idle_minutes=int(idle),
        question_log_days=int(days),
        teams_app_id=get("TEAMS_APP_ID"),
        teams=teams_settings(get),
    )
