"""Writes of funding: requirements, flows and their status changes, exchange rates.

Keyword-only, atomic, through truce.core.records (a ledger entry per version).
Every refusal is InvalidInput naming the field, raised before anything is
written: the web forms, the API and the scenario loader all come here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from truce.core.errors import InvalidInput
from truce.core.models import Organisation, User
from truce.core.permissions import ensure_response_writer
from truce.core.records import record_create, record_update
from truce.core.references import lookup, organisation_ref
from truce.funding.currencies import ISO_4217
from truce.funding.models import (
    STATUS_RANK,
    ExchangeRate,
    Flow,
    FlowStatus,
    FlowStatusChange,
    Requirement,
    Sector,
)

Visibility = Iterable[str] | str | None

# Funding is planned with the agencies: shared with them unless the writer says otherwise.
DEFAULT_VISIBILITY = ("agencies",)
DATE_FIELD = {
    FlowStatus.PLEDGED: "pledged_on",
    FlowStatus.COMMITTED: "committed_on",
    FlowStatus.PAID: "paid_on",
}


def ensure_funding_writer(actor: User | None) -> None:
    """Mission staff with a response role, or agency staff (None is the scenario loader)."""
    ensure_response_writer(
        actor, "only the response centre's staff and agency staff may record funding"
    )


# --- checks ------------------------------------------------------------------------------


def check_amount(value: Any, name: str = "amount", *, required: bool = True) -> Decimal | None:
    """A positive, finite amount (None only when not required and not given)."""
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{name} must be a number", field=name) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(f"{name} must be more than zero", field=name)
    return amount


def check_currency(value: Any, name: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if not code:
        raise InvalidInput(f"{name} is required (an ISO 4217 code such as USD)", field=name)
    if code not in ISO_4217:
        raise InvalidInput(f"unknown currency {value!r}: use an ISO 4217 code", field=name)
    return code


def check_sector(value: Any) -> str:
    if value not in Sector.values:
        raise InvalidInput(
            f"unknown sector {value!r}; use one of {', '.join(Sector.values)}", field="sector"
        )
    return str(value)


def check_status(value: Any) -> str:
    if value not in FlowStatus.values:
        raise InvalidInput(
            f"unknown status {value!r}; use pledged, committed or paid", field="status"
        )
    return str(value)


def check_date(value: Any, name: str, *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    if isinstance(value, dt.datetime):
        raise InvalidInput(f"{name} is a date (YYYY-MM-DD), not a time", field=name)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD", field=name) from None


def _organisation(actor: User | None, value: Any, name: str) -> Organisation:
    if value in (None, ""):
        raise InvalidInput(f"{name} is required: give an organisation code", field=name)
    row = organisation_ref(actor, value, field=name)
    assert row is not None  # a value was given: unknown raises
    return row


def _text(fields: Mapping[str, Any], name: str) -> str:
    return str(fields.get(name) or "").strip()


def _unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}", field=name)


def _check_status_dates(dates: Mapping[str, dt.date | None]) -> None:
    """Pledged, committed and paid days in that order: paid before committed is refused."""
    order = ("pledged_on", "committed_on", "paid_on")
    for i, later in enumerate(order):
        for earlier in order[:i]:
            a, b = dates.get(earlier), dates.get(later)
            if a is not None and b is not None and b < a:
                raise InvalidInput(
                    f"{later} {b.isoformat()} is before {earlier} {a.isoformat()}", field=later
                )


# --- requirements ---------------------------------------------------------------------------

REQUIREMENT_FIELDS = frozenset(
    {
        "sector",
        "plan",
        "amount",
        "currency",
        "period_start",
        "period_end",
        "requested_by",
        "notes",
        "source",
        "confidence",
    }
)


def _check_requirement(actor: User | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(fields, REQUIREMENT_FIELDS)
    checked: dict[str, Any] = {"sector": check_sector(fields.get("sector"))}
    plan = _text(fields, "plan")
    if not plan:
        raise InvalidInput("say which plan, appeal or request this is", field="plan")
    checked["plan"] = plan
    # An amount the source does not state stays empty; a stated one needs its currency.
    amount = check_amount(fields.get("amount"), required=False)
    checked["amount"] = amount
    if amount is not None or fields.get("currency"):
        checked["currency"] = check_currency(fields.get("currency"))
    else:
        checked["currency"] = ""
    start = check_date(fields.get("period_start"), "period_start", required=True)
    end = check_date(fields.get("period_end"), "period_end", required=False)
    if start is not None and end is not None and end < start:
        raise InvalidInput("period_end is before period_start", field="period_end")
    checked["period_start"], checked["period_end"] = start, end
    if fields.get("requested_by"):
        checked["requested_by"] = _organisation(actor, fields["requested_by"], "requested_by")
    else:
        checked["requested_by"] = None
    checked["notes"] = _text(fields, "notes")
    checked["source"] = _text(fields, "source")
    checked["confidence"] = _text(fields, "confidence")
    return checked


@transaction.atomic
def requirement_record(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = DEFAULT_VISIBILITY
) -> Requirement:
    """Record what a sector needs under a plan or appeal (amount empty when not stated)."""
    ensure_funding_writer(actor)
    checked = _check_requirement(actor, fields)
    return record_create(actor=actor, model=Requirement, fields=checked, visibility=visibility)


@transaction.atomic
def requirement_update(
    *,
    actor: User | None,
    requirement: Requirement,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> Requirement:
    """A new version of a requirement (a figure stated later, a corrected period)."""
    ensure_funding_writer(actor)
    current = {
        "sector": requirement.sector,
        "plan": requirement.plan,
        "amount": requirement.amount,
        "currency": requirement.currency,
        "period_start": requirement.period_start,
        "period_end": requirement.period_end,
        "requested_by": requirement.requested_by,
        "notes": requirement.notes,
        "source": requirement.source,
        "confidence": requirement.confidence,
    }
    _unknown(changes, REQUIREMENT_FIELDS)
    checked = _check_requirement(actor, {**current, **changes})
    applied = {k: v for k, v in checked.items() if k in changes or k == "currency"}
    return record_update(
        actor=actor,
        record=requirement,
        expected_version=expected_version,
        changes=applied,
        visibility=visibility,
    )


# --- flows -----------------------------------------------------------------------------------

FLOW_FIELDS = frozenset(
    {
        "donor",
        "recipient",
        "amount",
        "currency",
        "status",
        "sector",
        "flow_date",
        "pledged_on",
        "committed_on",
        "paid_on",
        "requirement",
        "notes",
        "source",
        "confidence",
    }
)


@transaction.atomic
def flow_record(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = DEFAULT_VISIBILITY
) -> Flow:
    """Record money from a donor to a recipient, and the first step of its status history.

    The status's own day (pledged_on, committed_on or paid_on) defaults to
    flow_date; days of later statuses may not precede earlier ones.
    """
    ensure_funding_writer(actor)
    _unknown(fields, FLOW_FIELDS)
    donor = _organisation(actor, fields.get("donor"), "donor")
    recipient = _organisation(actor, fields.get("recipient"), "recipient")
    amount = check_amount(fields.get("amount"))
    currency = check_currency(fields.get("currency"))
    status = check_status(fields.get("status") or FlowStatus.PLEDGED.value)
    sector = check_sector(fields.get("sector"))
    flow_date = check_date(fields.get("flow_date"), "flow_date", required=True)
    dates = {
        name: check_date(fields.get(name), name, required=False)
        for name in ("pledged_on", "committed_on", "paid_on")
    }
    own = DATE_FIELD[FlowStatus(status)]
    if dates[own] is None:
        dates[own] = flow_date
    # A status later than the current one cannot have a day yet.
    for later_status, name in DATE_FIELD.items():
        if STATUS_RANK[later_status] > STATUS_RANK[FlowStatus(status)] and dates[name]:
            raise InvalidInput(f"{name} is given but the flow is only {status}", field=name)
    _check_status_dates(dates)
    requirement = None
    if fields.get("requirement"):
        requirement = (
            lookup(Requirement, actor, fields["requirement"], "public_id")
            if _is_uuid(fields["requirement"])
            else None
        )
        if requirement is None:
            raise InvalidInput("unknown requirement", field="requirement")
    flow = record_create(
        actor=actor,
        model=Flow,
        fields={
            "donor": donor,
            "recipient": recipient,
            "amount": amount,
            "currency": currency,
            "status": status,
            "sector": sector,
            "flow_date": flow_date,
            **dates,
            "requirement": requirement,
            "notes": _text(fields, "notes"),
            "source": _text(fields, "source"),
            "confidence": _text(fields, "confidence"),
        },
        visibility=visibility,
    )
    assert flow_date is not None  # required=True raises instead
    _status_step(actor, flow, status, dates[own] or flow_date, "")
    return flow


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _status_step(
    actor: User | None, flow: Flow, status: str, on: dt.date, reason: str
) -> FlowStatusChange:
    return record_create(
        actor=actor,
        model=FlowStatusChange,
        fields={"flow": flow, "status": status, "on": on, "reason": reason, "source": flow.source},
        visibility=flow.visibility,
    )


@transaction.atomic
def flow_status_change(
    *,
    actor: User | None,
    flow: Flow,
    expected_version: int | None,
    status: str,
    on: Any,
    reason: str = "",
    source: str = "",
) -> Flow:
    """Move a flow to a status on a day: forward freely, back only with a reason.

    Going back (paid -> committed) clears the days of the statuses left behind:
    the flow's history keeps them, in its versions and its status steps.
    """
    ensure_funding_writer(actor)
    new = FlowStatus(check_status(status))
    day = check_date(on, "on", required=True)
    assert day is not None
    old = FlowStatus(flow.status)
    reason = (reason or "").strip()
    if new == old:
        raise InvalidInput(f"the flow is already {new.value}", field="status")
    backwards = STATUS_RANK[new] < STATUS_RANK[old]
    if backwards and not reason:
        raise InvalidInput(
            f"a flow moves from {old.value} back to {new.value} only with a reason", field="reason"
        )
    dates: dict[str, dt.date | None] = {
        "pledged_on": flow.pledged_on,
        "committed_on": flow.committed_on,
        "paid_on": flow.paid_on,
    }
    for other, name in DATE_FIELD.items():
        if STATUS_RANK[other] > STATUS_RANK[new]:
            dates[name] = None
    dates[DATE_FIELD[new]] = day
    try:
        _check_status_dates(dates)
    except InvalidInput as exc:
        # The form and the API name the day the user typed.
        raise InvalidInput(exc.message, field="on") from None
    changes: dict[str, Any] = {"status": new.value, **dates}
    if source.strip():
        changes["source"] = source.strip()
    updated = record_update(
        actor=actor, record=flow, expected_version=expected_version, changes=changes
    )
    _status_step(actor, updated, new.value, day, reason)
    return updated


# --- exchange rates --------------------------------------------------------------------------


@transaction.atomic
def exchange_rate_record(
    *,
    actor: User | None,
    currency: Any,
    reporting_currency: Any,
    rate: Any,
    as_of: Any,
    source: str = "",
    visibility: Visibility = DEFAULT_VISIBILITY,
) -> ExchangeRate:
    """Record what one unit of `currency` was worth in the reporting currency on a day."""
    ensure_funding_writer(actor)
    code = check_currency(currency)
    reporting = check_currency(reporting_currency, "reporting_currency")
    if code == reporting:
        raise InvalidInput("a rate converts between two currencies", field="reporting_currency")
    value = check_amount(rate, "rate")
    day = check_date(as_of, "as_of", required=True)
    assert day is not None  # required=True raises instead
    if ExchangeRate.objects.filter(
        currency=code, reporting_currency=reporting, as_of=day, is_deleted=False
    ).exists():
        raise InvalidInput(
            f"a {code}/{reporting} rate is already recorded for {day}", field="as_of"
        )
    return record_create(
        actor=actor,
        model=ExchangeRate,
        fields={
            "currency": code,
            "reporting_currency": reporting,
            "rate": value,
            "as_of": day,
            "source": source.strip(),
        },
        visibility=visibility,
    )
