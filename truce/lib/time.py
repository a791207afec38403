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


def window_of(instant: dt.datetime) -> dt.date:
    """The mission day an instant falls in, named by the day it ends.

    Windows run from the evening boundary (TRUCE_WINDOW_BOUNDARY, mission
    time) of day X to the same hour of day X+1 and are called by X+1, as a
    report "for 20 November" covers the evening of the 19th to the evening of
    the 20th.
    """
    local = instant.astimezone(mission_zone())
    boundary: dt.time = settings.TRUCE_WINDOW_BOUNDARY
    day = local.date()
    return day + dt.timedelta(days=1) if local.time() >= boundary else day


def window_bounds(window: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC start (inclusive) and end (exclusive) of a mission day."""
    boundary: dt.time = settings.TRUCE_WINDOW_BOUNDARY
    zone = mission_zone()
    end = dt.datetime.combine(window, boundary, tzinfo=zone)
    start = dt.datetime.combine(window - dt.timedelta(days=1), boundary, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
