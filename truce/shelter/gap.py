"""Expected arrivals against free places: the gap by area and by date (a selector).

Expected arrivals come from two kinds of record:

- stated estimates (ArrivalEstimate: "up to 30,000", who said it, when, how sure), the
  latest stated on or before the day for each area; an estimate naming no admin area
  (the briefing's "in Nagorno-Karabakh") covers the whole area of operation;
- projections from registered households returning or relocating (their intended
  settlement, expected day and size) plus, where the population app counts daily flows,
  the last week's inbound daily average carried forward a week.

Per area the stated estimate is used where there is one, else the projection; for the
whole area of operation, a whole-area estimate where there is one, else the sum of the
areas. Free places are capacity - latest count - places the current run allocated. The
gap is expected - free (positive: people with no place). Everything is read through the
reader's visibility, so no hidden record is counted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Sum

from truce.core.models import AdminArea, Record
from truce.core.sharing import visible
from truce.population.models import FlowCount
from truce.population.selectors import expected_arrivals, households_visible_to
from truce.shelter.allocation import MOVING
from truce.shelter.models import ArrivalEstimate
from truce.shelter.selectors import estimates_visible_to, shelter_places

if TYPE_CHECKING:
    from truce.core.models import User

WHOLE_AREA = ""
FLOW_WINDOW_DAYS = 7
# Flows are carried forward a week, not the whole horizon: a rate seen over one week says
# little about the month after it (the survey's intentions cover the longer run).
FLOW_AHEAD_DAYS = 7
DEFAULT_HORIZON_DAYS = 30


@dataclass
class GapRow:
    key: str  # admin area P-code, or "" for the whole area of operation
    label: str
    places: int = 0
    occupied: int = 0
    allocated: int = 0
    free: int = 0
    shelters: int = 0
    stated: int | None = None
    stated_estimate: ArrivalEstimate | None = None
    households: int = 0  # people in registered households expected by the horizon
    flows: int = 0  # recent inbound daily average x horizon days
    records: list[Record] = field(default_factory=list)

    @property
    def projected(self) -> int:
        return self.households + self.flows

    @property
    def expected(self) -> int:
        return self.stated if self.stated is not None else self.projected

    @property
    def basis(self) -> str:
        return "stated" if self.stated is not None else "projected"

    @property
    def gap(self) -> int:
        return self.expected - self.free


@dataclass
class Gap:
    as_of: dt.date
    horizon_days: int
    total: GapRow
    areas: list[GapRow]


def _area_of(settlement: Any) -> tuple[str, str]:
    area = getattr(settlement, "admin_area", None)
    if area is None:
        return WHOLE_AREA, ""
    return area.pcode, area.display_name


def _latest_estimates(user: User | None, as_of: dt.date) -> dict[str, ArrivalEstimate]:
    """The latest estimate stated by as_of for each area (a settlement counts for its area)."""
    latest: dict[str, ArrivalEstimate] = {}
    for estimate in estimates_visible_to(user, as_of=as_of).select_related(
        "settlement__admin_area"
    ):
        if estimate.period_end is not None and estimate.period_end < as_of:
            continue
        if estimate.area is not None:
            key = estimate.area.pcode
        elif estimate.settlement is not None:
            key = _area_of(estimate.settlement)[0]
        else:
            key = WHOLE_AREA
        latest.setdefault(key, estimate)  # newest first
    return latest


def _household_projection(user: User | None, until: dt.date) -> dict[str, int]:
    """People of households intending to arrive by `until` (or undated), by admin area."""
    areas = dict(AdminArea.objects.values_list("pk", "pcode"))
    totals: dict[str, int] = defaultdict(int)
    # The population app's own reading of the intentions survey (counts only).
    for arrivals in expected_arrivals(user):
        if arrivals.day is not None and arrivals.day > until:
            continue
        area = arrivals.settlement.admin_area_id
        totals[areas.get(area, WHOLE_AREA) if area is not None else WHOLE_AREA] += arrivals.people
    return dict(totals)


def _flow_projection(user: User | None, as_of: dt.date) -> dict[str, int]:
    start = as_of - dt.timedelta(days=FLOW_WINDOW_DAYS - 1)
    rows = (
        visible(FlowCount.objects.all(), user)
        .filter(direction="inbound", day__gte=start, day__lte=as_of)
        .values("point__settlement__admin_area__pcode")
        .annotate(people=Sum("people"))
    )
    return {
        r["point__settlement__admin_area__pcode"] or WHOLE_AREA: round(
            int(r["people"]) / FLOW_WINDOW_DAYS * FLOW_AHEAD_DAYS
        )
        for r in rows
    }


def gap_as_of(
    user: User | None,
    as_of: dt.date,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    include_flows: bool = True,
) -> Gap:
    """Places, free places, expected arrivals and the gap, per area and in total."""
    rows: dict[str, GapRow] = {}
    names = dict(AdminArea.objects.values_list("pcode", "display_name"))

    def row(key: str) -> GapRow:
        if key not in rows:
            rows[key] = GapRow(key=key, label=names.get(key, key))
        return rows[key]

    for places in shelter_places(user, as_of):
        r = row(_area_of(places.shelter.settlement)[0])
        r.places += places.places
        r.occupied += places.occupied
        r.allocated += places.allocated
        r.free += places.free
        r.shelters += 1
        r.records.append(places.shelter)
    until = as_of + dt.timedelta(days=horizon_days)
    for key, people in _household_projection(user, until).items():
        row(key).households += people
    if include_flows:
        for key, people in _flow_projection(user, as_of).items():
            row(key).flows += people
    estimates = _latest_estimates(user, as_of)
    for key, estimate in estimates.items():
        if key == WHOLE_AREA:
            continue
        r = row(key)
        r.stated, r.stated_estimate = estimate.people, estimate
        r.records.append(estimate)
    areas = sorted((r for k, r in rows.items() if k != WHOLE_AREA), key=lambda r: r.key)
    loose = rows.get(WHOLE_AREA)
    total = GapRow(key=WHOLE_AREA, label="")
    for r in [*areas, *([loose] if loose else [])]:
        total.places += r.places
        total.occupied += r.occupied
        total.allocated += r.allocated
        total.free += r.free
        total.shelters += r.shelters
        total.households += r.households
        total.flows += r.flows
        total.records += r.records
    whole = estimates.get(WHOLE_AREA)
    if whole is not None:
        total.stated, total.stated_estimate = whole.people, whole
        total.records.append(whole)
    elif any(r.stated is not None for r in areas):
        total.stated = sum(r.expected for r in areas) + (loose.projected if loose else 0)
    return Gap(as_of=as_of, horizon_days=horizon_days, total=total, areas=areas)


@dataclass
class DayPoint:
    day: dt.date
    expected: int
    free: int

    @property
    def gap(self) -> int:
        return self.expected - self.free


def gap_by_date(
    user: User | None, start: dt.date, days: int, *, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> list[DayPoint]:
    """The whole-area gap day by day (each day computed as of that day)."""
    points = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        gap = gap_as_of(user, day, horizon_days=horizon_days)
        points.append(DayPoint(day, gap.total.expected, gap.total.free))
    return points


def projected_by_day(user: User | None, start: dt.date, until: dt.date) -> dict[dt.date, int]:
    """People of registered households expected each day (for the chart's detail)."""
    rows = (
        households_visible_to(user, intention__in=MOVING)
        .filter(expected_on__gte=start, expected_on__lte=until)
        .values("expected_on")
        .annotate(people=Sum("size"))
    )
    totals: dict[dt.date, int] = defaultdict(int)
    for r in rows:
        if r["expected_on"] is not None:
            totals[r["expected_on"]] += int(r["people"])
    return dict(totals)
