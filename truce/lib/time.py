"""Time helpers: storage is UTC; the mission's zone is for display only."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone


def utcnow() -> dt.datetime:
    return timezone.now()


def mission_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.MISSION_TIME_ZONE)


def to_mission_time(value: dt.datetime) -> dt.datetime:
    return value.astimezone(mission_zone())


def iso_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
