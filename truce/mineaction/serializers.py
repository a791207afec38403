"""Mine action records as plain JSON values, for the API, the map layer and the exports.

References a reader may not see are blanked (a hidden settlement's P-code is not
told); visibility lists are cut to what the reader may learn.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from truce.core.models import User
from truce.core.sharing import can_see, visibility_seen_by
from truce.mineaction.models import (
    Accident,
    Activity,
    BuildingCheck,
    DeviceCount,
    HazardArea,
    LandRelease,
    RoadCheck,
)


def _pcode(place: Any, user: User | None) -> str | None:
    return place.pcode if place is not None and can_see(place, user) else None


def _common(record: Any, user: User | None) -> dict[str, Any]:
    return {
        "id": str(record.public_id),
        "version": record.version,
        "source": record.source,
        "confidence": record.confidence,
        "visibility": visibility_seen_by(record.visibility, user),
        "updated_at": record.updated_at,
    }


def hazard_out(
    hazard: HazardArea, user: User | None, *, released: dict[str, float] | None = None
) -> dict[str, Any]:
    released = released or {}
    release_id = None
    release = hazard.released_by
    if release is not None and can_see(release, user):
        release_id = str(release.public_id)
    return {
        **_common(hazard, user),
        "reference": hazard.reference,
        "name": hazard.name,
        "kind": hazard.kind,
        "status": hazard.status,
        "status_since": hazard.status_since,
        "status_note": hazard.status_note,
        "released_by": release_id,
        "contamination": hazard.contamination,
        "evidence": hazard.evidence,
        "settlement": _pcode(hazard.settlement, user),
        "admin_area": _pcode(hazard.admin_area, user),
        "reported_on": hazard.reported_on,
        "area_m2": round(hazard.area_m2, 1),
        "released_m2": round(released.get("released_m2", 0.0), 1),
        "cleared_m2": round(released.get("cleared_m2", 0.0), 1),
        "location_approximate": hazard.location_approximate,
        "geometry": hazard.geometry,
        "url": reverse("mineaction:hazard", kwargs={"public_id": hazard.public_id}),
    }


def result_out(result: LandRelease, user: User | None) -> dict[str, Any]:
    return {
        **_common(result, user),
        "activity": result.activity.reference,
        "reported_on": result.reported_on,
        "cancelled_m2": result.cancelled_m2,
        "reduced_m2": result.reduced_m2,
        "cleared_m2": result.cleared_m2,
        "notes": result.notes,
    }


def device_out(device: DeviceCount, user: User | None) -> dict[str, Any]:
    return {
        **_common(device, user),
        "activity": device.activity.reference,
        "reported_on": device.reported_on,
        "category": device.category,
        "device_type": device.device_type,
        "found": device.found,
        "destroyed": device.destroyed,
        "destroyed_note": device.destroyed_note,
    }


def activity_out(
    activity: Activity,
    user: User | None,
    *,
    results: list[LandRelease] | None = None,
    devices: list[DeviceCount] | None = None,
) -> dict[str, Any]:
    hazard = activity.hazard
    data = {
        **_common(activity, user),
        "reference": activity.reference,
        "kind": activity.kind,
        "organisation": activity.organisation.code,
        "organisation_name": str(activity.organisation),
        "hazard": str(hazard.public_id) if hazard is not None and can_see(hazard, user) else None,
        "hazard_reference": hazard.reference
        if hazard is not None and can_see(hazard, user)
        else None,
        "settlement": _pcode(activity.settlement, user),
        "admin_area": _pcode(activity.admin_area, user),
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "status": activity.status,
        "notes": activity.notes,
    }
    if results is not None:
        data["results"] = [result_out(r, user) for r in results]
    if devices is not None:
        data["devices"] = [device_out(d, user) for d in devices]
    return data


def road_out(road: RoadCheck, user: User | None) -> dict[str, Any]:
    return {
        **_common(road, user),
        "reference": road.reference,
        "name": road.name,
        "organisation": road.organisation.code,
        "activity": road.activity.reference if road.activity_id and road.activity else None,
        "settlement": _pcode(road.settlement, user),
        "checked_on": road.checked_on,
        "result": road.result,
        "length_km": round(road.length_m / 1000.0, 3),
        "stated_km": road.stated_km,
        "km": round(road.km, 3),
        "notes": road.notes,
        "location_approximate": road.location_approximate,
        "geometry": road.geometry,
    }


def building_out(check: BuildingCheck, user: User | None) -> dict[str, Any]:
    return {
        **_common(check, user),
        "organisation": check.organisation.code,
        "activity": check.activity.reference if check.activity_id and check.activity else None,
        "settlement": _pcode(check.settlement, user),
        "settlement_name": check.settlement.display_name
        if can_see(check.settlement, user)
        else None,
        "checked_on": check.checked_on,
        "buildings": check.buildings,
        "result": check.result,
        "notes": check.notes,
        "geometry": check.geometry,
    }


def accident_out(accident: Accident, user: User | None) -> dict[str, Any]:
    return {
        **_common(accident, user),
        "occurred_on": accident.occurred_on,
        "settlement": _pcode(accident.settlement, user),
        "admin_area": _pcode(accident.admin_area, user),
        "device_category": accident.device_category,
        "device_type": accident.device_type,
        **{name: getattr(accident, name) for name in Accident.VICTIM_FIELDS},
        "killed": accident.killed,
        "injured": accident.injured,
        "description": accident.description,
        "geometry": accident.geometry,
    }
