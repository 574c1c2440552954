"""Process settings, read once from the environment at start-up.

Tokens and secrets never appear in `repr` (settings get logged); neither does a database
password. The tuning knobs are read by `bot.settings_knobs`, the outgoing webhooks by
`bot.settings_webhooks`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.blocks.escape import USER_ID
from bot.settings_knobs import KNOBS, RETENTION, read_seconds, read_whole
from bot.settings_webhooks import WebhookTarget, read_webhooks
from ownership.reports.digest_time import DigestSchedule, parse_schedule

DEFAULT_REGISTRY = "registry"
DEFAULT_DATABASE_URL = "sqlite:///demarc.sqlite3"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
DEFAULT_RESPONSE_URL_PREFIXES = ("https://hooks.slack.com/",)
DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - it is a server
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_MAX_ATTEMPTS = 6  # as bot.outbox.worker's (not imported: settings load light)
DEFAULT_OUTBOX_CONCURRENCY = 8  # as bot.outbox.worker's DEFAULT_CONCURRENCY
DEFAULT_OUTBOX_ROUND = 4.0  # seconds; under Periodic.stop's 5 s wait for runs in flight

_URL_PASSWORD = re.compile(r"(?P<head>://[^:/@]+:)[^@]*(?P<tail>@)")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line, fit to print as is."""


@dataclass(frozen=True, repr=False)
class Settings:
    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    registry_path: Path = Path(DEFAULT_REGISTRY)
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = DEFAULT_PORT
    admins: tuple[str, ...] = ()
    admin_channel: str | None = None
    reload_interval: float = 60.0
    # demarc POSTs to a request's response_url only if it starts with one of these
    response_url_prefixes: tuple[str, ...] = DEFAULT_RESPONSE_URL_PREFIXES
    host: str = DEFAULT_HOST
    log_level: str = "INFO"
    log_json: bool = True  # DEMARC_LOG_FORMAT=json (the default) or text
    # Tuning knobs for operators and the replica tests (leases, re-check and job intervals).
    lease_ttl: timedelta = timedelta(seconds=20)
    send_lease: timedelta = timedelta(seconds=120)
    claim_lease: timedelta = timedelta(seconds=120)
    recheck: timedelta = timedelta(seconds=600)
    outbox_max_attempts: int = DEFAULT_MAX_ATTEMPTS
    notice_interval: timedelta = timedelta(seconds=600)
    drift_interval: timedelta = timedelta(seconds=3600)
    webhooks: tuple[WebhookTarget, ...] = ()  # DEMARC_WEBHOOKS
    api_token: str | None = field(default=None, repr=False)  # DEMARC_API_TOKEN: the status API
    # Retention (docs/retention.md): days of history kept (0: forever), rows per delete batch.
    retain_checks_days: int = 30
    retain_outbox_days: int = 7
    retention_batch: int = 5000
    retention_interval: timedelta = timedelta(seconds=60)
    quality_interval: timedelta = timedelta(seconds=300)  # how often a period's data is looked for
    # Outbox delivery: Slack calls in flight at once (one per channel), and how long one
    # delivery round goes on sending as channels come free (0: one pass per round).
    outbox_concurrency: int = DEFAULT_OUTBOX_CONCURRENCY
    outbox_round: timedelta = timedelta(seconds=DEFAULT_OUTBOX_ROUND)
    # The weekly SLA digest (docs/reports.md): DEMARC_DIGEST_AT "mon 09:00" in DEMARC_DIGEST_TZ.
    digest: DigestSchedule | None = None
    # The status page: DEMARC_STATUS_PAGE off (default) | token (DEMARC_STATUS_TOKEN) | proxy.
    status_page: str = "off"
    status_token: str | None = field(default=None, repr=False)
    # Data requests (docs/requests.md): where accepted contracts become pull requests. With no
    # repository, demarc writes a branch and a patch in the registry's git checkout instead.
    git_api_url: str = "https://api.github.com"  # DEMARC_GIT_API_URL
    git_repository: str | None = None  # DEMARC_GIT_REPOSITORY: "owner/name"
    git_token_env: str = "GITHUB_TOKEN"  # noqa: S105 - DEMARC_GIT_TOKEN_ENV: a variable's name
    git_base_branch: str = "main"  # DEMARC_GIT_BASE_BRANCH
    git_contracts_dir: str = "contracts"  # DEMARC_GIT_CONTRACTS_DIR: in the registry

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is set, else HTTP (Events API)."""
        return self.slack_app_token is not None

    def __repr__(self) -> str:
        return (
            f"Settings(registry_path={str(self.registry_path)!r}, "
            f"database_url={redact_url(self.database_url)!r}, "
            f"slack_api_url={self.slack_api_url!r}, port={self.port}, "
            f"admins={self.admins!r}, socket_mode={self.socket_mode})"
        )

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, require_slack: bool = True) -> Settings:
        """Read settings; raise one `SettingsError` listing every missing or bad variable.

        `require_slack=False` is for commands that never talk to Slack (e.g. checking a
        registry), which then get empty tokens.
        """
        env = {k: v.strip() for k, v in environ.items() if v and v.strip()}
        app_token = env.get("SLACK_APP_TOKEN")
        required = ["SLACK_BOT_TOKEN"]
        if app_token is None:  # HTTP mode verifies request signatures; Socket Mode does not
            required.append("SLACK_SIGNING_SECRET")
        missing = [name for name in required if name not in env] if require_slack else []
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += _token_problems(env, require_slack)
        port = _port(env.get("PORT"), problems)
        admins = _admins(env.get("DEMARC_ADMINS", ""), problems)
        api_url = env.get("DEMARC_SLACK_API_URL", DEFAULT_SLACK_API_URL)
        if not re.match(r"^https?://", api_url):
            problems.append("DEMARC_SLACK_API_URL must start with http:// or https://")
        admin_channel = _channel(env.get("DEMARC_ADMIN_CHANNEL"), problems)
        reload_interval = read_seconds(
            env, "DEMARC_RELOAD_INTERVAL", 60.0, problems, zero="polling off"
        )
        prefixes = _url_prefixes(env.get("DEMARC_RESPONSE_URL_PREFIXES"), problems)
        log_level = env.get("LOG_LEVEL", "INFO").upper()
        if log_level not in LOG_LEVELS:
            problems.append(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {env['LOG_LEVEL'][:20]!r}"
            )
        log_format = env.get("DEMARC_LOG_FORMAT", "json")
        if log_format not in ("json", "text"):
            problems.append(f"DEMARC_LOG_FORMAT must be json or text, not {log_format[:20]!r}")
        knobs = {
            name: timedelta(seconds=read_seconds(env, name, default, problems))
            for name, default in KNOBS.items()
        }
        attempts = env.get("DEMARC_OUTBOX_MAX_ATTEMPTS", str(DEFAULT_MAX_ATTEMPTS))
        if not (attempts.isascii() and attempts.isdigit() and int(attempts) >= 1):
            problems.append(
                f"DEMARC_OUTBOX_MAX_ATTEMPTS must be a whole number of at least 1, not "
                f"{attempts[:20]!r}"
            )
            attempts = str(DEFAULT_MAX_ATTEMPTS)
        webhooks = read_webhooks(env, problems)
        api_token = env.get("DEMARC_API_TOKEN")
        if api_token is not None and len(api_token) < 16:
            problems.append("DEMARC_API_TOKEN must be at least 16 characters (a random secret)")
        retention = {
            name: read_whole(env, name, default, problems, least=least)
            for name, (default, least) in RETENTION.items()
        }
        concurrency = env.get("DEMARC_OUTBOX_CONCURRENCY", str(DEFAULT_OUTBOX_CONCURRENCY))
        if not (concurrency.isascii() and concurrency.isdigit() and 1 <= int(concurrency) <= 64):
            problems.append(
                f"DEMARC_OUTBOX_CONCURRENCY must be a whole number from 1 to 64, not "
                f"{concurrency[:20]!r}"
            )
            concurrency = str(DEFAULT_OUTBOX_CONCURRENCY)
        outbox_round = read_seconds(
            env,
            "DEMARC_OUTBOX_ROUND_SECONDS",
            DEFAULT_OUTBOX_ROUND,
            problems,
            zero="off: one pass per round",
        )
        digest = _digest(env, problems)
        status_page, status_token = _status_page(env, problems)
        if problems:
            raise SettingsError("Bad settings: " + "; ".join(problems) + ".")
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=app_token,
            registry_path=Path(env.get("DEMARC_REGISTRY", DEFAULT_REGISTRY)),
            database_url=env.get("DEMARC_DATABASE_URL", DEFAULT_DATABASE_URL),
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            port=port,
            admins=admins,
            admin_channel=admin_channel,
            reload_interval=reload_interval,
            response_url_prefixes=prefixes,
            host=env.get("DEMARC_HOST", DEFAULT_HOST),
            log_level=log_level,
            log_json=log_format == "json",
            lease_ttl=knobs["DEMARC_LEASE_TTL"],
            send_lease=knobs["DEMARC_SEND_LEASE"],
            claim_lease=knobs["DEMARC_CLAIM_LEASE"],
            recheck=knobs["DEMARC_RECHECK_SECONDS"],
            outbox_max_attempts=int(attempts),
            notice_interval=knobs["DEMARC_NOTICE_SECONDS"],
            drift_interval=knobs["DEMARC_DRIFT_SECONDS"],
            webhooks=webhooks,
            api_token=api_token,
            retain_checks_days=retention["DEMARC_RETAIN_CHECKS_DAYS"],
            retain_outbox_days=retention["DEMARC_RETAIN_OUTBOX_DAYS"],
            retention_batch=retention["DEMARC_RETENTION_BATCH"],
            retention_interval=knobs["DEMARC_RETENTION_SECONDS"],
            quality_interval=knobs["DEMARC_QUALITY_SECONDS"],
            outbox_concurrency=int(concurrency),
            outbox_round=timedelta(seconds=outbox_round),
            digest=digest,
            status_page=status_page,
            status_token=status_token,
            git_api_url=env.get("DEMARC_GIT_API_URL", "https://api.github.com").rstrip("/"),
            git_repository=env.get("DEMARC_GIT_REPOSITORY") or None,
            git_token_env=env.get("DEMARC_GIT_TOKEN_ENV", "GITHUB_TOKEN"),
            git_base_branch=env.get("DEMARC_GIT_BASE_BRANCH", "main"),
            git_contracts_dir=env.get("DEMARC_GIT_CONTRACTS_DIR", "contracts"),
        )


# CLI commands read just the settings they use (a bad DEMARC_ADMINS is no reason to refuse
# `demarc whoowns`), here too: a flag, else the variable, else the default.
def registry_path(flag: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """`--registry`, else DEMARC_REGISTRY, else ./registry."""
    return Path(flag or environ.get("DEMARC_REGISTRY", "").strip() or DEFAULT_REGISTRY)


def database_url(flag: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """`--database-url`, else DEMARC_DATABASE_URL, else the local SQLite file."""
    return flag or environ.get("DEMARC_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def debug(environ: Mapping[str, str] = os.environ) -> bool:
    """DEMARC_DEBUG set: a CLI command's internal error shows its traceback."""
    return bool(environ.get("DEMARC_DEBUG"))


def redact_url(url: str) -> str:
    """`postgresql://user:secret@host/db` → `postgresql://user:***@host/db`."""
    return _URL_PASSWORD.sub(r"\g<head>***\g<tail>", url)


def _token_problems(env: Mapping[str, str], require_slack: bool) -> list[str]:
    """Catch the classic mix-up of pasting one kind of token into the other's variable."""
    problems = []
    bot = env.get("SLACK_BOT_TOKEN")
    if require_slack and bot is not None and not bot.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN must be a bot token (starting xoxb-)")
    app = env.get("SLACK_APP_TOKEN")
    if app is not None and not app.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN must be an app-level token (starting xapp-)")
    return problems


def _port(raw: str | None, problems: list[str]) -> int:
    if raw is None:
        return DEFAULT_PORT
    if raw.isascii() and raw.isdigit() and 0 <= int(raw) < 65536:
        return int(raw)  # 0: any free port (tests read the port from the "listening" log line)
    problems.append(f"PORT must be a number from 0 to 65535, not {raw[:20]!r}")
    return DEFAULT_PORT


def _admins(raw: str, problems: list[str]) -> tuple[str, ...]:
    admins = tuple(a.strip() for a in raw.split(",") if a.strip())
    bad = [a for a in admins if not USER_ID.match(a)]
    if bad:
        shown = ", ".join(repr(a[:20]) for a in bad)
        problems.append(f"DEMARC_ADMINS must be Slack user ids like U0123ABCD, not {shown}")
    return admins


def _channel(raw: str | None, problems: list[str]) -> str | None:
    if raw is None:
        return None
    if re.match(r"^(#[a-z0-9][a-z0-9._\-]{0,79}|[CG][A-Z0-9]{2,})$", raw):
        return raw
    problems.append(f"DEMARC_ADMIN_CHANNEL must be a channel like #demarc-admin, not {raw[:30]!r}")
    return None


def _url_prefixes(raw: str | None, problems: list[str]) -> tuple[str, ...]:
    """Whole origins with a path ("https://hooks.slack.com/"), so no host can extend one."""
    if raw is None:
        return DEFAULT_RESPONSE_URL_PREFIXES
    prefixes = tuple(p.strip() for p in raw.split(",") if p.strip())
    bad = [p for p in prefixes if not re.match(r"^https?://[^/?#@\s]+/", p)]
    if bad or not prefixes:
        shown = ", ".join(repr(p[:40]) for p in bad) or repr(raw[:40])
        problems.append(
            "DEMARC_RESPONSE_URL_PREFIXES must be URLs ending in a path, like "
            f"https://hooks.slack.com/, not {shown}"
        )
        return DEFAULT_RESPONSE_URL_PREFIXES
    return prefixes


def _digest(env: Mapping[str, str], problems: list[str]) -> DigestSchedule | None:
    """DEMARC_DIGEST_AT ("mon 09:00") in DEMARC_DIGEST_TZ (default UTC); unset: no digest."""
    at = env.get("DEMARC_DIGEST_AT", "").strip()
    if not at:
        return None
    try:
        return parse_schedule(at, env.get("DEMARC_DIGEST_TZ", "UTC").strip() or "UTC")
    except ValueError as exc:
        problems.append(f"DEMARC_DIGEST_AT/DEMARC_DIGEST_TZ: {exc}")
        return None


def _status_page(env: Mapping[str, str], problems: list[str]) -> tuple[str, str | None]:
    """off | token (needs DEMARC_STATUS_TOKEN, 16+ characters) | proxy (the proxy authenticates)."""
    mode = env.get("DEMARC_STATUS_PAGE", "off").strip().lower() or "off"
    token = env.get("DEMARC_STATUS_TOKEN") or None
    if mode not in ("off", "token", "proxy"):
        problems.append(f"DEMARC_STATUS_PAGE must be off, token or proxy, not {mode[:20]!r}")
        return "off", None
    if mode == "token" and (token is None or len(token) < 16):
        problems.append("DEMARC_STATUS_PAGE=token needs DEMARC_STATUS_TOKEN of 16+ characters")
        return "off", None
    return mode, token if mode == "token" else None
