"""Settings read from the environment (and a `.env` file), validated once at start-up.

A bad setting must stop the command with one line naming the variable, never a traceback,
so every check raises ConfigError with the variable and what it should hold.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# Where Slack's response_urls point; replies go nowhere else (the local stand-in and tests set their own).
DEFAULT_SLACK_HOOKS_URL = "https://hooks.slack.com/"
DEFAULT_DATABASE_URL = "sqlite:///touchpoint.db"
# Messages a second one scheduler process posts across the workspace. Slack allows about one a second per
# conversation and publishes no workspace-wide number; 50 stays well inside what it accepts, and a 429 is
# waited out anyway.
DEFAULT_MESSAGES_PER_SECOND = 50.0
# A customer you own with no touchpoint for this many days is listed as gone quiet on your Home tab.
DEFAULT_QUIET_AFTER_DAYS = 30
MAX_QUIET_AFTER_DAYS = 3650
# gunicorn worker processes of `touchpoint serve`: each holds the app and its customer indexes in memory.
DEFAULT_WEB_CONCURRENCY = 2
MAX_WEB_CONCURRENCY = 64
# Requests a minute one HTTP API token may make; a batch of 500 touchpoints counts as one request.
DEFAULT_API_RATE_PER_MINUTE = 600
MAX_API_RATE_PER_MINUTE = 1_000_000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The bot scopes an OAuth install asks for (manifest.yml's): an install granting fewer is refused.
DEFAULT_BOT_SCOPES = (
    "commands",
    "channels:history",
    "channels:join",
    "channels:read",
    "chat:write",
    "chat:write.public",
    "files:write",
    "groups:history",
    "groups:read",
    "im:write",
    "users:read",
    "users:read.email",
    "mpim:read",
    "team:read",
)


class ConfigError(Exception):
    def __init__(self, variable: str, expected: str, value: str | None = None) -> None:
        problem = "is not set" if value is None else f"is {value!r}"
        super().__init__(f"{variable} {problem}; it should be {expected}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    port: int
    default_tz: ZoneInfo
    # Where follow-ups of people who left go when their customer has no owner (a channel id), if anywhere.
    admin_channel: str | None = None
    slack_messages_per_second: float = DEFAULT_MESSAGES_PER_SECOND
    quiet_after_days: int = DEFAULT_QUIET_AFTER_DAYS
    slack_hooks_url: str = DEFAULT_SLACK_HOOKS_URL
    log_level: int = logging.INFO
    web_concurrency: int = DEFAULT_WEB_CONCURRENCY
    api_rate_per_minute: int = DEFAULT_API_RATE_PER_MINUTE
    # OAuth v2 (set both): each installation's own bot token from the store, instead of SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_scopes: tuple[str, ...] = DEFAULT_BOT_SCOPES

    @property
    def oauth_enabled(self) -> bool:
        """Whether the app is installed through OAuth (many installations) rather than with one bot token."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def require_bot_token(self) -> Settings:
        """A command that talks to Slack needs a bot token, or OAuth to find each installation's."""
        return self if self.oauth_enabled else self.require("SLACK_BOT_TOKEN")

    def require(self, *names: str) -> Settings:
        """Fail with the documented one-line error when a command needs a setting that is unset."""
        for name in names:
            if not getattr(self, name.lower()):
                raise ConfigError(name, _EXPECTED[name])
        return self


_EXPECTED = {
    "SLACK_BOT_TOKEN": "a bot token starting with xoxb- (OAuth & Permissions page of your Slack app)",
    "SLACK_SIGNING_SECRET": "the signing secret from the Basic Information page of your Slack app",
    "SLACK_APP_TOKEN": "an app-level token starting with xapp- with the connections:write scope",
    "SLACK_CLIENT_ID": "the Client ID from the Basic Information page of your Slack app, set with SLACK_CLIENT_SECRET",
    "SLACK_CLIENT_SECRET": "the Client Secret from the Basic Information page of your Slack app, set with"
    " SLACK_CLIENT_ID",
    "SLACK_SCOPES": "bot scopes separated by commas, such as commands,chat:write (unset: the manifest's)",
    "SLACK_API_URL": "an http(s) URL of the Slack Web API ending in /, such as https://slack.com/api/",
    "SLACK_HOOKS_URL": "an http(s) URL of the host Slack's response_urls point to, such as https://hooks.slack.com/",
    "DATABASE_URL": "a SQLAlchemy URL such as sqlite:///touchpoint.db or postgresql://user@host/db",
    "PORT": "a TCP port number between 1 and 65535",
    "DEFAULT_TZ": "an IANA time zone name such as Europe/Berlin or America/New_York",
    "ADMIN_CHANNEL": "a Slack channel id such as C0123456789 (not its name), or unset",
    "SLACK_MESSAGES_PER_SECOND": "a number of messages a second above 0, such as 50",
    "QUIET_AFTER_DAYS": f"a whole number of days from 1 to {MAX_QUIET_AFTER_DAYS}, such as 30",
    "LOG_LEVEL": "one of " + ", ".join(LOG_LEVELS) + " (any case)",
    "WEB_CONCURRENCY": f"a whole number of worker processes from 1 to {MAX_WEB_CONCURRENCY}, such as 2",
    "API_RATE_PER_MINUTE": f"a whole number of requests a minute per API token from 1 to {MAX_API_RATE_PER_MINUTE:,}"
    ", such as 600",
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    client_id, client_secret = _oauth_client(env)
    return Settings(
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_scopes=_scopes(env),
        slack_bot_token=_oauth_or_token(env, client_id),
        slack_signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
        slack_app_token=_token(env, "SLACK_APP_TOKEN", "xapp-"),
        slack_api_url=_api_url(env),
        database_url=normalize_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
        port=_port(env),
        default_tz=_zone(env),
        admin_channel=_channel(env, "ADMIN_CHANNEL"),
        slack_messages_per_second=_positive(env, "SLACK_MESSAGES_PER_SECOND", DEFAULT_MESSAGES_PER_SECOND),
        quiet_after_days=_count(env, "QUIET_AFTER_DAYS", DEFAULT_QUIET_AFTER_DAYS, MAX_QUIET_AFTER_DAYS),
        slack_hooks_url=_hooks_url(env),
        log_level=_log_level(env),
        web_concurrency=_workers(env),
        api_rate_per_minute=_count(env, "API_RATE_PER_MINUTE", DEFAULT_API_RATE_PER_MINUTE, MAX_API_RATE_PER_MINUTE),
    )


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


# Tokens, secrets and URLs are printable ASCII without spaces: anything else was pasted along with them.
_VISIBLE_ASCII = re.compile(r"[!-~]+")


def _token(env: Mapping[str, str], name: str, prefix: str) -> str | None:
    value = _optional(env, name)
    if value is not None and not (value.startswith(prefix) and _VISIBLE_ASCII.fullmatch(value)):
        raise ConfigError(name, _EXPECTED[name], value[:8] + "…")
    return value


def _oauth_client(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, both or neither: one alone is an OAuth setup half done."""
    client_id, secret = _secret(env, "SLACK_CLIENT_ID"), _secret(env, "SLACK_CLIENT_SECRET")
    if client_id and not secret:
        raise ConfigError("SLACK_CLIENT_SECRET", _EXPECTED["SLACK_CLIENT_SECRET"])
    if secret and not client_id:
        raise ConfigError("SLACK_CLIENT_ID", _EXPECTED["SLACK_CLIENT_ID"])
    return client_id, secret


def _oauth_or_token(env: Mapping[str, str], client_id: str | None) -> str | None:
    """SLACK_BOT_TOKEN, which OAuth replaces: with both set, which token a workspace gets would be a guess."""
    token = _token(env, "SLACK_BOT_TOKEN", "xoxb-")
    if token and client_id:
        raise ConfigError(
            "SLACK_BOT_TOKEN", "unset with OAuth (SLACK_CLIENT_ID): each installation's own token is used", "set"
        )
    return token


def _scopes(env: Mapping[str, str]) -> tuple[str, ...]:
    value = _optional(env, "SLACK_SCOPES")
    if value is None:
        return DEFAULT_BOT_SCOPES
    scopes = tuple(scope.strip() for scope in value.split(",") if scope.strip())
    if not scopes or not all(re.fullmatch(r"[a-z][a-z0-9_.:-]*", scope) for scope in scopes):
        raise ConfigError("SLACK_SCOPES", _EXPECTED["SLACK_SCOPES"], value[:60])
    return scopes


def _secret(env: Mapping[str, str], name: str) -> str | None:
    value = _optional(env, name)
    if value is not None and not _VISIBLE_ASCII.fullmatch(value):
        raise ConfigError(name, _EXPECTED[name] + ", without spaces", "…")  # not a character of it shown
    return value


def _api_url(env: Mapping[str, str]) -> str:
    value = _optional(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL
    scheme, _, rest = value.partition("://")
    host = rest.split("/")[0]
    if scheme not in ("http", "https") or not host or not _VISIBLE_ASCII.fullmatch(value):
        raise ConfigError("SLACK_API_URL", _EXPECTED["SLACK_API_URL"], value)
    # WebClient joins base_url and method name without a separator.
    return value if value.endswith("/") else value + "/"


def _hooks_url(env: Mapping[str, str]) -> str:
    value = _optional(env, "SLACK_HOOKS_URL") or DEFAULT_SLACK_HOOKS_URL
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        raise ConfigError("SLACK_HOOKS_URL", _EXPECTED["SLACK_HOOKS_URL"], value) from None
    # A reply is allowed by comparing scheme, host, port and path prefix, so each must be plain and unambiguous.
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise ConfigError("SLACK_HOOKS_URL", _EXPECTED["SLACK_HOOKS_URL"], value)
    return value if value.endswith("/") else value + "/"


def _port(env: Mapping[str, str]) -> int:
    value = _optional(env, "PORT") or "3000"
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:
        raise ConfigError("PORT", _EXPECTED["PORT"], value)
    return int(value)


def _zone(env: Mapping[str, str]) -> ZoneInfo:
    value = _optional(env, "DEFAULT_TZ") or "UTC"
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of the zone database, or too long
        raise ConfigError("DEFAULT_TZ", _EXPECTED["DEFAULT_TZ"], value[:60]) from None


def _channel(env: Mapping[str, str], name: str) -> str | None:
    value = _optional(env, name)
    if value is not None and not re.fullmatch(r"[CG][A-Z0-9]{2,}", value):
        raise ConfigError(name, _EXPECTED[name], value)
    return value


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = _optional(env, name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise ConfigError(name, _EXPECTED[name], value)
    return number


def _count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    """A whole number from 1 to `most`: days, requests a minute."""
    value = _optional(env, name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= most:
        raise ConfigError(name, _EXPECTED[name], value)
    return int(value)


def _workers(env: Mapping[str, str]) -> int:
    # Zero workers would start a server that resets every connection.
    value = _optional(env, "WEB_CONCURRENCY")
    if value is None:
        return DEFAULT_WEB_CONCURRENCY
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_WEB_CONCURRENCY:
        raise ConfigError("WEB_CONCURRENCY", _EXPECTED["WEB_CONCURRENCY"], value)
    return int(value)


def _log_level(env: Mapping[str, str]) -> int:
    value = _optional(env, "LOG_LEVEL") or "INFO"
    if value.upper() not in LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", _EXPECTED["LOG_LEVEL"], value)
    return logging.getLevelNamesMapping()[value.upper()]


def normalize_database_url(value: str) -> str:
    """Accept the `postgres://` URLs hosting platforms hand out and pick the psycopg 3 driver."""
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise ConfigError("DATABASE_URL", _EXPECTED["DATABASE_URL"], _without_password(value)) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError("DATABASE_URL", _EXPECTED["DATABASE_URL"], url.render_as_string(hide_password=True))
    try:
        url.get_dialect()  # the driver named after `+` is installed
    except NoSuchModuleError:
        raise ConfigError("DATABASE_URL", _EXPECTED["DATABASE_URL"], url.render_as_string(hide_password=True)) from None
    return url.render_as_string(hide_password=False)


def _without_password(value: str) -> str:
    """An unparseable URL shown back without whatever sits between ':' and '@' in its credentials."""
    scheme, sep, rest = value.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at:
        return value
    return f"{scheme}://{credentials.split(':')[0]}:***@{host}"
