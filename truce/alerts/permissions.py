"""Who may do what with alerts.

Reading is the mission's (party visibility does that: alerts are
mission-only). Keeping rules and answering alerts are for duty officers and
administrators of the mission, and for whoever holds the role an alert is
waiting for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from truce.core.models import RoleCode
from truce.core.sharing import Scope

if TYPE_CHECKING:
    from truce.alerts.models import Alert

RESPONDER_ROLES = (RoleCode.DUTY_OFFICER, RoleCode.ADMINISTRATOR)


def is_mission_user(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    party = getattr(user, "party", None)
    return party is not None and party.scope == Scope.MISSION


def may_manage_rules(user: Any) -> bool:
    """Mission administrators and duty officers (and superusers of the mission)."""
    if not is_mission_user(user):
        return False
    return bool(user.is_superuser or user.has_role(*RESPONDER_ROLES))


def may_respond(user: Any, alert: Alert | None = None) -> bool:
    """Acknowledge or resolve: responders, or the role the alert is waiting for."""
    if not is_mission_user(user):
        return False
    if user.is_superuser or user.has_role(*RESPONDER_ROLES):
        return True
    return alert is not None and bool(alert.current_role) and user.has_role(alert.current_role)
