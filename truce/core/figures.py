"""Figures: named, documented quantities computed from records (mechanism 4).

Each app registers its figures in `<app>/figures.py` with `@figure(...)`; the
home page, the API and (later) the situation report all read them from here,
so they cannot disagree. Every value carries the records behind it, so a
reader can trace a figure to its sources. Computations go through selectors,
so a figure never counts a record the reader may not see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from truce.core.models import FacilityKind, OpRole, Record
from truce.core.selectors import facilities_visible_to

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from truce.core.models import User


@dataclass(frozen=True)
class FigureQuery:
    """What a figure is asked for: a reader, and optionally a date and an area (P-code)."""

    user: User | None
    as_of: dt.date | None = None
    area: str | None = None


@dataclass
class FigureValue:
    key: str
    label: str
    value: int | float | str | None
    unit: str
    breakdown: dict[str, int | float] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        """Distinct sources named by the supporting records, in first-seen order."""
        seen: dict[str, None] = {}
        for record in self.records:
            if record.source:
                seen.setdefault(record.source, None)
        return list(seen)


Compute = Callable[[FigureQuery], FigureValue]


@dataclass(frozen=True)
class Figure:
    key: str
    label: _StrPromise | str
    unit: str
    description: str
    compute: Compute


REGISTRY: dict[str, Figure] = {}


def figure(
    key: str, *, label: _StrPromise | str, unit: str, description: str
) -> Callable[[Callable[[FigureQuery], Any]], Compute]:
    """Register a figure. The function returns (value, records[, breakdown])."""

    def register(func: Callable[[FigureQuery], Any]) -> Compute:
        if key in REGISTRY:
            raise ValueError(f"figure {key!r} is registered twice")

        def compute(query: FigureQuery) -> FigureValue:
            result = func(query)
            value, records, *rest = result
            return FigureValue(
                key=key,
                label=str(label),
                value=value,
                unit=unit,
                breakdown=rest[0] if rest else {},
                records=list(records),
            )

        REGISTRY[key] = Figure(key, label, unit, description, compute)
        return compute

    return register


def discover() -> None:
    """Import every installed app's figures module (called once at start-up)."""
    autodiscover_modules("figures")


def figure_value(key: str, query: FigureQuery) -> FigureValue:
    try:
        return REGISTRY[key].compute(query)
    except KeyError:
        raise KeyError(f"unknown figure {key!r}") from None


def figure_values(query: FigureQuery, keys: Iterable[str] | None = None) -> list[FigureValue]:
    return [figure_value(k, query) for k in (keys if keys is not None else REGISTRY)]


# --- the foundation's own figures ---------------------------------------------------


def _observation_posts(query: FigureQuery, role: str) -> Any:
    return facilities_visible_to(query.user, kind=FacilityKind.OBSERVATION_POST, op_role=role)


@figure(
    "observation_posts_contact_line",
    label=_("Observation posts on the contact line"),
    unit="posts",
    description="Observation posts whose role is the contact line, by zone of responsibility.",
)
def _ops_contact_line(query: FigureQuery) -> Any:
    posts = _observation_posts(query, OpRole.CONTACT_LINE)
    by_zone = {
        f"{row['zone__name']} ({row['battalion']})": row["n"]
        for row in posts.values("zone__name", "battalion")
        .annotate(n=Count("id"))
        .order_by("zone__code")
    }
    return posts.count(), list(posts), by_zone


@figure(
    "observation_posts_corridor",
    label=_("Extra posts for safe traffic in the corridor"),
    unit="posts",
    description="Observation posts added along the corridor road for safe traffic.",
)
def _ops_corridor(query: FigureQuery) -> Any:
    posts = _observation_posts(query, OpRole.CORRIDOR_TRAFFIC)
    return posts.count(), list(posts)


@figure(
    "command_post",
    label=_("Command post"),
    unit="place",
    description="Where the mission's command post stands (settlement of the command post).",
)
def _command_post(query: FigureQuery) -> Any:
    posts = list(facilities_visible_to(query.user, kind=FacilityKind.COMMAND_POST))
    names = sorted({p.settlement.display_name if p.settlement else p.name for p in posts})
    return (", ".join(names) or None), posts
