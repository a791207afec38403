"""Who may use the Django admin: mission administrators and superusers."""

from __future__ import annotations

from typing import Any

from truce.core.models import RoleCode
from truce.core.sharing import Scope


def is_administrator(user: Any) -> bool:
    """A superuser, or a member of the mission holding the administrator role.

    Services check again (ensure_registry_editor) on every write, so this
    only decides what the admin shows.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    party = getattr(user, "party", None)
    return bool(
        party is not None and party.scope == Scope.MISSION and user.has_role(RoleCode.ADMINISTRATOR)
    )
