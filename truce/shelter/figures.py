"""The shelter figures: expected arrivals, places, free places and the gap.

Asked "as of" a date they answer for that day, else for today (UTC). An area
(a P-code) narrows them to that admin area's row of the gap. Each lists the
records behind it: the stated estimate, the shelters and their counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.lib.time import utcnow
from truce.shelter.gap import Gap, GapRow, gap_as_of


def _gap(query: FigureQuery) -> tuple[Gap, GapRow]:
    as_of: dt.date = query.as_of or utcnow().date()
    gap = gap_as_of(query.user, as_of)
    if query.area:
        for row in gap.areas:
            if row.key == query.area:
                return gap, row
        return gap, GapRow(key=query.area, label=query.area)
    return gap, gap.total


@figure(
    "shelter_expected_arrivals",
    label=_("Arrivals expected"),
    unit="people",
    description=(
        "People expected to arrive: the latest stated estimate for the area (as said, e.g. "
        "'up to 30,000'), else the projection from registered households' intentions and "
        "recent inbound flows; by area."
    ),
)
def _expected(query: FigureQuery) -> Any:
    gap, row = _gap(query)
    records = [row.stated_estimate] if row.stated_estimate is not None else row.records
    breakdown = {r.label: r.expected for r in gap.areas} if row is gap.total else {}
    return row.expected, records, breakdown


@figure(
    "shelter_places",
    label=_("Shelter places"),
    unit="places",
    description="Capacity of the shelters that are open or full (the existing room), by area.",
)
def _places(query: FigureQuery) -> Any:
    gap, row = _gap(query)
    shelters = [r for r in row.records if r._meta.model_name == "shelter"]
    breakdown = {r.label: r.places for r in gap.areas} if row is gap.total else {}
    return row.places, shelters, breakdown


@figure(
    "shelter_free_places",
    label=_("Free shelter places"),
    unit="places",
    description=(
        "Capacity of open shelters less their latest occupancy count and the places the "
        "current allocation run handed out, by area."
    ),
)
def _free(query: FigureQuery) -> Any:
    gap, row = _gap(query)
    shelters = [r for r in row.records if r._meta.model_name == "shelter"]
    breakdown = {r.label: r.free for r in gap.areas} if row is gap.total else {}
    return row.free, shelters, breakdown


@figure(
    "shelter_gap",
    label=_("People expected without a shelter place"),
    unit="people",
    description="Arrivals expected less free shelter places (positive: people with no place).",
)
def _gap_figure(query: FigureQuery) -> Any:
    gap, row = _gap(query)
    breakdown = {r.label: r.gap for r in gap.areas} if row is gap.total else {}
    return row.gap, row.records, breakdown
