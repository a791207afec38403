"""Shelter records as plain JSON values for the API, as seen by one reader.

A reference to a record the reader may not see is null, as everywhere. A placement
shows its household only as the population selector gives it to this reader: personal
fields blanked for roles without the right, and listed in `redacted_fields`.
"""

from __future__ import annotations

from typing import Any

from truce.core.models import User
from truce.core.serializers import geo_fields, record_fields, reference
from truce.lib.time import iso_utc
from truce.population.models import Household
from truce.shelter.gap import Gap, GapRow
from truce.shelter.models import AllocationRun, ArrivalEstimate, OccupancyReport, Placement, Shelter
from truce.shelter.occupancy import ShelterPlaces


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def shelter_out(
    shelter: Shelter, user: User, places: ShelterPlaces | None = None
) -> dict[str, Any]:
    body = {
        **geo_fields(shelter, user),
        "code": shelter.code,
        "name": shelter.name,
        "settlement": reference(shelter.settlement, user, "pcode"),
        "kind": shelter.kind,
        "capacity": shelter.capacity,
        "status": shelter.status,
        "status_since": _day(shelter.status_since),
        "operator": reference(shelter.operator, user, "code"),
        "notes": shelter.notes,
        "occupied": None,
        "counted_on": None,
        "allocated": None,
        "free": None,
    }
    if places is not None:
        body.update(
            {
                "occupied": places.occupied,
                "counted_on": _day(places.count.counted_on) if places.count else None,
                "allocated": places.allocated,
                "free": places.free,
            }
        )
    return body


def occupancy_out(report: OccupancyReport, user: User) -> dict[str, Any]:
    return {
        **record_fields(report, user),
        "shelter": reference(report.shelter, user, "code"),
        "counted_on": report.counted_on.isoformat(),
        "people": report.people,
        "overcrowding_reason": report.overcrowding_reason,
        "notes": report.notes,
    }


def estimate_out(estimate: ArrivalEstimate, user: User) -> dict[str, Any]:
    return {
        **record_fields(estimate, user),
        "code": estimate.code,
        "area": reference(estimate.area, user, "pcode"),
        "settlement": reference(estimate.settlement, user, "pcode"),
        "area_label": estimate.area_label,
        "stated_on": estimate.stated_on.isoformat(),
        "period_start": _day(estimate.period_start),
        "period_end": _day(estimate.period_end),
        "people": estimate.people,
        "qualifier": estimate.qualifier,
        "basis": estimate.basis,
    }


def gap_row_out(row: GapRow) -> dict[str, Any]:
    return {
        "area": row.key or None,
        "label": row.label,
        "shelters": row.shelters,
        "places": row.places,
        "occupied": row.occupied,
        "allocated": row.allocated,
        "free": row.free,
        "stated": row.stated,
        "stated_estimate": str(row.stated_estimate.public_id) if row.stated_estimate else None,
        "projected_households": row.households,
        "projected_flows": row.flows,
        "expected": row.expected,
        "basis": row.basis,
        "gap": row.gap,
    }


def gap_out(gap: Gap) -> dict[str, Any]:
    return {
        "as_of": gap.as_of.isoformat(),
        "horizon_days": gap.horizon_days,
        "total": gap_row_out(gap.total),
        "areas": [gap_row_out(r) for r in gap.areas],
    }


def run_out(run: AllocationRun, user: User) -> dict[str, Any]:
    return {
        **record_fields(run, user),
        "as_of": run.as_of.isoformat(),
        "status": run.status,
        "supersedes": reference(run.supersedes, user, "public_id"),
        "households": run.households,
        "people": run.people,
        "placed_households": run.placed_households,
        "placed_people": run.placed_people,
        "unplaced_people": run.unplaced_people,
        "unplaced_vulnerable_people": run.unplaced_vulnerable_people,
        "free_places": run.free_places,
        "shelters": run.shelters,
        "objective": run.objective,
        "lp_bound": run.lp_bound,
        "seconds": run.seconds,
        "parameters": {k: v for k, v in run.parameters.items() if k != "fingerprint"},
        "created_by": run.created_by.username if run.created_by else None,
        "started_at": iso_utc(run.created_at),
    }


def household_brief(household: Household | None, user: User) -> dict[str, Any] | None:
    """What a placement shows of its household, as redacted for the reader."""
    if household is None:
        return None
    return {
        "id": str(household.public_id),
        "code": household.code,
        "size": household.size,
        "vulnerable": household.is_vulnerable,
        "origin_settlement": reference(household.origin_settlement, user, "pcode"),
        "head_name": household.head_name,
        "phone": household.phone,
        "redacted_fields": list(getattr(household, "redacted_fields", [])),
    }


def placement_out(placement: Placement, user: User, household: Household | None) -> dict[str, Any]:
    return {
        **record_fields(placement, user),
        "run": str(placement.run.public_id),
        "status": placement.status,
        "household": household_brief(household, user),
        "shelter": reference(placement.shelter, user, "code"),
        "people": placement.people,
        "vulnerable": placement.vulnerable,
        "distance_km": placement.distance_km,
        "rank": placement.rank,
        "stage": placement.stage,
        "reason_code": placement.reason_code,
        "reason": placement.reason,
    }


def shelters_geojson(rows: list[ShelterPlaces], user: User) -> dict[str, Any]:
    """The shelter map layer: one point per visible shelter with capacity and free places."""
    features = []
    for places in rows:
        shelter = places.shelter
        if not shelter.geometry:
            continue
        features.append(
            {
                "type": "Feature",
                "id": str(shelter.public_id),
                "geometry": shelter.geometry,
                "properties": {
                    "name": shelter.name,
                    "code": shelter.code,
                    "layer": "shelters",
                    "kind": shelter.kind,
                    "status": shelter.status,
                    "capacity": shelter.capacity,
                    "occupied": places.occupied,
                    "allocated": places.allocated,
                    "free": places.free,
                    "approximate": shelter.location_approximate,
                    "url": shelter.get_absolute_url(),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
