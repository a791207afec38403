"""The funding API, under /api/v1/funding/: requirements, flows, status changes, coverage.

Reads go through truce.funding.selectors (a record hidden from the caller's
party is a 404 and never counted); writes through truce.funding.services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Query, Router, Schema

from truce.core.auth import api_user
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.models import User
from truce.core.schemas import PageQuery, page_of
from truce.core.selectors import get_visible
from truce.core.sharing import visibility_seen_by
from truce.funding import selectors, services
from truce.funding.models import ExchangeRate, Flow, FlowStatusChange, Requirement
from truce.lib.pagination import paginate
from truce.lib.time import utcnow

router = Router(tags=["funding"])


class RequirementOut(Schema):
    id: str
    version: int
    sector: str
    plan: str
    amount: Decimal | None = Field(description="Empty when the source states no amount.")
    currency: str
    period_start: dt.date
    period_end: dt.date | None
    requested_by: str | None
    notes: str
    source: str
    visibility: list[str]


class RequirementIn(Schema):
    sector: str
    plan: str
    amount: Decimal | None = None
    currency: str = ""
    period_start: dt.date
    period_end: dt.date | None = None
    requested_by: str | None = Field(None, description="An organisation code.")
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class RequirementFilters(PageQuery):
    sector: str | None = None


class FlowOut(Schema):
    id: str
    version: int
    donor: str
    recipient: str
    amount: Decimal
    currency: str
    status: str
    sector: str
    flow_date: dt.date
    pledged_on: dt.date | None
    committed_on: dt.date | None
    paid_on: dt.date | None
    notes: str
    source: str
    visibility: list[str]


class FlowIn(Schema):
    donor: str = Field(description="The donor organisation's code.")
    recipient: str = Field(description="The recipient organisation's code.")
    amount: Decimal
    currency: str = Field(description="ISO 4217 code.")
    status: str = "pledged"
    sector: str
    flow_date: dt.date
    pledged_on: dt.date | None = None
    committed_on: dt.date | None = None
    paid_on: dt.date | None = None
    notes: str = ""
    source: str = ""
    visibility: list[str] | None = None


class FlowFilters(PageQuery):
    sector: str | None = None
    status: str | None = None
    donor: str | None = None
    recipient: str | None = None
    currency: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class StatusIn(Schema):
    expected_version: int
    status: str
    on: dt.date
    reason: str = Field("", description="Required to move a flow back.")


class StepOut(Schema):
    status: str
    on: dt.date
    reason: str


class RateOut(Schema):
    id: str
    currency: str
    reporting_currency: str
    rate: Decimal
    as_of: dt.date
    source: str


class RateIn(Schema):
    currency: str
    reporting_currency: str
    rate: Decimal
    as_of: dt.date
    source: str = ""
    visibility: list[str] | None = None


class CoverageQuery(Schema):
    as_of: dt.date | None = None
    reporting_currency: str | None = None
    sector: str | None = None


def requirement_out(row: Requirement, user: User) -> dict[str, Any]:
    return {
        "id": str(row.public_id),
        "version": row.version,
        "sector": row.sector,
        "plan": row.plan,
        "amount": row.amount,
        "currency": row.currency,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "requested_by": row.requested_by.code if row.requested_by else None,
        "notes": row.notes,
        "source": row.source,
        "visibility": visibility_seen_by(row.visibility, user),
    }


def flow_out(row: Flow, user: User) -> dict[str, Any]:
    return {
        "id": str(row.public_id),
        "version": row.version,
        "donor": row.donor.code,
        "recipient": row.recipient.code,
        "amount": row.amount,
        "currency": row.currency,
        "status": row.status,
        "sector": row.sector,
        "flow_date": row.flow_date,
        "pledged_on": row.pledged_on,
        "committed_on": row.committed_on,
        "paid_on": row.paid_on,
        "notes": row.notes,
        "source": row.source,
        "visibility": visibility_seen_by(row.visibility, user),
    }


def rate_out(r: ExchangeRate) -> dict[str, Any]:
    return {
        "id": str(r.public_id),
        "currency": r.currency,
        "reporting_currency": r.reporting_currency,
        "rate": r.rate,
        "as_of": r.as_of,
        "source": r.source,
    }


def _step(row: FlowStatusChange) -> dict[str, Any]:
    return {"status": row.status, "on": row.on, "reason": row.reason}


def _amounts(a: selectors.Amounts) -> dict[str, Any]:
    return {
        "by_currency": {k: str(v) for k, v in a.by_currency.items()},
        "converted": str(a.converted),
        "unconverted": {k: str(v) for k, v in a.unconverted.items()},
        "unknown_amounts": a.unknown_amounts,
    }


def _visibility(fields: dict[str, Any]) -> dict[str, Any]:
    visibility = fields.pop("visibility", None)
    return {} if visibility is None else {"visibility": visibility}


@router.get("/requirements/", response=page_of(RequirementOut), url_name="funding_requirements")
def requirements_list(request: HttpRequest, query: Query[RequirementFilters]) -> dict[str, Any]:
    user = api_user(request)
    rows = selectors.requirements_visible_to(user, sector=query.sector).order_by("id")
    page = paginate(rows, namespace="funding-req", limit=query.limit, cursor=query.cursor)
    return {
        "items": [requirement_out(r, user) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/requirements/", response={201: RequirementOut}, url_name="funding_requirement_add")
def requirements_create(
    request: HttpRequest,
    payload: RequirementIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        row = services.requirement_record(actor=user, fields=fields, **extra)
        return 201, requirement_out(row, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/requirements/{public_id}", response=RequirementOut, url_name="funding_requirement")
def requirement_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    row = get_visible(selectors.requirements_visible_to(user), user, public_id)
    return requirement_out(row, user)


@router.get("/flows/", response=page_of(FlowOut), url_name="funding_flows")
def flows_list(request: HttpRequest, query: Query[FlowFilters]) -> dict[str, Any]:
    user = api_user(request)
    filters = query.model_dump(exclude={"limit", "cursor"})
    rows = selectors.flows_visible_to(user, **filters).order_by("id")
    page = paginate(rows, namespace="funding-flows", limit=query.limit, cursor=query.cursor)
    return {"items": [flow_out(r, user) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/flows/", response={201: FlowOut}, url_name="funding_flow_add")
def flows_create(
    request: HttpRequest,
    payload: FlowIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        row = services.flow_record(actor=user, fields=fields, **extra)
        return 201, flow_out(row, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/flows/{public_id}", response=FlowOut, url_name="funding_flow")
def flow_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return flow_out(get_visible(selectors.flows_visible_to(user), user, public_id), user)


@router.get("/flows/{public_id}/status", response=list[StepOut], url_name="funding_flow_steps")
def flow_steps(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    flow = get_visible(selectors.flows_visible_to(user), user, public_id)
    return [_step(s) for s in selectors.status_history(user, flow)]


@router.post("/flows/{public_id}/status", response=FlowOut, url_name="funding_flow_status")
def flow_status(request: HttpRequest, public_id: str, payload: StatusIn) -> dict[str, Any]:
    user = api_user(request)
    flow = get_visible(selectors.flows_visible_to(user), user, public_id)
    updated = services.flow_status_change(
        actor=user,
        flow=flow,
        expected_version=payload.expected_version,
        status=payload.status,
        on=payload.on,
        reason=payload.reason,
    )
    return flow_out(updated, user)


@router.get("/rates/", response=list[RateOut], url_name="funding_rates")
def rates_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = api_user(request)
    return [rate_out(r) for r in selectors.rates_visible_to(user)]


@router.post("/rates/", response={201: RateOut}, url_name="funding_rate_add")
def rates_create(
    request: HttpRequest,
    payload: RateIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)
    fields = payload.model_dump()
    extra = _visibility(fields)

    def perform() -> tuple[int, dict[str, Any]]:
        return 201, rate_out(services.exchange_rate_record(actor=user, **fields, **extra))

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/coverage", url_name="funding_coverage")
def coverage(request: HttpRequest, query: Query[CoverageQuery]) -> dict[str, Any]:
    """Required against committed or paid (and pledged) per sector and in total."""
    user = api_user(request)
    state = selectors.coverage(
        user,
        as_of=query.as_of or utcnow().date(),
        reporting_currency=(query.reporting_currency or "").upper() or None,
        sector=query.sector,
    )

    def row(r: selectors.CoverageRow) -> dict[str, Any]:
        return {
            "sector": r.sector,
            "required": _amounts(r.required),
            "funded": _amounts(r.funded),
            "pledged": _amounts(r.pledged),
            "coverage_pct": r.coverage_pct,
            "requirements": [str(x.public_id) for x in r.requirements],
            "flows": [str(x.public_id) for x in r.flows],
        }

    return {
        "as_of": state.as_of,
        "reporting_currency": state.reporting_currency,
        "sectors": [row(r) for r in state.rows],
        "total": row(state.total),
        "rates_used": [
            {
                "currency": r.currency,
                "reporting_currency": r.reporting_currency,
                "rate": str(r.rate),
                "as_of": r.as_of,
                "source": r.source,
            }
            for r in state.rates
        ],
    }
