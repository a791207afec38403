"""Reads of winter readiness, every one filtered by the reader's party.

The readiness matrix is computed from the reports the reader may see: a
report shared only with side A never colours a cell for side B, whose cell
says "no report" instead, exactly as if the report did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet, Sum

from truce.core.selectors import settlements_visible_to
from truce.core.sharing import visible
from truce.winter.models import (
    STATE_SEVERITY,
    NeedStatus,
    ServiceState,
    SupplyNeed,
    Utility,
    UtilityReport,
)

if TYPE_CHECKING:
    from truce.core.models import Settlement, User

UNKNOWN = "unknown"
# Rows of the matrix: out, partial, working, then settlements without a report.
ROW_ORDER = {UNKNOWN: -1, **{str(state): rank for state, rank in STATE_SEVERITY.items()}}


def reports_visible_to(
    user: User | None,
    *,
    settlement: str | None = None,
    utility: str | None = None,
    state: str | None = None,
    area: str | None = None,
) -> QuerySet[UtilityReport]:
    """Utility reports the user may see, about settlements the user may see."""
    places = settlements_visible_to(user, admin_area=area)
    qs = visible(UtilityReport.objects.select_related("settlement"), user).filter(
        settlement__in=places
    )
    if settlement:
        qs = qs.filter(settlement__pcode=settlement)
    if utility:
        qs = qs.filter(utility=utility)
    if state:
        qs = qs.filter(state=state)
    return qs


def needs_visible_to(
    user: User | None,
    *,
    settlement: str | None = None,
    category: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    area: str | None = None,
) -> QuerySet[SupplyNeed]:
    """Supply needs the user may see, about settlements the user may see."""
    places = settlements_visible_to(user, admin_area=area)
    qs = visible(SupplyNeed.objects.select_related("settlement"), user).filter(
        settlement__in=places
    )
    if settlement:
        qs = qs.filter(settlement__pcode=settlement)
    if category:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    return qs


@dataclass
class SettlementReadiness:
    """One row of the matrix: a settlement and its latest report per utility."""

    settlement: Settlement
    reports: dict[str, UtilityReport | None]

    @property
    def cells(self) -> list[tuple[str, UtilityReport | None]]:
        return [(u.value, self.reports.get(u.value)) for u in Utility]

    @property
    def worst(self) -> str:
        """The worst known state, or unknown when nothing is reported."""
        states = [r.state for r in self.reports.values() if r is not None]
        if not states:
            return UNKNOWN
        return max(states, key=lambda s: STATE_SEVERITY[ServiceState(s)])


@dataclass
class Readiness:
    as_of: dt.date
    rows: list[SettlementReadiness]
    # utility -> state (or unknown) -> settlements
    totals: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def reports(self) -> list[UtilityReport]:
        return [r for row in self.rows for r in row.reports.values() if r is not None]


def readiness(
    user: User | None,
    *,
    as_of: dt.date,
    area: str | None = None,
    reported_only: bool = False,
) -> Readiness:
    """Each visible settlement's state per utility on `as_of`: its latest report begun by then.

    With `reported_only`, settlements without any report by then are left out
    (the map draws only what is known; the matrix shows the gaps too).
    """
    places = list(settlements_visible_to(user, admin_area=area).order_by("display_name"))
    latest: dict[tuple[int, str], UtilityReport] = {}
    reports = (
        reports_visible_to(user, area=area)
        .filter(since__lte=as_of)
        .order_by("settlement_id", "utility", "since")
    )
    for report in reports:
        latest[(report.settlement_id, report.utility)] = report  # later since wins
    rows = []
    for place in places:
        found = {u.value: latest.get((place.pk, u.value)) for u in Utility}
        if reported_only and not any(found.values()):
            continue
        rows.append(SettlementReadiness(place, found))
    # Worst first, so the duty officer reads the settlements in trouble before
    # the ones without news (sorted() is stable: names stay in order within a state).
    rows = sorted(rows, key=lambda row: -ROW_ORDER[row.worst])
    totals: dict[str, Counter[str]] = {u.value: Counter() for u in Utility}
    for row in rows:
        for utility, cell in row.reports.items():
            totals[utility][cell.state if cell else UNKNOWN] += 1
    return Readiness(as_of=as_of, rows=rows, totals=totals)


def latest_report_day(user: User | None, *, not_after: dt.date) -> dt.date:
    """The newest day a visible report begins (up to not_after), or not_after itself.

    The matrix opens on it: the state on that day is the state since, and the
    page says which day its information is from.
    """
    day = (
        reports_visible_to(user)
        .filter(since__lte=not_after)
        .order_by("-since")
        .values_list("since", flat=True)
        .first()
    )
    return day or not_after


def settlement_history(user: User | None, settlement: Settlement) -> dict[str, list[UtilityReport]]:
    """Every visible report of one settlement per utility, newest first."""
    history: dict[str, list[UtilityReport]] = {u.value: [] for u in Utility}
    for report in reports_visible_to(user, settlement=settlement.pcode).order_by("-since"):
        history[report.utility].append(report)
    return history


def open_needs_by_category(
    user: User | None, *, area: str | None = None
) -> dict[str, dict[str, Decimal]]:
    """Open or pledged quantities per category and unit (what is still to deliver)."""
    rows = (
        needs_visible_to(user, area=area)
        .filter(status__in=[NeedStatus.OPEN, NeedStatus.PLEDGED])
        .values("category", "unit")
        .annotate(total=Sum("quantity"))
        .order_by("category", "unit")
    )
    totals: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        totals.setdefault(row["category"], {})[row["unit"]] = row["total"]
    return totals
