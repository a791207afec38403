"""Settings read from the environment, failing loudly on a bad value.

Every helper names the variable and the reason, so a mistyped deployment
stops at start-up instead of running with a silently different setting.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import zoneinfo


class ImproperEnvironment(Exception):
    """A TRUCE_* variable holds a value that cannot be used."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperEnvironment(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env_str(name, default) or default).lower()
    if value not in choices:
        raise ImproperEnvironment(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperEnvironment(f"{name} is set but empty: give a comma-separated list")
    return items


def env_timezone(name: str, default: str) -> str:
    value = env_str(name, default) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperEnvironment(f"{name}={value!r}: not an IANA time zone name") from exc
    return value


def env_float(name: str, default: float, *, above: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperEnvironment(f"{name}={raw!r}: expected a number") from exc
    if not math.isfinite(value) or (above is not None and value <= above):
        raise ImproperEnvironment(f"{name}={raw!r}: must be a number above {above}")
    return value


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperEnvironment(f"{name}={raw!r}: expected an integer") from exc
    if minimum is not None and value < minimum:
        raise ImproperEnvironment(f"{name}={value}: must be at least {minimum}")
    return value


def env_time(name: str, default: str) -> dt.time:
    """A local time of day as HH:MM."""
    value = env_str(name, default) or default
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise ImproperEnvironment(f"{name}={value!r}: expected a time of day as HH:MM") from exc


def env_datetime(name: str, default: str) -> dt.datetime:
    """An ISO 8601 instant with its offset (Z for UTC); stored as UTC."""
    value = env_str(name, default) or default
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ImproperEnvironment(f"{name}={value!r}: expected an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        raise ImproperEnvironment(f"{name}={value!r}: give the UTC offset, e.g. Z or +04:00")
    return parsed.astimezone(dt.UTC)
