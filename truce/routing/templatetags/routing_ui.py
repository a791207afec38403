"""Template filters of the routing screens."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from truce.routing.forms import PROFILE_LABELS
from truce.routing.models import SegmentState

register = template.Library()
_STATUS_LABELS = dict(SegmentState.choices)


@register.filter
def div1000(value: Any) -> float:
    """Metres to kilometres (for display only: storage stays in metres)."""
    try:
        return float(value) / 1000.0
    except (TypeError, ValueError):
        return 0.0


@register.filter
def status_label(value: Any) -> str:
    return str(_STATUS_LABELS.get(str(value), value))


@register.filter
def minutes(seconds: Any) -> str:
    """A duration in seconds as "1 h 05 min"."""
    try:
        total = round(float(seconds) / 60.0)
    except (TypeError, ValueError):
        return ""
    if total >= 60:
        return _("%(h)d h %(m)02d min") % {"h": total // 60, "m": total % 60}
    return _("%(m)d min") % {"m": total}


@register.filter
def profile_label(value: Any) -> str:
    """A vehicle profile's name in the reader's language (the route says "lorry")."""
    return str(PROFILE_LABELS.get(str(value), value))
