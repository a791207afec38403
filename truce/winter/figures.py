"""Winter readiness figures: settlements without each utility, and open medical needs.

A figure asked "as of" a date reads the reports begun by that day; without a
date, today's. Each counts only what the reader may see.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.lib.time import utcnow
from truce.winter.models import NeedCategory, NeedStatus, ServiceState, Utility
from truce.winter.selectors import needs_visible_to, readiness

MEDICAL_CATEGORIES = (
    NeedCategory.MEDICINES,
    NeedCategory.MEDICAL_SUPPLIES,
    NeedCategory.MEDICAL_EQUIPMENT,
)
_UTILITY_LABELS = dict(Utility.choices)


@figure(
    "winter_settlements_with_utility_out",
    label=_("Settlements with a utility out"),
    unit="settlements",
    description=(
        "Settlements where at least one of power, gas, heat or water is reported out on the "
        "day (the latest report begun by then), by utility."
    ),
)
def _settlements_out(query: FigureQuery) -> Any:
    state = readiness(query.user, as_of=query.as_of or utcnow().date(), area=query.area)
    rows = [row for row in state.rows if row.worst == ServiceState.OUT]
    by_utility = {
        str(_UTILITY_LABELS[utility]): counts[ServiceState.OUT]
        for utility, counts in state.totals.items()
    }
    records = [
        report
        for row in rows
        for report in row.reports.values()
        if report is not None and report.state == ServiceState.OUT
    ]
    return len(rows), records, by_utility


@figure(
    "winter_medical_needs_open",
    label=_("Open needs for medicines and medical supplies"),
    unit="needs",
    description=(
        "Needs for medicines, medical supplies and medical equipment stated by the day and "
        "not yet delivered or cancelled, by category."
    ),
)
def _medical_needs_open(query: FigureQuery) -> Any:
    rows = needs_visible_to(query.user, area=query.area).filter(
        category__in=MEDICAL_CATEGORIES,
        status__in=[NeedStatus.OPEN, NeedStatus.PLEDGED],
    )
    if query.as_of is not None:
        rows = rows.filter(stated_on__lte=query.as_of)
    needs = list(rows)
    labels = dict(NeedCategory.choices)
    by_category: dict[str, int] = {}
    for need in needs:
        name = str(labels[need.category])
        by_category[name] = by_category.get(name, 0) + 1
    return len(needs), needs, by_category
