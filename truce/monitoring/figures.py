"""The monitoring figures (mechanism 4): what the dashboard, reports and API quote.

A figure asked "as of" a date answers for the mission day (evening to
evening) named by that date; without one, for the current mission day. Each
counts only what the reader may see and lists the records it counted; the
two figures over all observations take their value from the count rollups
and list at most RECORD_LIMIT of the newest observations behind it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.lib.time import utcnow, window_of
from truce.monitoring.models import (
    VIOLATION_TYPES,
    IncidentResolution,
    IncidentStatus,
    ObservationType,
)
from truce.monitoring.selectors import (
    incidents_visible_to,
    observation_totals,
    observations_visible_to,
)

RECORD_LIMIT = 200
_TYPE_LABELS = dict(ObservationType.choices)
_STATUS_LABELS = dict(IncidentStatus.choices)


def figure_window(query: FigureQuery) -> dt.date:
    return query.as_of or window_of(utcnow())


@figure(
    "ceasefire_violations_verified",
    label=_("Ceasefire violations verified"),
    unit="incidents",
    description=(
        "Incidents of a violation type (fire, movement, provocation, harm) that the mission "
        "verified, which started in the mission day (evening to evening), by type."
    ),
)
def _violations_verified(query: FigureQuery) -> Any:
    rows = list(
        incidents_visible_to(
            query.user, window=figure_window(query), status=IncidentStatus.VERIFIED
        ).filter(type__in=VIOLATION_TYPES)
    )
    by_type = Counter(str(_TYPE_LABELS[i.type]) for i in rows)
    return len(rows), rows, dict(sorted(by_type.items()))


@figure(
    "provocations_recorded",
    label=_("Provocations recorded"),
    unit="observations",
    description="Observations of provocations made in the mission day (evening to evening).",
)
def _provocations(query: FigureQuery) -> Any:
    rows = list(
        observations_visible_to(
            query.user, window=figure_window(query), type=ObservationType.PROVOCATION
        )
    )
    return len(rows), rows


@figure(
    "observations_in_window",
    label=_("Observations in the mission day"),
    unit="observations",
    description=(
        "Every observation made in the mission day (evening to evening), by type; counted "
        f"from the daily rollups, with up to {RECORD_LIMIT} of the newest listed."
    ),
)
def _observations(query: FigureQuery) -> Any:
    window = figure_window(query)
    totals = observation_totals(query.user, window=window)
    records = list(observations_visible_to(query.user, window=window)[:RECORD_LIMIT])
    breakdown = {str(_TYPE_LABELS[t]): n for t, n in totals.items()}
    return sum(totals.values()), records, breakdown


@figure(
    "incidents_in_window",
    label=_("Incidents in the mission day"),
    unit="incidents",
    description=(
        "Incidents that started in the mission day (evening to evening), by verification "
        f"status, with up to {RECORD_LIMIT} of the newest listed."
    ),
)
def _incidents(query: FigureQuery) -> Any:
    rows = incidents_visible_to(query.user, window=figure_window(query))
    by_status = {
        str(_STATUS_LABELS[row["status"]]): row["n"]
        for row in rows.order_by().values("status").annotate(n=Count("id"))
    }
    return sum(by_status.values()), list(rows[:RECORD_LIMIT]), by_status


@figure(
    "incidents_settled_on_ground",
    label=_("Minor incidents settled on the ground"),
    unit="incidents",
    description=(
        "Incidents that started in the mission day (evening to evening) and that the mission "
        "recorded as settled on the ground (their resolution), by verification status."
    ),
)
def _settled_on_ground(query: FigureQuery) -> Any:
    rows = list(
        incidents_visible_to(query.user, window=figure_window(query)).filter(
            resolution=IncidentResolution.SETTLED_ON_GROUND
        )
    )
    by_status = Counter(str(_STATUS_LABELS[i.status]) for i in rows)
    return len(rows), rows, dict(sorted(by_status.items()))
