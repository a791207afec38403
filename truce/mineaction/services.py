"""Writes of mine action records. Every write goes through truce.core.records,
so each version lands in the ledger in the same transaction; the web forms,
the API and the scenario loader all come here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from truce.core.errors import InvalidInput
from truce.core.models import AdminArea, Organisation, Settlement, User
from truce.core.permissions import ensure_response_writer
from truce.core.records import record_create, record_update
from truce.core.references import area_ref, organisation_ref, settlement_ref
from truce.lib import geo
from truce.lib.time import utcnow
from truce.mineaction.models import HazardArea, HazardStatus

Visibility = Iterable[str] | str | None

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
    ensure_response_writer(
        actor, "only the mission's staff and agency staff may record mine action"
    )


def _unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}", field=name)


def _places(checked: dict[str, Any]) -> dict[str, Any]:
    """Settlement and admin area given by P-code become their rows (unknown: InvalidInput)."""
    if "settlement" in checked:
        checked["settlement"] = _settlement(checked["settlement"], required=False)
    if "admin_area" in checked:
        checked["admin_area"] = _admin_area(checked["admin_area"])
    place = checked.get("settlement")
    if place is not None and not checked.get("admin_area"):
        checked["admin_area"] = place.admin_area
    return checked


def _settlement(value: Any, *, required: bool) -> Settlement | None:
    return settlement_ref(None, value, field="settlement", required=required)


def _admin_area(value: Any) -> AdminArea | None:
    return area_ref(None, value, field="admin_area")


def _organisation(value: Any) -> Organisation:
    row = organisation_ref(None, value, field="organisation")
    if row is None:
        raise InvalidInput("an organisation (its code) is required", field="organisation")
    return row


def _hazard(value: Any, *, required: bool) -> HazardArea | None:
    """A hazard given as a row, its public id or its reference."""
    if isinstance(value, HazardArea):
        return value
    if value in (None, ""):
        if required:
            raise InvalidInput("a hazard area is required", field="hazard")
        return None
    qs = HazardArea.objects.filter(is_deleted=False)
    try:
        row = qs.filter(public_id=uuid.UUID(str(value))).first()
    except ValueError:
        row = qs.filter(reference=str(value)).first()
    if row is None:
        raise InvalidInput(f"unknown hazard area {value!r}", field="hazard")
    return row


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
    checked = _places(dict(fields))
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
    checked = _places(dict(changes))
    if "status" in checked and checked["status"] != hazard.status:
        # The routing contract lets a caller open or close an area here; the day the new
        # status began defaults to today, and a reopened area has no release behind it.
        # hazard_area_change_status is the full form (with the land release it came from).
        checked.setdefault("status_since", utcnow().date())
        if checked["status"] == HazardStatus.OPEN:
            checked["released_by"] = None
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


@transaction.atomic
def hazard_area_change_status(
    *,
    actor: User | None,
    hazard: HazardArea,
    expected_version: int | None,
    status: str,
    since: Any,
    released_by: Any = None,
    note: str = "",
) -> HazardArea:
    """Close, hand over or reopen a hazard area from a day: a new version of the record.

    `released_by` names the land release (a row or its public id) the closure came
    from; it must be a result of an activity on this very hazard.
    """
    from truce.mineaction.models import LandRelease

    ensure_mine_action_writer(actor)
    if status not in HazardStatus.values:
        raise InvalidInput(
            f"unknown status {status!r}; use one of {HazardStatus.values}", field="status"
        )
    day = _date(since, "status_since")
    if day < hazard.reported_on:
        raise InvalidInput("status_since is before the hazard was reported", field="status_since")
    result = None
    if released_by not in (None, ""):
        if isinstance(released_by, LandRelease):
            result = released_by
        else:
            try:
                key = uuid.UUID(str(released_by))
            except ValueError:
                raise InvalidInput(
                    "released_by is a land release's id", field="released_by"
                ) from None
            result = LandRelease.objects.filter(public_id=key, is_deleted=False).first()
        if result is None or result.activity.hazard_id != hazard.pk:
            raise InvalidInput(
                "released_by is not a land release of this hazard area", field="released_by"
            )
        if status == HazardStatus.OPEN:
            raise InvalidInput("an open hazard area has no release behind it", field="released_by")
    return record_update(
        actor=actor,
        record=hazard,
        expected_version=expected_version,
        changes={
            "status": status,
            "status_since": day,
            "released_by": result,
            "status_note": (note or "").strip()[:300],
        },
        geometry_types=geo.AREA_TYPES,
    )
