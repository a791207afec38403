"""Template helpers of the web UI."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import get_script_prefix

from truce.core.permissions import is_administrator as _is_administrator

register = template.Library()


@register.filter
def is_administrator(user: Any) -> bool:
    """Whether to offer the admin link (the admin itself checks again)."""
    return _is_administrator(user)


@register.simple_tag
def api_docs_url() -> str:
    """The API's interactive documentation, under the same script prefix as the UI."""
    return f"{get_script_prefix()}api/v1/docs"
