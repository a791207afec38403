"""Airlift figures computed from flight records up to a day (all flights without one)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.deployment.models import AirliftFlight
from truce.deployment.selectors import flights_visible_to


def _flights(query: FigureQuery) -> list[AirliftFlight]:
    return list(flights_visible_to(query.user, date_to=query.as_of))


def _by_origin(flights: list[AirliftFlight], attr: str | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in flights:
        out[f.origin] = out.get(f.origin, 0) + (getattr(f, attr) if attr else 1)
    return out


@figure(
    "deployment_airlift_flights",
    label=_("Airlift flights made"),
    unit="flights",
    description="Flight records of the airlift up to the day, by origin.",
)
def _flight_count(query: FigureQuery) -> Any:
    flights = _flights(query)
    return len(flights), flights, _by_origin(flights, None)


@figure(
    "deployment_airlift_personnel",
    label=_("People carried by the airlift"),
    unit="people",
    description="Personnel carried, summed over the flight records up to the day, by origin.",
)
def _personnel(query: FigureQuery) -> Any:
    flights = _flights(query)
    return sum(f.personnel for f in flights), flights, _by_origin(flights, "personnel")


@figure(
    "deployment_airlift_equipment_units",
    label=_("Units of equipment carried by the airlift"),
    unit="units",
    description="Units of equipment carried, summed over the flight records up to the day.",
)
def _equipment(query: FigureQuery) -> Any:
    flights = _flights(query)
    return (
        sum(f.equipment_units for f in flights),
        flights,
        _by_origin(flights, "equipment_units"),
    )
