"""The displacement and returns figures (mechanism 4).

Baselines are summed as their sources give them, never split further; the
escorted returns are the sum of the recorded movements; a later source's
stated total of returns is a baseline of measure "returned", quoted with its
source rather than turned into movements nobody recorded. Every figure counts
only what the reader may see and lists the records behind it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.core.models import Settlement
from truce.population.models import Measure
from truce.population.selectors import baselines_visible_to, returns_visible_to

STEPANAKERT = "AZ-XA-001"
RETURNS_SINCE = dt.date(2020, 11, 14)


def _latest_per_code(rows: list[Any]) -> list[Any]:
    # Two estimates of the same thing under one code cannot both be current;
    # codes are unique, so this only orders them.
    return sorted(rows, key=lambda r: (r.as_of, r.code))


@figure(
    "displaced_estimated",
    label=_("Displaced, estimated"),
    unit="people",
    description=(
        "Sum of the displacement baselines as their sources state them (to Armenia; from "
        "the districts adjacent to the area), with the breakdown by estimate; no estimate "
        "is split over settlements its source does not name."
    ),
)
def _displaced_estimated(query: FigureQuery) -> Any:
    rows = _latest_per_code(
        list(baselines_visible_to(query.user, measure=Measure.DISPLACED, as_of=query.as_of))
    )
    if not rows:
        return None, []
    breakdown = {row.label: row.people for row in rows}
    return sum(row.people for row in rows), rows, breakdown


def escorted_returns(
    query: FigureQuery,
    *,
    to: str | None = None,
    to_area: str | None = None,
    since: dt.date = RETURNS_SINCE,
) -> tuple[int, list[Any], dict[str, int]]:
    """People in the visible escorted movements since a date, up to the query's date, by day."""
    rows = list(
        returns_visible_to(query.user, to=to, to_area=to_area, since=since, until=query.as_of)
    )
    by_day: dict[str, int] = {}
    for row in rows:
        key = row.date.isoformat()
        by_day[key] = by_day.get(key, 0) + row.people
    return sum(r.people for r in rows), rows, by_day


@figure(
    "returns_escorted_to_stepanakert_since_14_nov",
    label=_("Returns escorted to Stepanakert since 14 Nov"),
    unit="people",
    description=(
        "People in the escorted return movements to Stepanakert recorded from 14 November "
        "2020 up to the date asked, by day."
    ),
)
def _returns_to_stepanakert(query: FigureQuery) -> Any:
    return escorted_returns(query, to=STEPANAKERT)


@figure(
    "returns_escorted_since_14_nov",
    label=_("Escorted returns since 14 Nov, all destinations"),
    unit="people",
    description=(
        "People in all the escorted return movements recorded from 14 November 2020 up to "
        "the date asked (with an area: to the settlements of that admin area, or to that "
        "settlement P-code), by day."
    ),
)
def _returns_all(query: FigureQuery) -> Any:
    if not query.area:
        return escorted_returns(query)
    if Settlement.objects.filter(pcode=query.area).exists():
        return escorted_returns(query, to=query.area)
    return escorted_returns(query, to_area=query.area)


@figure(
    "returns_stated_whole_area",
    label=_("Returns since 14 Nov, whole area (stated)"),
    unit="people",
    description=(
        "The latest stated estimate of returns to the whole area since 14 November, as its "
        "source gives it (for example 'over 48,000' in the later briefing); a quoted "
        "figure, not a sum of recorded movements. Empty before the source's date."
    ),
)
def _returns_stated(query: FigureQuery) -> Any:
    rows = _latest_per_code(
        list(baselines_visible_to(query.user, measure=Measure.RETURNED, as_of=query.as_of))
    )
    if not rows:
        return None, []
    latest = rows[-1]
    return latest.people, [latest], {latest.label: latest.people}
