"""The mine action API, under /api/v1/mineaction/.

Hazard areas (list, detail with history, create, PATCH, status changes, a GeoJSON
layer), activities with their results and devices, road checks (and their layer),
building checks, accidents (mission-only by default) and the totals. Handlers
parse, call a selector or a service, and serialise: a record hidden from the
caller's party is a 404 and is never counted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema

from truce.core.auth import api_user
from truce.core.errors import InvalidInput
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.schemas import HistoryEntryOut, PageQuery, parse_bbox
from truce.core.selectors import get_visible
from truce.core.serializers import history_out
from truce.lib.pagination import paginate
from truce.mineaction import rollups, selectors, services, task_services
from truce.mineaction import serializers as out
from truce.mineaction.models import HazardStatus

router = Router(tags=["mineaction"])


# --- schemas -------------------------------------------------------------------------------


class HazardFilters(PageQuery):
    status: str | None = Field(None, description="open, closed or handed_over.")
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")
    admin_area: str | None = None
    settlement: str | None = None


class LayerFilters(Schema):
    status: str | None = Field(None, description="open, closed or handed_over.")
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


class HazardIn(Schema):
    reference: str
    name: str
    kind: str = Field(description="suspected or confirmed.")
    contamination: str = "unknown"
    evidence: str = ""
    settlement: str | None = Field(None, description="Settlement P-code.")
    admin_area: str | None = Field(None, description="Admin area P-code.")
    reported_on: dt.date
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon (lon, lat).")
    location_approximate: bool = False
    source: str = ""
    confidence: str = ""
    visibility: list[str] | None = None


class HazardChanges(Schema):
    expected_version: int
    name: str | None = None
    kind: str | None = None
    contamination: str | None = None
    evidence: str | None = None
    settlement: str | None = None
    admin_area: str | None = None
    geometry: dict[str, Any] | None = None
    location_approximate: bool | None = None
    source: str | None = None
    visibility: list[str] | None = None


class StatusIn(Schema):
    expected_version: int
    status: str = Field(description="open, closed or handed_over.")
    since: dt.date
    released_by: str | None = Field(None, description="The land release's id.")
    note: str = ""


class ActivityFilters(PageQuery):
    hazard: str | None = Field(None, description="A hazard area's id.")
    kind: str | None = None
    status: str | None = None
    admin_area: str | None = None
    settlement: str | None = None


class ResultIn(Schema):
    reported_on: dt.date
    cancelled_m2: float = 0.0
    reduced_m2: float = 0.0
    cleared_m2: float = 0.0
    notes: str = ""
    source: str = ""


class DeviceIn(Schema):
    reported_on: dt.date
    category: str
    device_type: str = ""
    found: int = 0
    destroyed: int = 0
    destroyed_note: str = ""
    source: str = ""


class ActivityIn(Schema):
    reference: str
    kind: str = Field(description="nts, ts, clearance, bac or eod.")
    organisation: str = Field(description="The organisation's code.")
    hazard: str | None = Field(None, description="Hazard id or reference (not for EOD tasks).")
    settlement: str | None = None
    admin_area: str | None = None
    start_date: dt.date
    end_date: dt.date | None = None
    status: str = "planned"
    notes: str = ""
    source: str = ""
    results: list[ResultIn] = []
    devices: list[DeviceIn] = []
    visibility: list[str] | None = None


class ActivityChanges(Schema):
    expected_version: int
    status: str | None = None
    end_date: dt.date | None = None
    notes: str | None = None
    source: str | None = None


class CheckFilters(PageQuery):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    admin_area: str | None = None
    settlement: str | None = None
    bbox: str | None = None


class RoadIn(Schema):
    reference: str
    name: str
    organisation: str
    activity: str | None = None
    settlement: str | None = None
    admin_area: str | None = None
    checked_on: dt.date
    result: str
    geometry: dict[str, Any] = Field(description="GeoJSON LineString or MultiLineString.")
    stated_km: float | None = None
    notes: str = ""
    location_approximate: bool = False
    source: str = ""
    visibility: list[str] | None = None


class BuildingIn(Schema):
    organisation: str
    settlement: str
    activity: str | None = None
    checked_on: dt.date
    buildings: int
    result: str = "clear"
    geometry: dict[str, Any] | None = None
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class AccidentIn(Schema):
    occurred_on: dt.date
    settlement: str | None = None
    admin_area: str | None = None
    device_category: str
    device_type: str = ""
    killed_men: int = 0
    killed_women: int = 0
    killed_boys: int = 0
    killed_girls: int = 0
    injured_men: int = 0
    injured_women: int = 0
    injured_boys: int = 0
    injured_girls: int = 0
    description: str = ""
    geometry: dict[str, Any] | None = None
    source: str = ""
    visibility: list[str] | None = Field(None, description="Default: the mission only.")


class BatchIn(Schema):
    kind: str = Field(description="hazards, activities, road_checks, building_checks or accidents.")
    rows: list[dict[str, Any]] = Field(
        description="Records as for the single create endpoints (P-codes and codes by value)."
    )


class TotalsQuery(Schema):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    admin_area: str | None = None
    settlement: str | None = None
    bbox: str | None = None


# --- helpers -------------------------------------------------------------------------------


def _visibility(fields: dict[str, Any]) -> dict[str, Any]:
    visibility = fields.pop("visibility", None)
    return {} if visibility is None else {"visibility": visibility}


def _status(value: str | None) -> str | None:
    if value and value not in HazardStatus.values:
        raise InvalidInput(f"unknown status {value!r}", field="status")
    return value


def _period(start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    if start and end and end < start:
        raise InvalidInput("to is before from", field="to")
    return {"start": start, "end": end}


def _created(request: HttpRequest, key: str | None, perform: Any) -> HttpResponse:
    user = api_user(request)
    return run_idempotent(request, user=user, key=key, perform=perform).as_response()


def _page(rows: Any, namespace: str, query: PageQuery, render: Any) -> dict[str, Any]:
    page = paginate(rows, namespace=namespace, limit=query.limit, cursor=query.cursor)
    return {"items": [render(r) for r in page.items], "next_cursor": page.next_cursor}


def _feature(geometry: Any, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


# --- hazards -------------------------------------------------------------------------------


@router.get("/hazards/", url_name="mineaction_hazards_list")
def hazards_list(request: HttpRequest, query: Query[HazardFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.hazard_areas_visible_to(
        user,
        status=_status(query.status),
        bbox=parse_bbox(query.bbox),
        admin_area=query.admin_area,
        settlement=query.settlement,
    )
    page = paginate(rows, namespace="ma-hazards", limit=query.limit, cursor=query.cursor)
    released = rollups.released_by_hazard(user, list(page.items))
    return {
        "items": [out.hazard_out(h, user, released=released.get(h.pk)) for h in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/hazards/", url_name="mineaction_hazards_create")
def hazards_create(
    request: HttpRequest,
    payload: HazardIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        hazard = services.hazard_area_record(actor=user, fields=fields, **extra)
        return 201, out.hazard_out(hazard, user)

    return _created(request, idempotency_key, perform)


@router.get("/hazards.geojson", url_name="mineaction_hazards_layer")
def hazards_layer(request: HttpRequest, query: Query[LayerFilters]) -> dict[str, Any]:
    """Hazard areas the caller may see as GeoJSON polygons, with their land release."""
    user = api_user(request)
    rows = list(
        selectors.hazard_areas_visible_to(
            user, status=_status(query.status), bbox=parse_bbox(query.bbox)
        )
    )
    released = rollups.released_by_hazard(user, rows)
    features = []
    for hazard in rows:
        props = out.hazard_out(hazard, user, released=released.get(hazard.pk))
        features.append(_feature(props.pop("geometry"), props))
    return {"type": "FeatureCollection", "features": features}


@router.get("/hazards/{public_id}", url_name="mineaction_hazard_get")
def hazard_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    """A hazard area, its land release so far, its activities and its versions."""
    user = api_user(request)
    hazard = get_visible(selectors.hazard_areas_visible_to(user), user, public_id)
    released = rollups.released_by_hazard(user, [hazard]).get(hazard.pk)
    data = out.hazard_out(hazard, user, released=released)
    data["activities"] = [
        out.activity_out(a, user) for a in selectors.activities_visible_to(user, hazard=hazard)
    ]
    data["history"] = history_out(hazard, user)
    return data


@router.patch("/hazards/{public_id}", url_name="mineaction_hazard_update")
def hazard_update(request: HttpRequest, public_id: str, payload: HazardChanges) -> dict[str, Any]:
    user = api_user(request)
    hazard = get_visible(selectors.hazard_areas_visible_to(user), user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("expected_version")
    extra = _visibility(changes)
    updated = services.hazard_area_update(
        actor=user, hazard=hazard, expected_version=version, changes=changes, **extra
    )
    return out.hazard_out(updated, user)


@router.post("/hazards/{public_id}/status", url_name="mineaction_hazard_status")
def hazard_status(request: HttpRequest, public_id: str, payload: StatusIn) -> dict[str, Any]:
    """Close, hand over or reopen a hazard area from a day (a new version)."""
    user = api_user(request)
    hazard = get_visible(selectors.hazard_areas_visible_to(user), user, public_id)
    released_by = None
    if payload.released_by:
        # A release the caller may not see is not one they may cite.
        released_by = get_visible(selectors.results_visible_to(user), user, payload.released_by)
    updated = services.hazard_area_change_status(
        actor=user,
        hazard=hazard,
        expected_version=payload.expected_version,
        status=payload.status,
        since=payload.since,
        released_by=released_by,
        note=payload.note,
    )
    return out.hazard_out(updated, user)


@router.get(
    "/hazards/{public_id}/history",
    response=list[HistoryEntryOut],
    url_name="mineaction_hazard_history",
)
def hazard_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    return history_out(get_visible(selectors.hazard_areas_visible_to(user), user, public_id), user)


# --- activities ----------------------------------------------------------------------------


@router.get("/activities/", url_name="mineaction_activities_list")
def activities_list(request: HttpRequest, query: Query[ActivityFilters]) -> dict[str, Any]:
    user = api_user(request)
    hazard = None
    if query.hazard:
        hazard = get_visible(selectors.hazard_areas_visible_to(user), user, query.hazard)
    rows = selectors.activities_visible_to(
        user,
        hazard=hazard,
        kind=query.kind,
        status=query.status,
        admin_area=query.admin_area,
        settlement=query.settlement,
    )
    return _page(rows, "ma-activities", query, lambda a: out.activity_out(a, user))


@router.post("/activities/", url_name="mineaction_activities_create")
def activities_create(
    request: HttpRequest,
    payload: ActivityIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    """An activity with the results and device counts reported with it, in one transaction."""
    user = api_user(request)
    fields = payload.model_dump()
    results = fields.pop("results")
    devices = fields.pop("devices")
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        activity = task_services.activity_record(
            actor=user, fields=fields, results=results, devices=devices, **extra
        )
        return 201, _activity_detail(activity, user)

    return _created(request, idempotency_key, perform)


def _activity_detail(activity: Any, user: Any) -> dict[str, Any]:
    return out.activity_out(
        activity,
        user,
        results=list(selectors.results_visible_to(user, activity=activity)),
        devices=list(selectors.devices_visible_to(user, activity=activity)),
    )


@router.get("/activities/{public_id}", url_name="mineaction_activity_get")
def activity_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    activity = get_visible(selectors.activities_visible_to(user), user, public_id)
    return _activity_detail(activity, user)


@router.patch("/activities/{public_id}", url_name="mineaction_activity_update")
def activity_update(
    request: HttpRequest, public_id: str, payload: ActivityChanges
) -> dict[str, Any]:
    user = api_user(request)
    activity = get_visible(selectors.activities_visible_to(user), user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("expected_version")
    updated = task_services.activity_update(
        actor=user, activity=activity, expected_version=version, changes=changes
    )
    return _activity_detail(updated, user)


@router.post("/activities/{public_id}/results", url_name="mineaction_activity_result")
def activity_result(request: HttpRequest, public_id: str, payload: ResultIn) -> HttpResponse:
    user = api_user(request)
    activity = get_visible(selectors.activities_visible_to(user), user, public_id)

    def perform() -> tuple[int, dict[str, Any]]:
        result = task_services.land_release_record(
            actor=user, activity=activity, fields=payload.model_dump()
        )
        return 201, out.result_out(result, user)

    return _created(request, None, perform)


@router.post("/activities/{public_id}/devices", url_name="mineaction_activity_device")
def activity_device(request: HttpRequest, public_id: str, payload: DeviceIn) -> HttpResponse:
    user = api_user(request)
    activity = get_visible(selectors.activities_visible_to(user), user, public_id)

    def perform() -> tuple[int, dict[str, Any]]:
        device = task_services.device_count_record(
            actor=user, activity=activity, fields=payload.model_dump()
        )
        return 201, out.device_out(device, user)

    return _created(request, None, perform)


# --- road and building checks, accidents ---------------------------------------------------


def _check_filters(query: CheckFilters) -> dict[str, Any]:
    return {
        **_period(query.from_, query.to),
        "admin_area": query.admin_area,
        "settlement": query.settlement,
        "bbox": parse_bbox(query.bbox),
    }


@router.get("/road-checks/", url_name="mineaction_roads_list")
def roads_list(request: HttpRequest, query: Query[CheckFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.road_checks_visible_to(user, **_check_filters(query))
    return _page(rows, "ma-roads", query, lambda r: out.road_out(r, user))


@router.post("/road-checks/", url_name="mineaction_roads_create")
def roads_create(
    request: HttpRequest,
    payload: RoadIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        road = task_services.road_check_record(actor=user, fields=fields, **extra)
        return 201, out.road_out(road, user)

    return _created(request, idempotency_key, perform)


@router.get("/road-checks.geojson", url_name="mineaction_roads_layer")
def roads_layer(request: HttpRequest, query: Query[CheckFilters]) -> dict[str, Any]:
    user = api_user(request)
    features = []
    for road in selectors.road_checks_visible_to(user, **_check_filters(query)):
        props = out.road_out(road, user)
        features.append(_feature(props.pop("geometry"), props))
    return {"type": "FeatureCollection", "features": features}


@router.get("/road-checks/{public_id}", url_name="mineaction_road_get")
def road_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return out.road_out(get_visible(selectors.road_checks_visible_to(user), user, public_id), user)


@router.get("/building-checks/", url_name="mineaction_buildings_list")
def buildings_list(request: HttpRequest, query: Query[CheckFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.building_checks_visible_to(user, **_check_filters(query))
    return _page(rows, "ma-buildings", query, lambda b: out.building_out(b, user))


@router.post("/building-checks/", url_name="mineaction_buildings_create")
def buildings_create(
    request: HttpRequest,
    payload: BuildingIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        check = task_services.building_check_record(actor=user, fields=fields, **extra)
        return 201, out.building_out(check, user)

    return _created(request, idempotency_key, perform)


@router.get("/building-checks/{public_id}", url_name="mineaction_building_get")
def building_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    check = get_visible(selectors.building_checks_visible_to(user), user, public_id)
    return out.building_out(check, user)


@router.get("/accidents/", url_name="mineaction_accidents_list")
def accidents_list(request: HttpRequest, query: Query[CheckFilters]) -> dict[str, Any]:
    """Accidents the caller may see: by default only the mission sees any."""
    user = api_user(request)
    filters = _check_filters(query)
    filters.pop("bbox")
    rows = selectors.accidents_visible_to(user, **filters)
    return _page(rows, "ma-accidents", query, lambda a: out.accident_out(a, user))


@router.post("/accidents/", url_name="mineaction_accidents_create")
def accidents_create(
    request: HttpRequest,
    payload: AccidentIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        accident = task_services.accident_record(actor=user, fields=fields, **extra)
        return 201, out.accident_out(accident, user)

    return _created(request, idempotency_key, perform)


@router.get("/accidents/{public_id}", url_name="mineaction_accident_get")
def accident_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    accident = get_visible(selectors.accidents_visible_to(user), user, public_id)
    return out.accident_out(accident, user)


@router.post("/batch", url_name="mineaction_batch")
def batch(
    request: HttpRequest,
    payload: BatchIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    """Many records of one kind in one transaction: all are written, or none."""
    user = api_user(request)

    def perform() -> tuple[int, dict[str, Any]]:
        written = task_services.batch_record(actor=user, kind=payload.kind, rows=payload.rows)
        return 201, {"kind": payload.kind, "written": written}

    return _created(request, idempotency_key, perform)


# --- totals --------------------------------------------------------------------------------


def totals_out(totals: rollups.Totals) -> dict[str, Any]:
    where = totals.where
    return {
        "from": where.start,
        "to": where.end,
        "admin_area": where.admin_area,
        "settlement": where.settlement,
        "cleared_ha": round(totals.cleared_ha, 4),
        "reduced_ha": round(totals.reduced_ha, 4),
        "cancelled_ha": round(totals.cancelled_ha, 4),
        "cleared_m2": totals.cleared_m2,
        "reduced_m2": totals.reduced_m2,
        "cancelled_m2": totals.cancelled_m2,
        "road_km": round(totals.road_km, 3),
        "road_checks": totals.road_checks,
        "buildings_checked": totals.buildings_checked,
        "building_checks": totals.building_checks,
        "items_found": totals.items_found,
        "items_destroyed": totals.items_destroyed,
        "destroyed_by_category": totals.destroyed_by_category,
        "hazards": {
            status: {"count": tally.count, "area_ha": round(tally.area_m2 / 10_000, 4)}
            for status, tally in totals.hazards.items()
        },
    }


@router.get("/totals", url_name="mineaction_totals")
def totals(request: HttpRequest, query: Query[TotalsQuery]) -> dict[str, Any]:
    """Land released, road and buildings checked, items destroyed, hazards by status.

    Results and checks dated within from..to (both included; either may be left
    out); hazards by their status on `to` (today's without it).
    """
    user = api_user(request)
    where = rollups.Where(
        **_period(query.from_, query.to),
        admin_area=query.admin_area,
        settlement=query.settlement,
        bbox=parse_bbox(query.bbox),
    )
    return totals_out(rollups.mine_action_totals(user, where))
