"""The tuning knobs (leases, re-check and job intervals, retention): their variables and
defaults, and the readers of a number of seconds or a whole number with its bounds."""

from __future__ import annotations

from collections.abc import Mapping

KNOBS = {  # seconds, all > 0
    "DEMARC_LEASE_TTL": 20.0,
    "DEMARC_SEND_LEASE": 120.0,
    "DEMARC_CLAIM_LEASE": 120.0,
    "DEMARC_RECHECK_SECONDS": 600.0,
    "DEMARC_NOTICE_SECONDS": 600.0,
    "DEMARC_DRIFT_SECONDS": 3600.0,
    "DEMARC_RETENTION_SECONDS": 60.0,
    "DEMARC_QUALITY_SECONDS": 300.0,
}
RETENTION = {  # whole numbers: (default, least allowed)
    "DEMARC_RETAIN_CHECKS_DAYS": (30, 0),  # 0 keeps check history forever
    "DEMARC_RETAIN_OUTBOX_DAYS": (7, 0),  # 0 keeps delivered outbox rows forever
    "DEMARC_RETENTION_BATCH": (5000, 1),
}


def read_whole(
    env: Mapping[str, str], name: str, default: int, problems: list[str], *, least: int
) -> int:
    """A whole number, `least` or more."""
    raw = env.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and int(raw) >= least:
        return int(raw)
    what = "0 or more (0 keeps everything)" if least == 0 else f"{least} or more"
    problems.append(f"{name} must be a whole number, {what}, not {raw[:20]!r}")
    return default


def read_seconds(
    env: Mapping[str, str], name: str, default: float, problems: list[str], *, zero: str = ""
) -> float:
    """A positive number of seconds; 0 too when `zero` says what it means."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if (
        value != value
        or value in (float("inf"), float("-inf"))
        or value < 0
        or (value == 0 and not zero)
    ):
        what = f"seconds (0 turns {zero})" if zero else "a number of seconds above 0"
        problems.append(f"{name} must be {what}, not {raw[:20]!r}")
        return default
    return value
