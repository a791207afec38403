"""The winter readiness API, under /api/v1/winter/: reports, needs, the matrix, a map layer.

Handlers parse, call a selector or a service, and serialise. Reads go
through truce.winter.selectors, so a record hidden from the caller's party
is a 404 and is never counted; writes go through truce.winter.services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Header, Query, Router, Schema

from truce.core.auth import api_user
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import User
from truce.core.schemas import HistoryEntryOut, PageQuery, page_of
from truce.core.selectors import get_visible
from truce.core.serializers import history_out
from truce.core.sharing import visibility_seen_by
from truce.lib.pagination import paginate
from truce.lib.time import utcnow
from truce.winter import selectors, services
from truce.winter.models import SupplyNeed, UtilityReport

router = Router(tags=["winter"])


# --- schemas -------------------------------------------------------------------------------


class ReportOut(Schema):
    id: str
    version: int
    settlement: str
    settlement_name: str
    utility: str
    state: str
    since: dt.date
    works_planned: str
    works_due: dt.date | None
    notes: str
    source: str
    confidence: str
    visibility: list[str]
    updated_at: dt.datetime


class ReportIn(Schema):
    settlement: str = Field(description="The settlement's P-code.")
    utility: str = Field(description="power, gas, heat or water.")
    state: str = Field(description="working, partial or out.")
    since: dt.date = Field(description="The day the state began.")
    works_planned: str = ""
    works_due: dt.date | None = None
    notes: str = ""
    source: str = ""
    confidence: str = ""
    visibility: list[str] | None = Field(
        None, description="Scopes to share with (default: agencies); the mission always sees it."
    )


class ReportChanges(Schema):
    expected_version: int = Field(description="The version the change was made from.")
    state: str | None = None
    since: dt.date | None = None
    works_planned: str | None = None
    works_due: dt.date | None = None
    notes: str | None = None
    source: str | None = None
    confidence: str | None = None
    visibility: list[str] | None = None


class WithdrawIn(Schema):
    expected_version: int
    reason: str


class ReportFilters(PageQuery):
    settlement: str | None = None
    utility: str | None = None
    state: str | None = None
    area: str | None = Field(None, description="Admin area P-code (the area or its parent).")


class NeedOut(Schema):
    id: str
    version: int
    settlement: str
    settlement_name: str
    category: str
    item: str
    quantity: Decimal
    unit: str
    priority: str
    status: str
    stated_on: dt.date
    needed_by: dt.date | None
    notes: str
    source: str
    visibility: list[str]
    updated_at: dt.datetime


class NeedIn(Schema):
    settlement: str
    category: str
    item: str
    quantity: Decimal
    unit: str
    priority: str = "normal"
    status: str = "open"
    stated_on: dt.date
    needed_by: dt.date | None = None
    notes: str = ""
    source: str = ""
    confidence: str = ""
    visibility: list[str] | None = None


class NeedChanges(Schema):
    expected_version: int
    item: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    priority: str | None = None
    status: str | None = None
    needed_by: dt.date | None = None
    notes: str | None = None
    source: str | None = None
    visibility: list[str] | None = None


class NeedFilters(PageQuery):
    settlement: str | None = None
    category: str | None = None
    status: str | None = None
    priority: str | None = None
    area: str | None = None


class CellOut(Schema):
    state: str
    since: dt.date | None
    works_planned: str
    report: str | None


class ReadinessRowOut(Schema):
    settlement: str
    settlement_name: str
    worst: str
    utilities: dict[str, CellOut]


class ReadinessOut(Schema):
    as_of: dt.date
    rows: list[ReadinessRowOut]
    totals: dict[str, dict[str, int]]


class ReadinessQuery(Schema):
    as_of: dt.date | None = Field(None, description="The day (default today).")
    area: str | None = None


# --- serialisers -------------------------------------------------------------------------


def report_out(report: UtilityReport, user: User) -> dict[str, Any]:
    return {
        "id": str(report.public_id),
        "version": report.version,
        "settlement": report.settlement.pcode,
        "settlement_name": report.settlement.display_name,
        "utility": report.utility,
        "state": report.state,
        "since": report.since,
        "works_planned": report.works_planned,
        "works_due": report.works_due,
        "notes": report.notes,
        "source": report.source,
        "confidence": report.confidence,
        "visibility": visibility_seen_by(report.visibility, user),
        "updated_at": report.updated_at,
    }


def need_out(need: SupplyNeed, user: User) -> dict[str, Any]:
    return {
        "id": str(need.public_id),
        "version": need.version,
        "settlement": need.settlement.pcode,
        "settlement_name": need.settlement.display_name,
        "category": need.category,
        "item": need.item,
        "quantity": need.quantity,
        "unit": need.unit,
        "priority": need.priority,
        "status": need.status,
        "stated_on": need.stated_on,
        "needed_by": need.needed_by,
        "notes": need.notes,
        "source": need.source,
        "visibility": visibility_seen_by(need.visibility, user),
        "updated_at": need.updated_at,
    }


def _cell(report: UtilityReport | None) -> dict[str, Any]:
    if report is None:
        return {"state": selectors.UNKNOWN, "since": None, "works_planned": "", "report": None}
    return {
        "state": report.state,
        "since": report.since,
        "works_planned": report.works_planned,
        "report": str(report.public_id),
    }


def _visibility_kwargs(fields: dict[str, Any]) -> dict[str, Any]:
    visibility = fields.pop("visibility", None)
    return {} if visibility is None else {"visibility": visibility}


# --- reports -------------------------------------------------------------------------------


@router.get("/reports/", response=page_of(ReportOut), url_name="winter_reports_list")
def reports_list(request: HttpRequest, query: Query[ReportFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.reports_visible_to(
        user,
        settlement=query.settlement,
        utility=query.utility,
        state=query.state,
        area=query.area,
    )
    page = paginate(rows, namespace="winter-reports", limit=query.limit, cursor=query.cursor)
    return {"items": [report_out(r, user) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/reports/", response={201: ReportOut}, url_name="winter_reports_create")
def reports_create(
    request: HttpRequest,
    payload: ReportIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    settlement = fields.pop("settlement")
    utility = fields.pop("utility")
    extra = _visibility_kwargs(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        report = services.utility_report_record(
            actor=user, settlement=settlement, utility=utility, fields=fields, **extra
        )
        return 201, report_out(report, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/reports/{public_id}", response=ReportOut, url_name="winter_report_get")
def report_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return report_out(get_visible(selectors.reports_visible_to(user), user, public_id), user)


@router.patch("/reports/{public_id}", response=ReportOut, url_name="winter_report_correct")
def report_correct(request: HttpRequest, public_id: str, payload: ReportChanges) -> dict[str, Any]:
    user = api_user(request)
    report = get_visible(selectors.reports_visible_to(user), user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("expected_version")
    extra = _visibility_kwargs(changes)
    updated = services.utility_report_correct(
        actor=user, report=report, expected_version=version, changes=changes, **extra
    )
    return report_out(updated, user)


@router.post("/reports/{public_id}/withdraw", response=ReportOut, url_name="winter_report_withdraw")
def report_withdraw(request: HttpRequest, public_id: str, payload: WithdrawIn) -> dict[str, Any]:
    user = api_user(request)
    report = get_visible(selectors.reports_visible_to(user), user, public_id)
    withdrawn = services.utility_report_withdraw(
        actor=user, report=report, expected_version=payload.expected_version, reason=payload.reason
    )
    return report_out(withdrawn, user)


@router.get(
    "/reports/{public_id}/history",
    response=list[HistoryEntryOut],
    url_name="winter_report_history",
)
def report_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    report = get_visible(selectors.reports_visible_to(user), user, public_id)
    return history_out(report, user)


# --- needs -------------------------------------------------------------------------------


@router.get("/needs/", response=page_of(NeedOut), url_name="winter_needs_list")
def needs_list(request: HttpRequest, query: Query[NeedFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.needs_visible_to(
        user,
        settlement=query.settlement,
        category=query.category,
        status=query.status,
        priority=query.priority,
        area=query.area,
    )
    page = paginate(rows, namespace="winter-needs", limit=query.limit, cursor=query.cursor)
    return {"items": [need_out(n, user) for n in page.items], "next_cursor": page.next_cursor}


@router.post("/needs/", response={201: NeedOut}, url_name="winter_needs_create")
def needs_create(
    request: HttpRequest,
    payload: NeedIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    settlement = fields.pop("settlement")
    extra = _visibility_kwargs(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        need = services.need_record(actor=user, settlement=settlement, fields=fields, **extra)
        return 201, need_out(need, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/needs/{public_id}", response=NeedOut, url_name="winter_need_get")
def need_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return need_out(get_visible(selectors.needs_visible_to(user), user, public_id), user)


@router.patch("/needs/{public_id}", response=NeedOut, url_name="winter_need_update")
def need_update(request: HttpRequest, public_id: str, payload: NeedChanges) -> dict[str, Any]:
    user = api_user(request)
    need = get_visible(selectors.needs_visible_to(user), user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("expected_version")
    extra = _visibility_kwargs(changes)
    updated = services.need_update(
        actor=user, need=need, expected_version=version, changes=changes, **extra
    )
    return need_out(updated, user)


@router.get(
    "/needs/{public_id}/history", response=list[HistoryEntryOut], url_name="winter_need_history"
)
def need_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    return history_out(get_visible(selectors.needs_visible_to(user), user, public_id), user)


# --- the matrix and its map layer -----------------------------------------------------------


@router.get("/readiness", response=ReadinessOut, url_name="winter_readiness")
def readiness(request: HttpRequest, query: Query[ReadinessQuery]) -> dict[str, Any]:
    """Each visible settlement's state per utility on the day, and the totals per utility."""
    user = api_user(request)
    state = selectors.readiness(user, as_of=query.as_of or utcnow().date(), area=query.area)
    return {
        "as_of": state.as_of,
        "rows": [
            {
                "settlement": row.settlement.pcode,
                "settlement_name": row.settlement.display_name,
                "worst": row.worst,
                "utilities": {u: _cell(r) for u, r in row.reports.items()},
            }
            for row in state.rows
        ],
        "totals": {u: dict(counts) for u, counts in state.totals.items()},
    }


@router.get(
    "/readiness.geojson",
    url_name="winter_readiness_layer",
    summary="Settlements with a report by the day, as GeoJSON points with their states",
)
def readiness_layer(request: HttpRequest, query: Query[ReadinessQuery]) -> dict[str, Any]:
    user = api_user(request)
    state = selectors.readiness(
        user, as_of=query.as_of or utcnow().date(), area=query.area, reported_only=True
    )
    features = []
    for row in state.rows:
        place = row.settlement
        if not place.geometry:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": place.geometry,
                "properties": {
                    "pcode": place.pcode,
                    "name": place.display_name,
                    "approximate": place.location_approximate,
                    "worst": row.worst,
                    "utilities": {u: _cell(r) for u, r in row.reports.items()},
                    "url": reverse("winter:settlement", kwargs={"pcode": place.pcode}),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
