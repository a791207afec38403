"""Reads of deployment, every one filtered by the reader's party; airlift totals by day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet, Sum

from truce.core.sharing import visible
from truce.deployment.models import AirliftFlight, UnitDeployment

if TYPE_CHECKING:
    from truce.core.models import User


def flights_visible_to(
    user: User | None,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    origin: str | None = None,
    aircraft_type: str | None = None,
) -> QuerySet[AirliftFlight]:
    qs = visible(AirliftFlight.objects.all(), user)
    if date_from:
        qs = qs.filter(flown_on__gte=date_from)
    if date_to:
        qs = qs.filter(flown_on__lte=date_to)
    if origin:
        qs = qs.filter(origin=origin)
    if aircraft_type:
        qs = qs.filter(aircraft_type=aircraft_type)
    return qs


def deployments_visible_to(
    user: User | None, *, unit: str | None = None, as_of: dt.date | None = None
) -> QuerySet[UnitDeployment]:
    """Deployments the user may see, of units the user may see."""
    from truce.core.selectors import organisations_visible_to

    qs = visible(UnitDeployment.objects.select_related("unit"), user).filter(
        unit__in=organisations_visible_to(user)
    )
    if unit:
        qs = qs.filter(unit__code=unit)
    if as_of is not None:
        qs = qs.filter(deployed_from__lte=as_of).exclude(deployed_to__lt=as_of)
    return qs


@dataclass(frozen=True)
class AirliftTotals:
    flights: int
    personnel: int
    equipment_units: int


def airlift_totals(qs: QuerySet[AirliftFlight]) -> AirliftTotals:
    """Sums over the given flights (already filtered by visibility and day)."""
    row = qs.aggregate(n=Count("id"), people=Sum("personnel"), kit=Sum("equipment_units"))
    return AirliftTotals(row["n"] or 0, row["people"] or 0, row["kit"] or 0)


@dataclass(frozen=True)
class AirliftDay:
    day: dt.date
    flights: int
    personnel: int
    equipment_units: int
    cum_flights: int
    cum_personnel: int
    cum_equipment_units: int


def airlift_by_day(qs: QuerySet[AirliftFlight]) -> list[AirliftDay]:
    """Per day and cumulative, for the chart and the table under it."""
    rows = (
        qs.order_by()
        .values("flown_on")
        .annotate(n=Count("id"), people=Sum("personnel"), kit=Sum("equipment_units"))
        .order_by("flown_on")
    )
    days: list[AirliftDay] = []
    f = p = e = 0
    for row in rows:
        f, p, e = f + row["n"], p + (row["people"] or 0), e + (row["kit"] or 0)
        days.append(
            AirliftDay(row["flown_on"], row["n"], row["people"] or 0, row["kit"] or 0, f, p, e)
        )
    return days
