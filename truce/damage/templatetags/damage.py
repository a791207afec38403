"""Template helpers of the damage screens: reading a tally, formatting quantities."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def item(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template (a grade's count, a need's total)."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.filter
def quantity(value: Any) -> str:
    """A quantity with at most two decimals and no trailing zeros (12, 12.5, 0.25)."""
    if value in (None, ""):
        return "—"
    number = round(float(value), 2)
    return f"{number:,.2f}".rstrip("0").rstrip(".")
