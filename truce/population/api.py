"""The displacement and returns API, mounted under /api/v1/population/.

Handlers parse, call a selector or service, and serialise. Every read goes
through the population selectors, so a record another party may not see is a
404 and household personal fields arrive already redacted for the caller.
Creates honour Idempotency-Key; updates need the version they were made from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Body, Header, Query, Router, Schema

from truce.core.auth import api_user
from truce.core.errors import InvalidInput
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import User
from truce.core.schemas import PageQuery
from truce.core.selectors import get_visible
from truce.lib.pagination import paginate
from truce.population import geojson, selectors, services
from truce.population.serializers import (
    baseline_out,
    flow_count_out,
    household_out,
    return_out,
)

router = Router(tags=["population"])
Out = Callable[[Any, User], dict[str, Any]]
BODY = Body(...)  # ninja's way to declare a JSON body
IDEMPOTENCY = Header(None, alias=KEY_HEADER)


class PageOut(Schema):
    items: list[dict[str, Any]]
    next_cursor: str | None


class HouseholdFilters(PageQuery):
    origin: str | None = None
    current: str | None = None
    intention: str | None = None
    intended: str | None = None
    vulnerability: str | None = None
    vulnerable: bool | None = None


class ReturnFilters(PageQuery):
    to: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    checkpoint: str | None = None


class FlowFilters(PageQuery):
    point: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    direction: str | None = None
    escorted: bool | None = None


def _page(
    request: HttpRequest, rows: QuerySet[Any], query: PageQuery, slug: str, out: Out
) -> dict[str, Any]:
    user = api_user(request)
    page = paginate(rows, namespace=f"population-{slug}", limit=query.limit, cursor=query.cursor)
    return {"items": [out(row, user) for row in page.items], "next_cursor": page.next_cursor}


def _split(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    data = dict(payload)
    extra: dict[str, Any] = {}
    if data.get("visibility") is not None:
        extra["visibility"] = data.pop("visibility")
    data.pop("visibility", None)
    return data, extra


def _version(payload: dict[str, Any]) -> int:
    version = payload.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput("is required: the version the change was made from", field="version")
    return version


# --- baselines ------------------------------------------------------------------------


@router.get("/baselines/", response=PageOut, summary="Displacement baselines and stated totals")
def baselines_list(
    request: HttpRequest, query: Query[PageQuery], measure: str | None = None
) -> dict[str, Any]:
    rows = selectors.baselines_visible_to(api_user(request), measure=measure)
    return _page(request, rows, query, "baselines", baseline_out)


@router.get("/baselines/{public_id}", response=dict[str, Any], summary="One baseline")
def baselines_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return baseline_out(get_visible(selectors.baselines_visible_to(user), user, public_id), user)


@router.post("/baselines/", response={201: dict[str, Any]}, summary="Record a baseline")
def baselines_create(
    request: HttpRequest,
    payload: dict[str, Any] = BODY,
    idempotency_key: str | None = IDEMPOTENCY,
) -> HttpResponse:
    user = api_user(request)
    data, extra = _split(payload)

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, baseline_out(services.baseline_create(actor=user, data=data, **extra), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


# --- flow monitoring ------------------------------------------------------------------


@router.get("/points/", response=list[dict[str, Any]], summary="Flow monitoring points")
def points_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = api_user(request)
    totals = selectors.flow_totals_by_point(user)
    return [
        {
            "code": point.code,
            "name": point.name,
            "kind": point.kind,
            "inbound": totals.get(point.pk, {}).get("inbound", 0),
            "outbound": totals.get(point.pk, {}).get("outbound", 0),
        }
        for point in selectors.monitoring_points_visible_to(user)
    ]


@router.get("/points/{code}/days", response=list[dict[str, Any]], summary="Daily counts")
def points_days(
    request: HttpRequest, code: str, since: dt.date | None = None, until: dt.date | None = None
) -> list[dict[str, Any]]:
    user = api_user(request)
    point = selectors.monitoring_point_get(user, code)
    return [
        {
            "day": day.day.isoformat(),
            "inbound_escorted": day.inbound_escorted,
            "inbound_other": day.inbound_other,
            "outbound_escorted": day.outbound_escorted,
            "outbound_other": day.outbound_other,
            "vehicles": day.vehicles,
        }
        for day in selectors.flow_days(user, point=point.code, since=since, until=until)
    ]


@router.get("/flow-counts/", response=PageOut, summary="Daily flow count rows")
def flow_counts_list(request: HttpRequest, query: Query[FlowFilters]) -> dict[str, Any]:
    rows = selectors.flow_counts_visible_to(
        api_user(request),
        point=query.point,
        since=query.since,
        until=query.until,
        direction=query.direction,
        escorted=query.escorted,
    )
    return _page(request, rows, query, "flow-counts", flow_count_out)


@router.post(
    "/flow-counts/",
    response={200: dict[str, Any], 201: dict[str, Any]},
    summary="Record (or correct) one point/day/direction/escort count",
)
def flow_counts_record(
    request: HttpRequest,
    payload: dict[str, Any] = BODY,
    idempotency_key: str | None = IDEMPOTENCY,
) -> HttpResponse:
    user = api_user(request)
    data, extra = _split(payload)
    allowed = {"point", "day", "direction", "escorted", "people", "vehicles", "notes", "source"}
    unknown = sorted(set(data) - allowed - {"version"})
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    version = data.pop("version", None)

    def perform() -> tuple[int, dict[str, Any]]:
        result = services.flow_count_record(
            actor=user,
            point=data.get("point"),
            day=data.get("day"),
            direction=data.get("direction"),
            escorted=data.get("escorted", False),
            people=data.get("people"),
            vehicles=data.get("vehicles"),
            notes=data.get("notes") or "",
            source=data.get("source") or "",
            expected_version=version,
            **extra,
        )
        status = 201 if result.outcome == "created" else 200
        return status, {**flow_count_out(result.count, user), "outcome": result.outcome}

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


# --- escorted returns -----------------------------------------------------------------


@router.get("/returns/", response=PageOut, summary="Escorted return movements")
def returns_list(request: HttpRequest, query: Query[ReturnFilters]) -> dict[str, Any]:
    rows = selectors.returns_visible_to(
        api_user(request),
        to=query.to,
        since=query.since,
        until=query.until,
        checkpoint=query.checkpoint,
    )
    return _page(request, rows, query, "returns", return_out)


@router.get("/returns.geojson", summary="People returned per destination settlement (layer)")
def returns_geojson(
    request: HttpRequest, since: dt.date | None = None, until: dt.date | None = None
) -> JsonResponse:
    layer = geojson.returns_layer(api_user(request), since=since, until=until)
    return JsonResponse(layer, content_type="application/geo+json")


@router.get("/returns/{public_id}", response=dict[str, Any], summary="One return movement")
def returns_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return return_out(selectors.return_get(user, public_id), user)


@router.post("/returns/", response={201: dict[str, Any]}, summary="Record a return movement")
def returns_create(
    request: HttpRequest,
    payload: dict[str, Any] = BODY,
    idempotency_key: str | None = IDEMPOTENCY,
) -> HttpResponse:
    user = api_user(request)
    data, extra = _split(payload)

    def perform() -> tuple[int, dict[str, Any]]:
        movement = services.return_movement_create(actor=user, data=data, **extra)
        return 201, return_out(movement, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.patch("/returns/{public_id}", response=dict[str, Any], summary="Correct a movement")
def returns_update(
    request: HttpRequest, public_id: str, payload: dict[str, Any] = BODY
) -> dict[str, Any]:
    user = api_user(request)
    movement = selectors.return_get(user, public_id)
    data, extra = _split(payload)
    version = _version(data)
    updated = services.return_movement_update(
        actor=user, movement=movement, expected_version=version, changes=data, **extra
    )
    return return_out(updated, user)


# --- households -----------------------------------------------------------------------


@router.get("/households/", response=PageOut, summary="Registered households (redacted)")
def households_list(request: HttpRequest, query: Query[HouseholdFilters]) -> dict[str, Any]:
    rows = selectors.households_visible_to(
        api_user(request),
        origin=query.origin,
        current=query.current,
        intention=query.intention,
        intended=query.intended,
        vulnerability=query.vulnerability,
        vulnerable=query.vulnerable,
    )
    return _page(request, rows, query, "households", household_out)


@router.get("/households-origins.geojson", summary="Households and people per origin (counts only)")
def households_origins_geojson(request: HttpRequest) -> JsonResponse:
    layer = geojson.household_origins_layer(api_user(request))
    return JsonResponse(layer, content_type="application/geo+json")


@router.get("/households/{public_id}", response=dict[str, Any], summary="One household")
def households_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return household_out(selectors.household_get(user, public_id), user)


@router.get(
    "/households/{public_id}/history",
    response=list[dict[str, Any]],
    summary="Versions of one household (personal values redacted)",
)
def households_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    household = selectors.household_get(user, public_id)
    return [
        {
            "version": item.entry.record_version,
            "action": item.entry.action,
            "at": item.entry.recorded_at.isoformat(),
            "actor": item.entry.actor,
            "changed": item.changed,
            "data": item.data,
        }
        for item in selectors.household_history(household, user)
    ]


@router.post("/households/", response={201: dict[str, Any]}, summary="Register a household")
def households_create(
    request: HttpRequest,
    payload: dict[str, Any] = BODY,
    idempotency_key: str | None = IDEMPOTENCY,
) -> HttpResponse:
    user = api_user(request)
    data, extra = _split(payload)
    allow = bool(data.pop("allow_party_sharing", False))

    def perform() -> tuple[int, dict[str, Any]]:
        created = services.household_register(
            actor=user, data=data, allow_party_sharing=allow, **extra
        )
        return 201, household_out(selectors.household_get(user, created.public_id), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.patch("/households/{public_id}", response=dict[str, Any], summary="Update a household")
def households_update(
    request: HttpRequest, public_id: str, payload: dict[str, Any] = BODY
) -> dict[str, Any]:
    user = api_user(request)
    household = selectors.household_get(user, public_id)
    data, extra = _split(payload)
    version = _version(data)
    allow = bool(data.pop("allow_party_sharing", False))
    updated = services.household_update(
        actor=user,
        household=household,
        expected_version=version,
        changes=data,
        allow_party_sharing=allow,
        **extra,
    )
    return household_out(selectors.household_get(user, updated.public_id), user)
