"""Writes of mine action records. Every write goes through truce.core.records,
so each version lands in the ledger in the same transaction; the web forms,
the API and the scenario loader all come here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import RoleCode, User
from truce.core.records import record_create, record_update
from truce.core.sharing import Scope
from truce.lib import geo
from truce.mineaction.models import HazardArea, HazardStatus

Visibility = Iterable[str] | str | None

# Mission staff keep the mine action picture with the agencies (UNMAS, operators).
MISSION_WRITER_ROLES = (
    RoleCode.ADMINISTRATOR.value,
    RoleCode.ANALYST.value,
    RoleCode.DUTY_OFFICER.value,
)
# Hazard areas are shared with everyone who travels: both sides, the agencies
# and the public, unless the writer restricts them.
DEFAULT_HAZARD_VISIBILITY = ("side_a", "side_b", "agencies", "public")

HAZARD_FIELDS = frozenset(
    {
        "reference",
        "name",
        "kind",
        "status",
        "contamination",
        "evidence",
        "settlement",
        "admin_area",
        "reported_on",
        "status_since",
        "geometry",
        "location_approximate",
        "source",
        "confidence",
    }
)


def ensure_mine_action_writer(actor: User | None) -> None:
    """Mission staff with a response role, or agency staff (None is the scenario loader)."""
    if actor is None:
        return
    scope = actor.party.scope
    if scope == Scope.MISSION and (actor.is_superuser or actor.has_role(*MISSION_WRITER_ROLES)):
        return
    if scope == Scope.AGENCIES and actor.has_role(RoleCode.AGENCY_STAFF.value):
        return
    raise PermissionDenied("only the mission's staff and agency staff may record mine action")


def _unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}", field=name)


def _polygon_area(geometry: Any) -> float:
    try:
        shape = geo.parse_geometry(geometry, allowed=geo.AREA_TYPES)
    except geo.GeometryError as exc:
        raise InvalidInput(str(exc), field="geometry") from exc
    return geo.geodesic_area_m2(shape)


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InvalidInput(f"{name} is a date (YYYY-MM-DD), not a time", field=name)
    if isinstance(value, dt.date):
        return value
    if value in (None, ""):
        raise InvalidInput(f"{name} is required", field=name)
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD", field=name) from None


@transaction.atomic
def hazard_area_record(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_HAZARD_VISIBILITY,
) -> HazardArea:
    """Record a hazard area; the polygon must be a valid (not self-intersecting) area."""
    ensure_mine_action_writer(actor)
    _unknown(fields, HAZARD_FIELDS)
    checked = dict(fields)
    if not checked.get("geometry"):
        raise InvalidInput("a hazard area needs its polygon", field="geometry")
    checked["area_m2"] = _polygon_area(checked["geometry"])
    checked["reported_on"] = _date(checked.get("reported_on"), "reported_on")
    checked["status_since"] = _date(
        checked.get("status_since") or checked["reported_on"], "status_since"
    )
    if checked["status_since"] < checked["reported_on"]:
        raise InvalidInput("status_since is before reported_on", field="status_since")
    if HazardArea.objects.filter(reference=checked.get("reference")).exists():
        raise InvalidInput(
            f"a hazard area {checked.get('reference')!r} exists already", field="reference"
        )
    return record_create(
        actor=actor,
        model=HazardArea,
        fields=checked,
        visibility=visibility,
        geometry_types=geo.AREA_TYPES,
    )


@transaction.atomic
def hazard_area_update(
    *,
    actor: User | None,
    hazard: HazardArea,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> HazardArea:
    """A new version: a status change (open, closed, handed over), a redrawn polygon, ..."""
    ensure_mine_action_writer(actor)
    _unknown(changes, HAZARD_FIELDS - {"reference"})
    checked = dict(changes)
    if "geometry" in checked:
        checked["area_m2"] = _polygon_area(checked["geometry"])
    for name in ("reported_on", "status_since"):
        if name in checked:
            checked[name] = _date(checked[name], name)
    if "status" in checked and checked["status"] not in HazardStatus.values:
        raise InvalidInput(
            f"unknown status {checked['status']!r}; use one of {HazardStatus.values}",
            field="status",
        )
    return record_update(
        actor=actor,
        record=hazard,
        expected_version=expected_version,
        changes=checked,
        visibility=visibility,
        geometry_types=geo.AREA_TYPES,
    )
