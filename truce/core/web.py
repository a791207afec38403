"""Small helpers every app's views share."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpRequest

if TYPE_CHECKING:
    from truce.core.models import User


def viewer(request: HttpRequest) -> User:
    """The signed-in user of a view behind login_required (always a core User there)."""
    return cast("User", request.user)


def is_htmx(request: HttpRequest) -> bool:
    """True for a request HTMX sent: such a view answers with a fragment, not a page."""
    return request.headers.get("HX-Request") == "true"
