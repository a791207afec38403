"""The damage assessment API, mounted under /api/v1/damage/.

Handlers only parse, call a selector or service, and serialise. Reads go
through truce.damage.selectors (a structure hidden from the caller is a 404,
its counts are in no rollup the caller reads); writes through
truce.damage.services (who may write, validation naming the field, versions,
rollups in the same transaction).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Body, Field, File, Header, Query, Router, Schema
from ninja.files import UploadedFile

from truce.core.auth import api_user
from truce.core.errors import InvalidInput
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.schemas import GeoOut, HistoryEntryOut, PageQuery, RecordOut, page_of, parse_bbox
from truce.core.serializers import history_out
from truce.damage import layers, selectors, services
from truce.damage.serializers import (
    photo_out,
    rollup_row_out,
    structure_detail_out,
    structure_out,
)
from truce.lib.pagination import paginate

router = Router(tags=["damage"])


class StructureOut(GeoOut):
    settlement: str | None
    settlement_name: str | None
    reference: str
    use: str
    grade: str
    needs: dict[str, float]
    assessed_on: str
    assessor: str | None
    assessor_organisation: str | None
    notes: str


class PhotoOut(RecordOut):
    structure: str
    content_type: str
    size_bytes: int
    sha256: str
    original_name: str
    download_url: str


class StructureDetailOut(StructureOut):
    photos: list[PhotoOut]


class StructureDoc(Schema):
    """A structure assessment as sent (validated by the service, which names the field)."""

    settlement: str = Field(description="Settlement P-code.")
    reference: str = Field(description="The assessor's or cadastral id, unique per settlement.")
    use: str = Field(description="housing, school, health, kindergarten, administrative, ...")
    grade: str = Field(description="destroyed, severe, moderate or light.")
    needs: dict[str, float] = Field(
        default_factory=dict,
        description="{item: quantity}: glazing_m2, roofing_m2, walls_m2, insulation_m2, "
        "timber_m3, doors_count; none negative.",
    )
    lon: float | None = Field(None, description="Without a position: the settlement's point.")
    lat: float | None = None
    assessed_on: str = Field(description="YYYY-MM-DD.")
    assessor: str | None = Field(None, description="Username (default: the caller).")
    assessor_organisation: str | None = Field(None, description="Organisation code.")
    notes: str | None = None
    source: str | None = None
    confidence: str | None = None
    visibility: list[str] | None = Field(None, description="Scopes (default mission only).")


class StructureFilters(PageQuery):
    settlement: str | None = Field(None, description="Settlement P-code.")
    area: str | None = Field(None, description="Admin area P-code (and its children).")
    grade: str | None = None
    use: str | None = None
    q: str | None = Field(None, description="Part of the reference.")
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


class RollupOut(Schema):
    pcode: str | None
    name: str | None
    total: int
    by_grade: dict[str, int]
    by_use: dict[str, int]
    needs: dict[str, float]
    needs_by_grade: dict[str, dict[str, float]]


class RollupsOut(Schema):
    by: str
    totals: dict[str, Any]
    rows: list[RollupOut]


def _body_doc(schema: type[Schema]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def _split(payload: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be a JSON object", field=None)
    data = dict(payload)
    return data, data.pop("visibility", None)


@router.post(
    "/structures",
    response={201: StructureOut},
    summary="Record a structure's first assessment",
    openapi_extra=_body_doc(StructureDoc),
)
def structures_create(
    request: HttpRequest,
    payload: dict[str, Any] = Body(...),  # noqa: B008 - ninja's way to declare a body
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)

    def perform() -> tuple[int, dict[str, Any]]:
        data, visibility = _split(payload)
        structure = services.structure_create(actor=user, data=data, visibility=visibility)
        return 201, structure_out(structure, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


class BatchIn(Schema):
    items: list[dict[str, Any]]
    visibility: list[str] | None = None


@router.post(
    "/structures/batch",
    response={201: dict[str, Any]},
    summary="Record many structures at once, all or nothing",
    description=(
        "On any bad item nothing is written and the answer is 422 "
        '`{"error": {"code": "invalid_import", "field": ..., "items": [{"row", "field", '
        '"message"}]}}`, rows counted from 1.'
    ),
)
def structures_batch(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    user = api_user(request)
    rows = []
    for number, item in enumerate(payload.items, 1):
        data, visibility = _split(item)
        rows.append(services.ImportRow(number=number, data=data, visibility=visibility))
    try:
        created = services.structures_import(actor=user, rows=rows, visibility=payload.visibility)
    except services.ImportInvalid as exc:
        return import_error(exc)
    return JsonResponse(
        {"created": len(created), "ids": [str(s.public_id) for s in created]}, status=201
    )


def import_error(exc: services.ImportInvalid) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "field": exc.field,
                "items": [e.as_dict() for e in exc.errors],
            }
        },
        status=422,
    )


def _filters(query: StructureFilters) -> dict[str, Any]:
    return {
        "settlement": query.settlement,
        "area": query.area,
        "grade": query.grade,
        "use": query.use,
        "q": query.q,
        "bbox": parse_bbox(query.bbox),
    }


@router.get("/structures", response=page_of(StructureOut))
def structures_list(request: HttpRequest, query: Query[StructureFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.structures_visible_to(user, **_filters(query))
    page = paginate(rows, namespace="damage-structures", limit=query.limit, cursor=query.cursor)
    return {"items": [structure_out(s, user) for s in page.items], "next_cursor": page.next_cursor}


class LayerFilters(Schema):
    settlement: str | None = None
    area: str | None = None
    grade: str | None = None
    use: str | None = None
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


@router.get("/structures.geojson", summary="Structures as GeoJSON points (the map's layer)")
def structures_geojson(request: HttpRequest, query: Query[LayerFilters]) -> HttpResponse:
    user = api_user(request)
    body = layers.structures_collection(
        user,
        settlement=query.settlement,
        area=query.area,
        grade=query.grade,
        use=query.use,
        bbox=parse_bbox(query.bbox),
    )
    return JsonResponse(body, content_type="application/geo+json")


@router.get(
    "/choropleth.geojson",
    summary="Areas, or approximate settlement cells, with the caller's counts",
    description="measure: destroyed (default), severe, moderate, light, total or a needs item.",
)
def choropleth_geojson(request: HttpRequest, measure: str | None = None) -> HttpResponse:
    user = api_user(request)
    body = layers.choropleth_collection(user, measure=measure)
    return JsonResponse(body, content_type="application/geo+json")


@router.get(
    "/rollups",
    response=RollupsOut,
    summary="Counts by grade and use, needs summed, per settlement or per area",
    description="by=settlement (default; filter by area or settlement P-code) or by=area.",
)
def rollups_get(
    request: HttpRequest,
    by: str = "settlement",
    area: str | None = None,
    settlement: str | None = None,
) -> dict[str, Any]:
    user = api_user(request)
    if by == "settlement":
        rows = selectors.rollup_by_settlement(user, area=area, settlement=settlement)
    elif by == "area":
        rows = selectors.rollup_by_area(user, parent=area)
    else:
        raise InvalidInput("by must be settlement or area", field="by")
    totals = selectors.rollup_totals(user, area=area, settlement=settlement)
    return {"by": by, "totals": totals.as_dict(), "rows": [rollup_row_out(r) for r in rows]}


@router.get("/structures/{public_id}", response=StructureDetailOut)
def structures_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    structure = selectors.structure_get(user, public_id)
    return structure_detail_out(structure, user, selectors.photos_of(user, structure))


@router.get("/structures/{public_id}/history", response=list[HistoryEntryOut])
def structures_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    """Every version (every assessment) the caller may see, a deleted structure's too."""
    user = api_user(request)
    return history_out(selectors.structure_record_get(user, public_id), user)


@router.patch(
    "/structures/{public_id}",
    response=StructureOut,
    summary="Re-assess a structure: a new version; expected_version required",
    description="A stale expected_version is 409; a bad value 422 naming the field.",
)
def structures_update(
    request: HttpRequest,
    public_id: str,
    payload: dict[str, Any] = Body(...),  # noqa: B008 - ninja's way to declare a body
) -> dict[str, Any]:
    user = api_user(request)
    structure = selectors.structure_get(user, public_id)
    changes, visibility = _split(payload)
    version = changes.pop("expected_version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput("is required: the version you read", field="expected_version")
    updated = services.structure_update(
        actor=user,
        structure=structure,
        changes=changes,
        expected_version=version,
        visibility=visibility,
    )
    return structure_out(updated, user)


@router.delete("/structures/{public_id}", response={204: None})
def structures_delete(
    request: HttpRequest, public_id: str, version: int, reason: str = ""
) -> HttpResponse:
    user = api_user(request)
    structure = selectors.structure_get(user, public_id)
    services.structure_delete(
        actor=user, structure=structure, expected_version=version, reason=reason
    )
    return HttpResponse(status=204)


@router.post("/structures/{public_id}/photos", response={201: PhotoOut})
def photos_add(
    request: HttpRequest,
    public_id: str,
    file: UploadedFile = File(...),  # noqa: B008 - ninja's way to declare an upload
) -> HttpResponse:
    user = api_user(request)
    structure = selectors.structure_get(user, public_id)
    photo = services.photo_add(actor=user, structure=structure, file=file)
    return JsonResponse(photo_out(photo, user), status=201)
