"""The deployment API, under /api/v1/deployment/: airlift flights, totals, unit deployments.

Reads through truce.deployment.selectors (a hidden record is a 404 and never
counted), writes through truce.deployment.services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Schema

from truce.core.auth import api_user
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import User
from truce.core.schemas import PageQuery, page_of
from truce.core.selectors import get_visible
from truce.core.sharing import visibility_seen_by
from truce.deployment import selectors, services
from truce.deployment.models import AirliftFlight, UnitDeployment
from truce.lib.pagination import paginate

router = Router(tags=["deployment"])


class FlightOut(Schema):
    id: str
    version: int
    flown_on: dt.date
    flight_ref: str
    origin: str
    destination: str
    aircraft_type: str
    personnel: int
    equipment_units: int
    cargo_t: Decimal | None
    notes: str
    source: str
    visibility: list[str]


class FlightIn(Schema):
    flown_on: dt.date
    flight_ref: str = ""
    origin: str
    destination: str
    aircraft_type: str
    personnel: int = 0
    equipment_units: int = 0
    cargo_t: Decimal | None = None
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class FlightChanges(Schema):
    expected_version: int
    flown_on: dt.date | None = None
    origin: str | None = None
    destination: str | None = None
    aircraft_type: str | None = None
    personnel: int | None = None
    equipment_units: int | None = None
    cargo_t: Decimal | None = None
    notes: str | None = None
    source: str | None = None


class FlightFilters(PageQuery):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    origin: str | None = None
    aircraft_type: str | None = None


class TotalsQuery(Schema):
    as_of: dt.date | None = None


class DeploymentOut(Schema):
    id: str
    version: int
    unit: str
    unit_name: str
    personnel: int | None
    equipment_units: int | None
    deployed_from: dt.date
    deployed_to: dt.date | None
    location: str
    notes: str
    source: str
    visibility: list[str]


class DeploymentIn(Schema):
    unit: str
    personnel: int | None = None
    equipment_units: int | None = None
    deployed_from: dt.date
    deployed_to: dt.date | None = None
    location: str = ""
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class DeploymentFilters(PageQuery):
    unit: str | None = None
    as_of: dt.date | None = None


def flight_out(row: AirliftFlight, user: User) -> dict[str, Any]:
    return {
        "id": str(row.public_id),
        "version": row.version,
        "flown_on": row.flown_on,
        "flight_ref": row.flight_ref,
        "origin": row.origin,
        "destination": row.destination,
        "aircraft_type": row.aircraft_type,
        "personnel": row.personnel,
        "equipment_units": row.equipment_units,
        "cargo_t": row.cargo_t,
        "notes": row.notes,
        "source": row.source,
        "visibility": visibility_seen_by(row.visibility, user),
    }


def deployment_out(row: UnitDeployment, user: User) -> dict[str, Any]:
    return {
        "id": str(row.public_id),
        "version": row.version,
        "unit": row.unit.code,
        "unit_name": row.unit.name,
        "personnel": row.personnel,
        "equipment_units": row.equipment_units,
        "deployed_from": row.deployed_from,
        "deployed_to": row.deployed_to,
        "location": row.location,
        "notes": row.notes,
        "source": row.source,
        "visibility": visibility_seen_by(row.visibility, user),
    }


def _visibility(fields: dict[str, Any]) -> dict[str, Any]:
    visibility = fields.pop("visibility", None)
    return {} if visibility is None else {"visibility": visibility}


@router.get("/flights/", response=page_of(FlightOut), url_name="deployment_flights")
def flights_list(request: HttpRequest, query: Query[FlightFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.flights_visible_to(
        user, **query.model_dump(exclude={"limit", "cursor"})
    ).order_by("id")
    page = paginate(rows, namespace="deployment-flights", limit=query.limit, cursor=query.cursor)
    return {"items": [flight_out(r, user) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/flights/", response={201: FlightOut}, url_name="deployment_flight_add")
def flights_create(
    request: HttpRequest,
    payload: FlightIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, flight_out(services.flight_record(actor=user, fields=fields, **extra), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/flights/{public_id}", response=FlightOut, url_name="deployment_flight")
def flight_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return flight_out(get_visible(selectors.flights_visible_to(user), user, public_id), user)


@router.patch("/flights/{public_id}", response=FlightOut, url_name="deployment_flight_update")
def flight_update(request: HttpRequest, public_id: str, payload: FlightChanges) -> dict[str, Any]:
    user = api_user(request)
    flight = get_visible(selectors.flights_visible_to(user), user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("expected_version")
    updated = services.flight_update(
        actor=user, flight=flight, expected_version=version, changes=changes
    )
    return flight_out(updated, user)


@router.get("/airlift", url_name="deployment_airlift")
def airlift(request: HttpRequest, query: Query[TotalsQuery]) -> dict[str, Any]:
    """Flights, people and units of equipment up to the day, with the daily and running sums."""
    user = api_user(request)
    rows = selectors.flights_visible_to(user, date_to=query.as_of)
    totals = selectors.airlift_totals(rows)
    return {
        "as_of": query.as_of,
        "flights": totals.flights,
        "personnel": totals.personnel,
        "equipment_units": totals.equipment_units,
        "by_day": [d.__dict__ for d in selectors.airlift_by_day(rows)],
    }


@router.get("/units/", response=page_of(DeploymentOut), url_name="deployment_units")
def units_list(request: HttpRequest, query: Query[DeploymentFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.deployments_visible_to(user, unit=query.unit, as_of=query.as_of).order_by("id")
    page = paginate(rows, namespace="deployment-units", limit=query.limit, cursor=query.cursor)
    return {
        "items": [deployment_out(r, user) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/units/", response={201: DeploymentOut}, url_name="deployment_unit_add")
def units_create(
    request: HttpRequest,
    payload: DeploymentIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        row = services.deployment_record(actor=user, fields=fields, **extra)
        return 201, deployment_out(row, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/units/{public_id}", response=DeploymentOut, url_name="deployment_unit")
def unit_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return deployment_out(
        get_visible(selectors.deployments_visible_to(user), user, public_id), user
    )
