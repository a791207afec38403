"""What the population services share: who may write, and references by key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import RoleCode, User
from truce.core.sharing import Scope, viewer_scope

# Mission roles that record movements and counts (OP operators count at the posts).
MOVEMENT_ROLES = (RoleCode.ADMINISTRATOR, RoleCode.DUTY_OFFICER, RoleCode.OP_OPERATOR)
# Baselines come from agencies (UNHCR) as often as from the mission.
BASELINE_ROLES = (
    RoleCode.ADMINISTRATOR,
    RoleCode.DUTY_OFFICER,
    RoleCode.ANALYST,
    RoleCode.AGENCY_STAFF,
)
HOUSEHOLD_ROLES = (RoleCode.ADMINISTRATOR, RoleCode.DUTY_OFFICER, RoleCode.AGENCY_STAFF)


def ensure_writer(
    actor: User | None, roles: Iterable[str], what: str, *, scopes: Iterable[Scope] | None = None
) -> None:
    """The actor's party and roles allow the write; None is the scenario loader."""
    if actor is None:
        return
    allowed_scopes = set(scopes) if scopes is not None else {Scope.MISSION}
    if viewer_scope(actor) not in allowed_scopes or not (
        actor.is_superuser or actor.has_role(*roles)
    ):
        raise PermissionDenied(f"your party or roles may not record {what}")


def a_date(value: Any, *, field: str, required: bool = False) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise InvalidInput("is required (YYYY-MM-DD)", field=field)
        return None
    if isinstance(value, dt.datetime):
        raise InvalidInput("must be a date, not a date and time", field=field)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def a_count(
    value: Any, *, field: str, minimum: int = 0, required: bool = True, maximum: int | None = None
) -> int | None:
    """A whole number of people or vehicles, at least `minimum`."""
    if value is None or value == "":
        if required:
            raise InvalidInput("is required", field=field)
        return None
    if isinstance(value, bool):
        raise InvalidInput("must be a whole number", field=field)
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise InvalidInput(f"{value!r} is not a whole number", field=field) from None
    if number < minimum:
        raise InvalidInput(f"must be at least {minimum}", field=field)
    if maximum is not None and number > maximum:
        raise InvalidInput(f"must be at most {maximum}", field=field)
    return number


def text(value: Any, *, field: str, max_length: int | None = None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=field)
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"is longer than {max_length} characters", field=field)
    return value
