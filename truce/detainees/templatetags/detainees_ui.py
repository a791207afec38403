"""Template helpers of the detainees screens."""

from __future__ import annotations

from typing import Any

from django import template

from truce.detainees import selectors

register = template.Library()


@register.filter
def may_see_detainees(user: Any) -> bool:
    """Whether the menu offers the exchanges to this user (selectors.may_enter)."""
    return selectors.may_enter(user)
