"""The shelter API, mounted under /api/v1/shelter/.

Handlers only parse, call a selector or service, and serialise. Reads go through
truce.shelter.selectors, so a shelter, estimate, run or placement hidden from the
caller's party is a 404 (and absent from every list); placements show their household
as the population selector redacts it for the caller. Writes go through the services,
which decide who may write and refuse bad input naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header, Query, Router

from truce.core.auth import api_user
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.schemas import HistoryEntryOut, page_of, parse_bbox
from truce.core.serializers import history_out
from truce.lib.pagination import paginate
from truce.lib.time import utcnow
from truce.shelter import allocation, gap, schemas, selectors, services
from truce.shelter.serializers import (
    estimate_out,
    gap_out,
    occupancy_out,
    placement_out,
    run_out,
    shelter_out,
    shelters_geojson,
)

router = Router(tags=["shelter"])


def _today() -> dt.date:
    return utcnow().date()


def _split_visibility(fields: dict[str, Any]) -> dict[str, Any]:
    visibility = fields.pop("visibility", None)
    return {} if visibility is None else {"visibility": visibility}


# --- shelters --------------------------------------------------------------------------


@router.get("/shelters", response=page_of(schemas.ShelterOut))
def shelters_list(request: HttpRequest, query: Query[schemas.ShelterFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.shelters_visible_to(
        user,
        settlement=query.settlement,
        area=query.area,
        status=query.status,
        kind=query.kind,
        q=query.q,
        bbox=parse_bbox(query.bbox),
    )
    page = paginate(rows, namespace="shelters", limit=query.limit, cursor=query.cursor)
    places = {
        p.shelter.pk: p for p in selectors.shelter_places(user, query.as_of or _today(), None)
    }
    return {
        "items": [shelter_out(s, user, places.get(s.pk)) for s in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/shelters.geojson",
    summary="Shelters as GeoJSON points with capacity, occupancy and free places",
)
def shelters_layer(request: HttpRequest, as_of: dt.date | None = None) -> HttpResponse:
    user = api_user(request)
    body = shelters_geojson(selectors.shelter_places(user, as_of or _today()), user)
    return JsonResponse(body, content_type="application/geo+json")


@router.post("/shelters", response={201: schemas.ShelterOut})
def shelters_create(
    request: HttpRequest,
    payload: schemas.ShelterCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump(exclude_unset=True)
    extra = _split_visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        shelter = services.shelter_create(actor=user, fields=fields, **extra)
        return 201, shelter_out(shelter, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/shelters/{public_id}", response=schemas.ShelterOut)
def shelters_get(
    request: HttpRequest, public_id: str, as_of: dt.date | None = None
) -> dict[str, Any]:
    user = api_user(request)
    shelter = selectors.shelter_get(user, public_id)
    places = selectors.shelter_places(
        user, as_of or _today(), selectors.shelters_visible_to(user).filter(pk=shelter.pk)
    )
    return shelter_out(shelter, user, places[0])


@router.patch(
    "/shelters/{public_id}",
    response=schemas.ShelterOut,
    summary="Change a shelter (capacity, status, ...): a new version; stale version is 409",
)
def shelters_update(
    request: HttpRequest, public_id: str, payload: schemas.ShelterPatch
) -> dict[str, Any]:
    user = api_user(request)
    shelter = selectors.shelter_get(user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    extra = _split_visibility(changes)
    updated = services.shelter_update(
        actor=user, shelter=shelter, expected_version=version, changes=changes, **extra
    )
    return shelter_out(updated, user)


@router.get(
    "/shelters/{public_id}/history",
    response=list[HistoryEntryOut],
    summary="Every version of the shelter: its status and capacity timeline",
)
def shelters_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    return history_out(selectors.shelter_get(user, public_id), user)


@router.get("/shelters/{public_id}/occupancy", response=list[schemas.OccupancyOut])
def shelters_occupancy(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    shelter = selectors.shelter_get(user, public_id)
    return [occupancy_out(r, user) for r in selectors.occupancy_visible_to(user, shelter=shelter)]


@router.post(
    "/shelters/{public_id}/occupancy",
    response={201: schemas.OccupancyOut},
    summary="Record the count of a day (above capacity needs overcrowding_reason)",
)
def shelters_occupancy_record(
    request: HttpRequest,
    public_id: str,
    payload: schemas.OccupancyIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    shelter = selectors.shelter_get(user, public_id)
    data = payload.model_dump()

    def perform() -> tuple[int, dict[str, Any]]:
        report = services.occupancy_record(actor=user, shelter=shelter, **data)
        return 201, occupancy_out(report, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


# --- expected arrivals and the gap ---------------------------------------------------


@router.get("/estimates", response=page_of(schemas.EstimateOut))
def estimates_list(
    request: HttpRequest, query: Query[schemas.PageQuery], as_of: dt.date | None = None
) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.estimates_visible_to(user, as_of=as_of)
    page = paginate(rows, namespace="estimates", limit=query.limit, cursor=query.cursor)
    return {
        "items": [estimate_out(e, user) for e in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/estimates", response={201: schemas.EstimateOut})
def estimates_create(
    request: HttpRequest,
    payload: schemas.EstimateCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump(exclude_unset=True)
    extra = _split_visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, estimate_out(services.estimate_create(actor=user, fields=fields, **extra), user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/estimates/{public_id}", response=schemas.EstimateOut)
def estimates_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return estimate_out(selectors.estimate_get(user, public_id), user)


@router.patch("/estimates/{public_id}", response=schemas.EstimateOut)
def estimates_update(
    request: HttpRequest, public_id: str, payload: schemas.EstimatePatch
) -> dict[str, Any]:
    user = api_user(request)
    estimate = selectors.estimate_get(user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    extra = _split_visibility(changes)
    updated = services.estimate_update(
        actor=user, estimate=estimate, expected_version=version, changes=changes, **extra
    )
    return estimate_out(updated, user)


@router.get(
    "/gap",
    response=schemas.GapOut,
    summary="Expected arrivals against free places, by area and in total, as of a day",
)
def gap_get(request: HttpRequest, query: Query[schemas.AsOfQuery]) -> dict[str, Any]:
    user = api_user(request)
    return gap_out(
        gap.gap_as_of(user, query.as_of or _today(), horizon_days=max(0, query.horizon_days))
    )


# --- allocation ----------------------------------------------------------------------


@router.get("/runs", response=page_of(schemas.RunOut))
def runs_list(request: HttpRequest, query: Query[schemas.PageQuery]) -> dict[str, Any]:
    user = api_user(request)
    page = paginate(
        selectors.runs_visible_to(user), namespace="runs", limit=query.limit, cursor=query.cursor
    )
    return {"items": [run_out(r, user) for r in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/runs",
    response={201: schemas.RunOut, 200: schemas.DryRunOut},
    summary="Run the allocation (mission administrators and duty officers)",
    description=(
        "Allocates the households returning or relocating, expected by as_of + "
        "horizon_days, to the free places of as_of. The new run supersedes the current "
        "one (its placements become new versions with status superseded). "
        "dry_run computes and answers 200 with the figures, writing nothing."
    ),
)
def runs_create(
    request: HttpRequest,
    payload: schemas.RunIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)

    def perform() -> tuple[int, dict[str, Any]]:
        outcome = allocation.allocation_run(
            actor=user,
            as_of=payload.as_of,
            dry_run=payload.dry_run,
            candidates=payload.candidates,
            horizon_days=payload.horizon_days,
        )
        if outcome.run is not None:
            return 201, run_out(outcome.run, user)
        result = outcome.result
        return 200, {
            "dry_run": True,
            "households": len(outcome.households),
            "placed_households": len(result.placed),
            "placed_people": result.people_placed,
            "unplaced_people": result.people_unplaced,
            "objective": result.objective,
            "lp_bound": result.lp_bound,
            "seconds": result.seconds,
        }

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/runs/{public_id}", response=schemas.RunOut)
def runs_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return run_out(selectors.run_get(user, public_id), user)


@router.get("/runs/{public_id}/placements", response=page_of(schemas.PlacementOut))
def runs_placements(
    request: HttpRequest, public_id: str, query: Query[schemas.PlacementFilters]
) -> dict[str, Any]:
    user = api_user(request)
    run = selectors.run_get(user, public_id)
    shelter = None
    if query.shelter:
        shelter = selectors.shelters_visible_to(user).filter(code=query.shelter).first()
        if shelter is None:
            return {"items": [], "next_cursor": None}
    rows = selectors.placements_visible_to(user, run=run, shelter=shelter, placed=query.placed)
    page = paginate(rows, namespace="placements", limit=query.limit, cursor=query.cursor)
    households = selectors.households_of(user, page.items)
    return {
        "items": [placement_out(p, user, households.get(p.household_id)) for p in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/placements/{public_id}", response=schemas.PlacementOut)
def placements_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    placement = selectors.placement_get(user, public_id)
    households = selectors.households_of(user, [placement])
    return placement_out(placement, user, households.get(placement.household_id))


@router.get("/placements/{public_id}/history", response=list[HistoryEntryOut])
def placements_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    return history_out(selectors.placement_get(user, public_id), user)
