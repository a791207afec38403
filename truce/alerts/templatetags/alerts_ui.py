"""Template helpers of the alerts app: the open-alerts badge in the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from truce.alerts.selectors import open_alert_count as _open_alert_count

register = template.Library()


@register.simple_tag
def open_alert_count(user: Any) -> int:
    """Open alerts the user may see (one indexed COUNT; 0 outside the mission)."""
    return _open_alert_count(user)
