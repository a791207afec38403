"""Template helpers of the alerts app: the open-alerts badge, times in mission time."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import template
from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.html import format_html

from truce.alerts.selectors import open_alert_count as _open_alert_count

register = template.Library()


@register.simple_tag
def open_alert_count(user: Any) -> int:
    """Open alerts the user may see (one indexed COUNT; 0 outside the mission)."""
    return _open_alert_count(user)


@register.simple_tag
def mission_time(value: dt.datetime | None) -> str:
    """<time> in mission time with UTC in its title, as alerts/_time.html writes it.

    A tag rather than an included template: the queue writes two per row.
    """
    if value is None:
        return ""
    utc = timezone.localtime(value, dt.UTC)
    local = timezone.localtime(value, zoneinfo.ZoneInfo(settings.MISSION_TIME_ZONE))
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        dateformat.format(utc, "c"),
        dateformat.format(utc, "Y-m-d H:i"),
        dateformat.format(local, "Y-m-d H:i T"),
    )
