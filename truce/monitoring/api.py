"""The monitoring API: observation ingest, incidents and their verification, counts, check-ins.

Handlers only parse, call a selector or service, and serialise. Reads go
through truce.monitoring.selectors, so a record hidden from the caller's
party is a 404 (and a reference to it null); writes go through
truce.monitoring.services, which decide who may write and keep ingest
idempotent on the client's UUID.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Body, File, Header, Query, Router
from ninja.files import UploadedFile

from truce.core.auth import api_user
from truce.core.errors import NotFound
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import User
from truce.core.schemas import HistoryEntryOut, page_of, parse_bbox
from truce.core.serializers import history_out
from truce.lib.pagination import paginate
from truce.lib.time import iso_utc, utcnow, window_bounds, window_of
from truce.monitoring import schemas, selectors, services
from truce.monitoring.lookups import (
    attachments_of,
    incidents_by_ids,
    observations_of_incident,
)
from truce.monitoring.models import Incident
from truce.monitoring.serializers import (
    attachment_out,
    check_in_out,
    incident_detail_out,
    incident_map_geojson,
    incident_out,
    latest_check_in_out,
    observation_detail_out,
    observation_out,
)

router = Router(tags=["monitoring"])


def _body_doc(schema: type[schemas.Schema]) -> dict[str, Any]:
    # Documents a body the handler takes raw (validated by the service).
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def _batch_error(items: list[dict[str, Any]], message: str) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": "invalid_batch",
                "message": message,
                "field": "items",
                "items": items,
            }
        },
        status=422,
    )


# --- ingest ----------------------------------------------------------------------------


@router.post(
    "/observations",
    response={200: schemas.ObservationOut, 201: schemas.ObservationOut},
    summary="Record one observation (201; an identical resend answers 200 with the first)",
    openapi_extra=_body_doc(schemas.ObservationDoc),
)
def observations_create(
    request: HttpRequest,
    payload: dict[str, Any] = Body(...),  # noqa: B008 - ninja's way to declare a body
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)

    def perform() -> tuple[int, dict[str, Any]]:
        result = services.observation_record(actor=user, data=payload)
        return (201 if result.created else 200), observation_out(result.observation, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.post(
    "/observations/batch",
    response={200: schemas.BatchOut, 201: schemas.BatchOut},
    summary="Record up to 1,000 observations, all or nothing",
    description=(
        "On any bad item nothing is written and the answer is 422 "
        '`{"error": {"code": "invalid_batch", "field": "items", "items": '
        '[{"index", "field", "message"}, ...]}}` naming every rejected item.'
    ),
)
def observations_batch(
    request: HttpRequest,
    payload: schemas.BatchIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    items = payload.items
    if len(items) > services.MAX_BATCH:
        # Named by index, as any rejected item: the ones beyond the limit.
        beyond = [
            {"index": i, "field": None, "message": f"beyond the limit of {services.MAX_BATCH}"}
            for i in range(services.MAX_BATCH, len(items))
        ]
        return _batch_error(
            beyond,
            f"a batch holds at most {services.MAX_BATCH} observations, not {len(items)}; "
            "nothing was written",
        )

    def perform() -> tuple[int, dict[str, Any]]:
        results = services.observations_record_batch(actor=user, items=items)
        rows = [
            {
                "index": index,
                "id": str(result.observation.public_id),
                "client_uuid": str(result.observation.client_uuid),
                "created": result.created,
            }
            for index, result in enumerate(results)
        ]
        created = sum(1 for row in rows if row["created"])
        body = {"created": created, "unchanged": len(rows) - created, "items": rows}
        return (201 if created else 200), body

    try:
        outcome = run_idempotent(request, user=user, key=idempotency_key, perform=perform)
    except services.BatchInvalid as exc:
        # Its own code, so a client tells "some items were bad" from a malformed request.
        return _batch_error(list(exc.errors), exc.message)
    return outcome.as_response()


# --- observations ----------------------------------------------------------------------


def _observation_filters(query: schemas.ObservationFilters) -> dict[str, Any]:
    return {
        "since": query.since,
        "until": query.until,
        "window": query.window,
        "post": query.post,
        "zone": query.zone,
        "type": query.type,
        "incident": query.incident,
        "bbox": parse_bbox(query.bbox),
    }


@router.get("/observations", response=page_of(schemas.ObservationOut))
def observations_list(
    request: HttpRequest, query: Query[schemas.ObservationFilters]
) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.observations_visible_to(user, **_observation_filters(query))
    page = paginate(rows, namespace="observations", limit=query.limit, cursor=query.cursor)
    return {
        "items": [observation_out(row, user) for row in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/observations/{public_id}", response=schemas.ObservationDetailOut)
def observations_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    observation = selectors.observation_get(user, public_id)
    return observation_detail_out(observation, user, attachments_of(user, observation))


@router.get("/observations/{public_id}/history", response=list[HistoryEntryOut])
def observations_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    """Every version the caller may see, a withdrawn observation's too."""
    user = api_user(request)
    # The observation must pass the visibility check before its history is read.
    return history_out(selectors.observation_record_get(user, public_id), user)


@router.post(
    "/observations/{public_id}/correct",
    response=schemas.ObservationOut,
    summary="Correct an observation: a new version, the reason and old values in its history",
    description=(
        "Allowed to the reporting party's users and the mission's reviewers; anyone else "
        "gets 404. A stale expected_version is 409; a bad value 422 naming the field. The "
        "daily counts and the observation's incident are brought up to date."
    ),
)
def observations_correct(
    request: HttpRequest,
    public_id: str,
    payload: schemas.CorrectIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    observation = selectors.observation_get(user, public_id)

    def perform() -> tuple[int, Any]:
        corrected = services.observation_correct(
            actor=user,
            observation=observation,
            changes=payload.changes,
            expected_version=payload.expected_version,
            reason=payload.reason,
        )
        return 200, observation_out(corrected, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.post(
    "/observations/{public_id}/withdraw",
    response=schemas.WithdrawnOut,
    summary="Withdraw a false report: it leaves every list, count, map and figure",
    description=(
        "Leaves a tombstone whose history stays readable (`.../history`). Allowed as a "
        "correction is; the observation's incident is recomputed, or dissolved if the "
        "observation was its last."
    ),
)
def observations_withdraw(
    request: HttpRequest,
    public_id: str,
    payload: schemas.WithdrawIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    observation = selectors.observation_get(user, public_id)

    def perform() -> tuple[int, Any]:
        withdrawn = services.observation_withdraw(
            actor=user,
            observation=observation,
            expected_version=payload.expected_version,
            reason=payload.reason,
        )
        assert withdrawn.deleted_at is not None
        return 200, {
            "id": str(withdrawn.public_id),
            "version": withdrawn.version,
            "withdrawn_at": iso_utc(withdrawn.deleted_at),
        }

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.post(
    "/observations/{public_id}/attachments",
    response={201: schemas.AttachmentOut},
    summary="Attach a photo or video (multipart, field `file`; size-limited)",
)
def observations_attach(
    request: HttpRequest,
    public_id: str,
    file: UploadedFile = File(...),  # noqa: B008 - ninja's way to declare an upload
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    observation = selectors.observation_get(user, public_id)

    def perform() -> tuple[int, dict[str, Any]]:
        attachment = services.attachment_add(actor=user, observation=observation, file=file)
        return 201, attachment_out(attachment, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


# --- incidents -------------------------------------------------------------------------


def _incident_filters(query: schemas.IncidentGeoFilters) -> dict[str, Any]:
    return {
        "since": query.since,
        "until": query.until,
        "window": query.window,
        "zone": query.zone,
        "status": query.status,
        "type": query.type,
        "bbox": parse_bbox(query.bbox),
    }


@router.get("/incidents", response=page_of(schemas.IncidentOut))
def incidents_list(request: HttpRequest, query: Query[schemas.IncidentFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.incidents_visible_to(user, **_incident_filters(query))
    page = paginate(rows, namespace="incidents", limit=query.limit, cursor=query.cursor)
    return {
        "items": [incident_out(row, user) for row in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/incidents.geojson",
    summary="Incidents as a GeoJSON FeatureCollection (same filters as the list)",
)
def incidents_geojson(
    request: HttpRequest, query: Query[schemas.IncidentGeoFilters]
) -> HttpResponse:
    user = api_user(request)
    # Written as text from plain rows (see truce.monitoring.serializers): a busy day is
    # thousands of features. An incident without a position cannot be drawn; it stays
    # in the list.
    body = incident_map_geojson(user, **_incident_filters(query))
    return HttpResponse(body, content_type="application/geo+json")


def _incident_response(incident: Incident, user: User, status: int = 200) -> tuple[int, Any]:
    return status, incident_out(incident, user)


# Before /incidents/{public_id}: Django tries routes in order, and "merge" is no id.
@router.post("/incidents/merge", response=schemas.IncidentOut)
def incidents_merge(
    request: HttpRequest,
    payload: schemas.MergeIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    incidents = incidents_by_ids(user, payload.incidents, field="incidents")
    into = selectors.incident_get(user, payload.into) if payload.into else None

    def perform() -> tuple[int, Any]:
        merged = services.incident_merge(actor=user, incidents=incidents, into=into)
        return _incident_response(merged, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/incidents/{public_id}", response=schemas.IncidentDetailOut)
def incidents_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    incident = selectors.incident_get(user, public_id)
    return incident_detail_out(incident, user, observations_of_incident(user, incident))


@router.get("/incidents/{public_id}/history", response=list[HistoryEntryOut])
def incidents_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    # The incident must pass the visibility check before its history is read.
    return history_out(selectors.incident_get(user, public_id), user)


@router.post("/incidents/{public_id}/status", response=schemas.IncidentOut)
def incidents_set_status(
    request: HttpRequest,
    public_id: str,
    payload: schemas.StatusIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    incident = selectors.incident_get(user, public_id)

    def perform() -> tuple[int, Any]:
        updated = services.incident_set_status(
            actor=user,
            incident=incident,
            status=payload.status,
            expected_version=payload.version,
            responsible_party=payload.responsible_party,
            notes=payload.notes,
            resolution=payload.resolution,
        )
        return _incident_response(updated, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.post("/incidents/{public_id}/notes", response=schemas.IncidentOut)
def incidents_add_note(
    request: HttpRequest,
    public_id: str,
    payload: schemas.NoteIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    incident = selectors.incident_get(user, public_id)

    def perform() -> tuple[int, Any]:
        updated = services.incident_add_note(
            actor=user, incident=incident, text=payload.text, expected_version=payload.version
        )
        return _incident_response(updated, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.post("/incidents/{public_id}/split", response={201: schemas.IncidentOut})
def incidents_split(
    request: HttpRequest,
    public_id: str,
    payload: schemas.SplitIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    incident = selectors.incident_get(user, public_id)
    chosen = set(payload.observations)
    observations = [
        o for o in observations_of_incident(user, incident) if str(o.public_id) in chosen
    ]
    if len(observations) != len(chosen):
        raise NotFound(
            "some observations are not (visibly) part of this incident", field="observations"
        )

    def perform() -> tuple[int, Any]:
        created = services.incident_split(actor=user, incident=incident, observations=observations)
        return _incident_response(created, user, 201)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


# --- counts ----------------------------------------------------------------------------


def _current_window() -> dt.date:
    return window_of(utcnow())


@router.get("/counts", response=schemas.CountsOut)
def counts_get(request: HttpRequest, query: Query[schemas.CountsQuery]) -> dict[str, Any]:
    user = api_user(request)
    window = query.window or _current_window()
    start, end = window_bounds(window)
    rows = [dict(row) for row in selectors.counts_for(user, window=window, by=query.by)]
    return {
        "window": window.isoformat(),
        "window_start": iso_utc(start),
        "window_end": iso_utc(end),
        "previous_window": (window - dt.timedelta(days=1)).isoformat(),
        "by": query.by,
        "rows": rows,
        "total": _total_row(rows),
    }


def _total_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = {
        name: sum(int(row[name]) for row in rows)
        for name in ("observations", "events", "previous_observations", "previous_events")
    }
    return {
        "key": None,
        "label": "total",
        **total,
        "change": total["observations"] - total["previous_observations"],
    }


@router.get("/counts/totals", response=schemas.TotalsOut)
def counts_totals(request: HttpRequest, query: Query[schemas.TotalsQuery]) -> dict[str, Any]:
    user = api_user(request)
    until = query.until or _current_window()
    rows = [dict(row) for row in selectors.running_totals(user, until_window=until, by=query.by)]
    return {
        "since": iso_utc(settings.TRUCE_CEASEFIRE_START),
        "until_window": until.isoformat(),
        "until": iso_utc(window_bounds(until)[1]),
        "by": query.by,
        "rows": rows,
    }


# --- check-ins -------------------------------------------------------------------------


@router.post("/check-ins", response={200: schemas.CheckInOut, 201: schemas.CheckInOut})
def check_ins_create(
    request: HttpRequest,
    payload: schemas.CheckInIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)

    def perform() -> tuple[int, Any]:
        result = services.check_in_record(
            actor=user,
            post=payload.post,
            client_uuid=payload.client_uuid,
            checked_in_at=payload.checked_in_at,
            status=payload.status,
            note=payload.note,
        )
        return (201 if result.created else 200), check_in_out(result.check_in, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/check-ins/latest", response=list[schemas.LatestCheckInOut])
def check_ins_latest(request: HttpRequest) -> list[dict[str, Any]]:
    user = api_user(request)
    now = utcnow()
    return [latest_check_in_out(row, now) for row in selectors.last_check_ins(user)]
