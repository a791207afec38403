"""The registry API: parties, organisations, admin areas, settlements, zones, facilities.

Handlers only parse, call a selector or service, and serialise. Reads go
through the `*_visible_to` selectors, so a record another party may not see
is a 404 everywhere, never a 403; writes go through the registry services,
which decide who may write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header, Query, Router, Schema

from truce.core import schemas, selectors, services
from truce.core.auth import api_user
from truce.core.errors import NotFound
from truce.core.geojson import LAYERS, layer_collection
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import Record, User
from truce.core.schemas import parse_bbox
from truce.core.serializers import (
    admin_area_out,
    facility_out,
    history_out,
    me_out,
    organisation_out,
    party_out,
    settlement_out,
    zone_out,
)
from truce.lib.pagination import paginate

R = TypeVar("R", bound=Record)
Out = Callable[[Any, User], dict[str, Any]]

router = Router()


# --- shared handler bodies ----------------------------------------------------------


def _page(
    request: HttpRequest, rows: QuerySet[Any], query: schemas.PageQuery, slug: str, out: Out
) -> dict[str, Any]:
    user = api_user(request)
    page = paginate(rows, namespace=slug, limit=query.limit, cursor=query.cursor)
    return {"items": [out(row, user) for row in page.items], "next_cursor": page.next_cursor}


def _split_visibility(fields: dict[str, Any]) -> dict[str, Any]:
    """Visibility travels beside the fields; absent (or null) leaves the service default."""
    visibility = fields.pop("visibility", None)
    return {} if visibility is None else {"visibility": visibility}


def _create(
    request: HttpRequest,
    payload: Schema,
    key: str | None,
    create: Callable[..., Record],
    out: Out,
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump(exclude_unset=True)
    extra = _split_visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        record = create(actor=user, fields=fields, **extra)
        return 201, out(record, user)

    return run_idempotent(request, user=user, key=key, perform=perform).as_response()


def _update(
    request: HttpRequest,
    rows: QuerySet[Any],
    public_id: str,
    payload: schemas.Versioned,
    update: Callable[..., Record],
    out: Out,
) -> dict[str, Any]:
    user = api_user(request)
    record = selectors.get_visible(rows, user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    extra = _split_visibility(changes)
    updated = update(user, record, version, changes, extra)
    return out(updated, user)


# --- one spec per registry: reads and delete are the same shape for all ---------------


@dataclass(frozen=True)
class Registry:
    slug: str
    noun: str
    rows: Callable[[User], QuerySet[Any]]
    out: Out
    out_schema: type[Schema]
    deletable: bool = True


REGISTRIES = (
    Registry("parties", "party", selectors.parties_visible_to, party_out, schemas.PartyOut, False),
    Registry(
        "organisations",
        "organisation",
        selectors.organisations_visible_to,
        organisation_out,
        schemas.OrganisationOut,
    ),
    Registry(
        "admin-areas",
        "admin area",
        selectors.admin_areas_visible_to,
        admin_area_out,
        schemas.AdminAreaOut,
    ),
    Registry(
        "settlements",
        "settlement",
        selectors.settlements_visible_to,
        settlement_out,
        schemas.SettlementOut,
    ),
    Registry("zones", "zone", selectors.zones_visible_to, zone_out, schemas.ZoneOut),
    Registry(
        "facilities",
        "facility",
        selectors.facilities_visible_to,
        facility_out,
        schemas.FacilityOut,
    ),
)
BY_SLUG = {registry.slug: registry for registry in REGISTRIES}


def _mount_reads_and_delete(registry: Registry) -> None:
    slug, tag = registry.slug, registry.slug
    op = slug.replace("-", "_")

    def get(request: HttpRequest, public_id: str) -> dict[str, Any]:
        user = api_user(request)
        return registry.out(selectors.get_visible(registry.rows(user), user, public_id), user)

    def history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
        user = api_user(request)
        # The record itself must pass the visibility check before its history is read.
        record = selectors.get_visible(registry.rows(user), user, public_id)
        return history_out(record, user)

    router.get(
        f"/{slug}/{{public_id}}",
        response=registry.out_schema,
        operation_id=f"{op}_get",
        summary=f"One {registry.noun}",
        tags=[tag],
    )(get)
    router.get(
        f"/{slug}/{{public_id}}/history",
        response=list[schemas.HistoryEntryOut],
        operation_id=f"{op}_history",
        summary=f"Versions of one {registry.noun}, from the ledger",
        tags=[tag],
    )(history)
    if not registry.deletable:
        return

    def delete(
        request: HttpRequest, public_id: str, version: int, reason: str = ""
    ) -> HttpResponse:
        user = api_user(request)
        record = selectors.get_visible(registry.rows(user), user, public_id)
        services.registry_delete(actor=user, record=record, expected_version=version, reason=reason)
        return HttpResponse(status=204)

    router.delete(
        f"/{slug}/{{public_id}}",
        response={204: None},
        operation_id=f"{op}_delete",
        summary=f"Delete (tombstone) one {registry.noun}; ?version= required",
        tags=[tag],
    )(delete)


# --- lists (each with the filters its selector supports) ------------------------------


@router.get("/parties/", response=schemas.page_of(schemas.PartyOut), tags=["parties"])
def parties_list(request: HttpRequest, query: Query[schemas.PageQuery]) -> dict[str, Any]:
    rows = selectors.parties_visible_to(api_user(request))
    return _page(request, rows, query, "parties", party_out)


@router.get(
    "/organisations/", response=schemas.page_of(schemas.OrganisationOut), tags=["organisations"]
)
def organisations_list(
    request: HttpRequest, query: Query[schemas.OrganisationFilters]
) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.organisations_visible_to(user, party=query.party, q=query.q)
    return _page(request, rows, query, "organisations", organisation_out)


@router.get("/admin-areas/", response=schemas.page_of(schemas.AdminAreaOut), tags=["admin-areas"])
def admin_areas_list(
    request: HttpRequest, query: Query[schemas.AdminAreaFilters]
) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.admin_areas_visible_to(
        user, level=query.level, parent=query.parent, q=query.q, bbox=parse_bbox(query.bbox)
    )
    return _page(request, rows, query, "admin-areas", admin_area_out)


@router.get("/settlements/", response=schemas.page_of(schemas.SettlementOut), tags=["settlements"])
def settlements_list(
    request: HttpRequest, query: Query[schemas.SettlementFilters]
) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.settlements_visible_to(
        user,
        admin_area=query.admin_area,
        q=query.q,
        kind=query.kind,
        approximate=query.approximate,
        bbox=parse_bbox(query.bbox),
    )
    return _page(request, rows, query, "settlements", settlement_out)


@router.get("/zones/", response=schemas.page_of(schemas.ZoneOut), tags=["zones"])
def zones_list(request: HttpRequest, query: Query[schemas.ZoneFilters]) -> dict[str, Any]:
    rows = selectors.zones_visible_to(
        api_user(request), kind=query.kind, q=query.q, bbox=parse_bbox(query.bbox)
    )
    return _page(request, rows, query, "zones", zone_out)


@router.get("/facilities/", response=schemas.page_of(schemas.FacilityOut), tags=["facilities"])
def facilities_list(request: HttpRequest, query: Query[schemas.FacilityFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.facilities_visible_to(
        user,
        kind=query.kind,
        zone=query.zone,
        op_role=query.op_role,
        battalion=query.battalion,
        q=query.q,
        bbox=parse_bbox(query.bbox),
    )
    return _page(request, rows, query, "facilities", facility_out)


# --- creates (POST, with Idempotency-Key) ---------------------------------------------


@router.post("/organisations/", response={201: schemas.OrganisationOut}, tags=["organisations"])
def organisations_create(
    request: HttpRequest,
    payload: schemas.OrganisationCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _create(
        request, payload, idempotency_key, services.organisation_create, organisation_out
    )


@router.post("/admin-areas/", response={201: schemas.AdminAreaOut}, tags=["admin-areas"])
def admin_areas_create(
    request: HttpRequest,
    payload: schemas.AdminAreaCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _create(request, payload, idempotency_key, services.admin_area_create, admin_area_out)


@router.post("/settlements/", response={201: schemas.SettlementOut}, tags=["settlements"])
def settlements_create(
    request: HttpRequest,
    payload: schemas.SettlementCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _create(request, payload, idempotency_key, services.settlement_create, settlement_out)


@router.post("/zones/", response={201: schemas.ZoneOut}, tags=["zones"])
def zones_create(
    request: HttpRequest,
    payload: schemas.ZoneCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _create(request, payload, idempotency_key, services.zone_create, zone_out)


@router.post("/facilities/", response={201: schemas.FacilityOut}, tags=["facilities"])
def facilities_create(
    request: HttpRequest,
    payload: schemas.FacilityCreate,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    return _create(request, payload, idempotency_key, services.facility_create, facility_out)


# --- updates (PATCH with the version the client read) ---------------------------------


@router.patch(
    "/organisations/{public_id}", response=schemas.OrganisationOut, tags=["organisations"]
)
def organisations_update(
    request: HttpRequest, public_id: str, payload: schemas.OrganisationPatch
) -> dict[str, Any]:
    return _update(
        request,
        BY_SLUG["organisations"].rows(api_user(request)),
        public_id,
        payload,
        lambda user, row, version, changes, extra: services.organisation_update(
            actor=user, organisation=row, expected_version=version, changes=changes, **extra
        ),
        organisation_out,
    )


@router.patch("/admin-areas/{public_id}", response=schemas.AdminAreaOut, tags=["admin-areas"])
def admin_areas_update(
    request: HttpRequest, public_id: str, payload: schemas.AdminAreaPatch
) -> dict[str, Any]:
    return _update(
        request,
        BY_SLUG["admin-areas"].rows(api_user(request)),
        public_id,
        payload,
        lambda user, row, version, changes, extra: services.admin_area_update(
            actor=user, area=row, expected_version=version, changes=changes, **extra
        ),
        admin_area_out,
    )


@router.patch("/settlements/{public_id}", response=schemas.SettlementOut, tags=["settlements"])
def settlements_update(
    request: HttpRequest, public_id: str, payload: schemas.SettlementPatch
) -> dict[str, Any]:
    return _update(
        request,
        BY_SLUG["settlements"].rows(api_user(request)),
        public_id,
        payload,
        lambda user, row, version, changes, extra: services.settlement_update(
            actor=user, settlement=row, expected_version=version, changes=changes, **extra
        ),
        settlement_out,
    )


@router.patch("/zones/{public_id}", response=schemas.ZoneOut, tags=["zones"])
def zones_update(
    request: HttpRequest, public_id: str, payload: schemas.ZonePatch
) -> dict[str, Any]:
    return _update(
        request,
        BY_SLUG["zones"].rows(api_user(request)),
        public_id,
        payload,
        lambda user, row, version, changes, extra: services.zone_update(
            actor=user, zone=row, expected_version=version, changes=changes, **extra
        ),
        zone_out,
    )


@router.patch("/facilities/{public_id}", response=schemas.FacilityOut, tags=["facilities"])
def facilities_update(
    request: HttpRequest, public_id: str, payload: schemas.FacilityPatch
) -> dict[str, Any]:
    return _update(
        request,
        BY_SLUG["facilities"].rows(api_user(request)),
        public_id,
        payload,
        lambda user, row, version, changes, extra: services.facility_update(
            actor=user, facility=row, expected_version=version, changes=changes, **extra
        ),
        facility_out,
    )


for _registry in REGISTRIES:
    _mount_reads_and_delete(_registry)


# --- the caller, and map layers --------------------------------------------------------


@router.get("/me", response=schemas.MeOut, tags=["me"])
def me(request: HttpRequest) -> dict[str, Any]:
    return me_out(api_user(request))


@router.get("/layers/{layer}", tags=["map"], summary="A map layer as a GeoJSON FeatureCollection")
def layers_get(
    request: HttpRequest, layer: str, query: Query[schemas.LayerFilters]
) -> HttpResponse:
    if layer not in LAYERS:
        raise NotFound(f"no layer {layer!r}; layers are {', '.join(LAYERS)}", field="layer")
    collection = layer_collection(layer, api_user(request), bbox=parse_bbox(query.bbox))
    return JsonResponse(collection, encoder=DjangoJSONEncoder, content_type="application/geo+json")
