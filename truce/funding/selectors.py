"""Reads of funding, every one filtered by the reader's party.

`coverage` sets what each sector requires against what is committed or paid
to it. With a reporting currency, each amount is converted with the newest
rate recorded on or before the day, and the row names the rates it used; an
amount with no such rate is left out of the converted total and listed as
unconverted, never guessed. Without a reporting currency, totals stay per
currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from truce.core.sharing import visible
from truce.funding.models import (
    FUNDED_STATUSES,
    ExchangeRate,
    Flow,
    FlowStatus,
    FlowStatusChange,
    Requirement,
    Sector,
)

if TYPE_CHECKING:
    from truce.core.models import User

TOTAL = "total"


def requirements_visible_to(
    user: User | None,
    *,
    sector: str | None = None,
    as_of: dt.date | None = None,
) -> QuerySet[Requirement]:
    qs = visible(Requirement.objects.select_related("requested_by"), user)
    if sector:
        qs = qs.filter(sector=sector)
    if as_of is not None:
        qs = qs.filter(period_start__lte=as_of)
    return qs


def flows_visible_to(
    user: User | None,
    *,
    sector: str | None = None,
    status: str | None = None,
    donor: str | None = None,
    recipient: str | None = None,
    currency: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Flow]:
    """Flows the user may see; a flow whose donor or recipient is hidden is hidden too."""
    from truce.core.selectors import organisations_visible_to

    orgs = organisations_visible_to(user)
    qs = visible(Flow.objects.select_related("donor", "recipient", "requirement"), user).filter(
        donor__in=orgs, recipient__in=orgs
    )
    if sector:
        qs = qs.filter(sector=sector)
    if status:
        qs = qs.filter(status=status)
    if donor:
        qs = qs.filter(donor__code=donor)
    if recipient:
        qs = qs.filter(recipient__code=recipient)
    if currency:
        qs = qs.filter(currency=currency.upper())
    if date_from:
        qs = qs.filter(flow_date__gte=date_from)
    if date_to:
        qs = qs.filter(flow_date__lte=date_to)
    return qs


def status_history(user: User | None, flow: Flow) -> QuerySet[FlowStatusChange]:
    return visible(FlowStatusChange.objects.filter(flow=flow), user).order_by("on", "id")


def rates_visible_to(user: User | None) -> QuerySet[ExchangeRate]:
    return visible(ExchangeRate.objects.all(), user)


def reporting_currencies(user: User | None) -> list[str]:
    return sorted(set(rates_visible_to(user).values_list("reporting_currency", flat=True)))


@dataclass
class Amounts:
    """Sums per currency, or one converted sum, with what it rests on."""

    by_currency: dict[str, Decimal] = field(default_factory=dict)
    converted: Decimal = Decimal(0)
    unconverted: dict[str, Decimal] = field(default_factory=dict)
    unknown_amounts: int = 0  # requirements stated without an amount

    def add(self, currency: str, amount: Decimal) -> None:
        self.by_currency[currency] = self.by_currency.get(currency, Decimal(0)) + amount


@dataclass
class CoverageRow:
    sector: str
    label: str
    required: Amounts = field(default_factory=Amounts)
    funded: Amounts = field(default_factory=Amounts)
    pledged: Amounts = field(default_factory=Amounts)
    requirements: list[Requirement] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    funded_flows: list[Flow] = field(default_factory=list)  # committed or paid on the day

    @property
    def coverage_pct(self) -> float | None:
        """Funded as a share of required, in the reporting currency (None without one)."""
        if not self.required.converted:
            return None
        return float(self.funded.converted / self.required.converted * 100)


@dataclass
class Coverage:
    as_of: dt.date
    reporting_currency: str | None
    rows: list[CoverageRow]
    total: CoverageRow
    rates: list[ExchangeRate]

    @property
    def currencies(self) -> list[str]:
        seen: set[str] = set()
        for row in (*self.rows, self.total):
            for amounts in (row.required, row.funded, row.pledged):
                seen.update(amounts.by_currency)
        return sorted(seen)


def _rate_for(
    user: User | None,
    currency: str,
    reporting: str,
    as_of: dt.date,
    cache: dict[str, ExchangeRate | None],
) -> ExchangeRate | None:
    if currency not in cache:
        cache[currency] = (
            rates_visible_to(user)
            .filter(currency=currency, reporting_currency=reporting, as_of__lte=as_of)
            .order_by("-as_of")
            .first()
        )
    return cache[currency]


def coverage(
    user: User | None,
    *,
    as_of: dt.date,
    reporting_currency: str | None = None,
    sector: str | None = None,
) -> Coverage:
    """Required against funded (committed or paid) and pledged per sector, up to `as_of`."""
    labels = dict(Sector.choices)
    rows: dict[str, CoverageRow] = {}
    total = CoverageRow(TOTAL, "")
    cache: dict[str, ExchangeRate | None] = {}
    used: dict[int, ExchangeRate] = {}

    def row_for(code: str) -> CoverageRow:
        if code not in rows:
            rows[code] = CoverageRow(code, str(labels.get(code, code)))
        return rows[code]

    def put(target: Amounts, currency: str, amount: Decimal) -> None:
        target.add(currency, amount)
        if not reporting_currency:
            return
        if currency == reporting_currency:
            target.converted += amount
            return
        rate = _rate_for(user, currency, reporting_currency, as_of, cache)
        if rate is None:
            target.unconverted[currency] = target.unconverted.get(currency, Decimal(0)) + amount
            return
        used[rate.pk] = rate
        target.converted += (amount * rate.rate).quantize(Decimal("0.01"))

    for req in requirements_visible_to(user, sector=sector, as_of=as_of):
        for row in (row_for(req.sector), total):
            row.requirements.append(req)
            if req.amount is None:
                row.required.unknown_amounts += 1
            else:
                put(row.required, req.currency, req.amount)
    for flow in flows_visible_to(user, sector=sector, date_to=as_of):
        day_status = _status_on(flow, as_of)
        if day_status is None:
            continue
        for row in (row_for(flow.sector), total):
            row.flows.append(flow)
            if day_status in FUNDED_STATUSES:
                row.funded_flows.append(flow)
                put(row.funded, flow.currency, flow.amount)
            else:
                put(row.pledged, flow.currency, flow.amount)
    ordered = [rows[s] for s in Sector.values if s in rows]
    return Coverage(
        as_of=as_of,
        reporting_currency=reporting_currency or None,
        rows=ordered,
        total=total,
        rates=sorted(used.values(), key=lambda r: (r.currency, r.as_of)),
    )


def _status_on(flow: Flow, as_of: dt.date) -> str | None:
    """The flow's status on a day, from its status days (None before it began)."""
    if flow.paid_on is not None and flow.paid_on <= as_of:
        return FlowStatus.PAID
    if flow.committed_on is not None and flow.committed_on <= as_of:
        return FlowStatus.COMMITTED
    if flow.flow_date <= as_of:
        return FlowStatus.PLEDGED
    return None
