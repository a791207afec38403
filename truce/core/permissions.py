"""Who may do what beyond reading: the Django admin, and writes of the response apps."""

from __future__ import annotations

from typing import Any

from truce.core.errors import PermissionDenied
from truce.core.models import RoleCode, User
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


# The mission's roles that keep the response centre's records (winter, mine action,
# routing, logistics, convoys, funding, deployment).
RESPONSE_WRITER_ROLES = (
    RoleCode.ADMINISTRATOR.value,
    RoleCode.ANALYST.value,
    RoleCode.DUTY_OFFICER.value,
)


def ensure_response_writer(actor: User | None, refusal: str, *, agencies: bool = True) -> None:
    """Mission staff with a response role, or (if `agencies`) agency staff; else `refusal`.

    None is the scenario loader, which writes through the same services.
    """
    if actor is None:
        return
    scope = actor.party.scope
    if scope == Scope.MISSION and (actor.is_superuser or actor.has_role(*RESPONSE_WRITER_ROLES)):
        return
    if agencies and scope == Scope.AGENCIES and actor.has_role(RoleCode.AGENCY_STAFF.value):
        return
    raise PermissionDenied(refusal)
