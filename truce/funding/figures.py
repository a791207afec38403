"""Funding figures: required, funded (committed or paid) and coverage, from the records.

Without a reporting currency the figures are per currency (the breakdown) and
the value is the number of currencies' worth of sums only if there is one
currency; with exchange-rate records, the figures convert to the reporting
currency of the newest rate (the breakdown names the rates used).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.funding.selectors import Amounts, Coverage, coverage, reporting_currencies
from truce.lib.time import utcnow


def _coverage(query: FigureQuery) -> Coverage:
    currencies = reporting_currencies(query.user)
    # One reporting currency recorded: convert to it; several or none: per currency.
    reporting = currencies[0] if len(currencies) == 1 else None
    return coverage(query.user, as_of=query.as_of or utcnow().date(), reporting_currency=reporting)


def _value(state: Coverage, amounts: Amounts) -> tuple[float | None, dict[str, float]]:
    breakdown = {code: float(v) for code, v in sorted(amounts.by_currency.items())}
    for rate in state.rates:
        breakdown[f"rate {rate.currency}/{rate.reporting_currency} {rate.as_of}"] = float(rate.rate)
    if state.reporting_currency:
        return float(amounts.converted), breakdown
    if len(amounts.by_currency) == 1:
        return float(next(iter(amounts.by_currency.values()))), breakdown
    return None, breakdown


@figure(
    "funding_required",
    label=_("Funding required"),
    unit="currency",
    description=(
        "The sum of requirements with a stated amount whose period began by the day, in the "
        "reporting currency if exchange rates are recorded (the breakdown per currency)."
    ),
)
def _required(query: FigureQuery) -> Any:
    state = _coverage(query)
    value, breakdown = _value(state, state.total.required)
    return value, [*state.total.requirements, *state.rates], breakdown


@figure(
    "funding_funded",
    label=_("Funding committed or paid"),
    unit="currency",
    description=(
        "The sum of flows committed or paid by the day (pledges not counted), in the reporting "
        "currency if exchange rates are recorded (the breakdown per currency)."
    ),
)
def _funded(query: FigureQuery) -> Any:
    state = _coverage(query)
    value, breakdown = _value(state, state.total.funded)
    return value, [*state.total.funded_flows, *state.rates], breakdown


@figure(
    "funding_coverage_pct",
    label=_("Funding coverage"),
    unit="%",
    description=(
        "Committed or paid as a share of required, in total and by sector, "
        "in the reporting currency (empty without exchange rates or a stated requirement)."
    ),
)
def _coverage_pct(query: FigureQuery) -> Any:
    state = _coverage(query)
    pct = state.total.coverage_pct
    by_sector = {
        row.label: round(row.coverage_pct, 1) for row in state.rows if row.coverage_pct is not None
    }
    records = [*state.total.requirements, *state.total.flows, *state.rates]
    return (round(pct, 1) if pct is not None else None), records, by_sector
