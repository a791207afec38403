"""The damage figures (mechanism 4): what the dashboard, reports and API quote.

Each counts only the structures its reader may see, as assessed on or before
the date asked for (all of them without one), in the area asked for, and lists
the structures behind it, so every number traces to its records.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.core.selectors import visible_reference
from truce.core.sharing import can_see
from truce.damage.models import Grade, Structure, Use
from truce.damage.selectors import structures_visible_to

_USE_LABELS = dict(Use.choices)


def destroyed(query: FigureQuery) -> Any:
    """The destroyed structures the figure's reader may see, as of its date, in its area."""
    return structures_visible_to(
        query.user, grade=Grade.DESTROYED.value, area=query.area, assessed_until=query.as_of
    )


@figure(
    "structures_destroyed",
    label=_("Structures totally destroyed"),
    unit="structures",
    description=(
        "Assessed structures whose latest assessment grades them destroyed, by use; "
        "the settlements they stand in are the figure settlements_with_destroyed_structures."
    ),
)
def _structures_destroyed(query: FigureQuery) -> Any:
    rows: list[Structure] = list(destroyed(query))
    by_use = Counter(str(_USE_LABELS[s.use]) for s in rows)
    return len(rows), rows, dict(sorted(by_use.items()))


@figure(
    "settlements_with_destroyed_structures",
    label=_("Settlements with destroyed structures"),
    unit="settlements",
    description="Settlements holding at least one structure graded destroyed, by area.",
)
def _settlements_destroyed(query: FigureQuery) -> Any:
    rows: list[Structure] = list(destroyed(query).select_related("settlement__admin_area"))
    settlements = {s.settlement_id: s.settlement for s in rows}
    # An area the reader may not see is not named (nor is the settlement's, if hidden).
    by_area = Counter(
        str(getattr(area, "display_name", None) or _("No area"))
        for area in (
            visible_reference(s.admin_area, query.user) if can_see(s, query.user) else None
            for s in settlements.values()
        )
    )
    return len(settlements), rows, dict(sorted(by_area.items()))


def _need_total(query: FigureQuery, column: str) -> Any:
    qs = destroyed(query)
    value = qs.aggregate(total=Sum(column))["total"] or 0.0
    return round(float(value), 2), list(qs.filter(**{f"{column}__gt": 0}))


@figure(
    "destroyed_glazing_m2",
    label=_("Glazing needed for destroyed structures"),
    unit="m2",
    description="Glazing (m2) the assessments of the destroyed structures call for.",
)
def _glazing(query: FigureQuery) -> Any:
    return _need_total(query, "need_glazing_m2")


@figure(
    "destroyed_roofing_m2",
    label=_("Roofing needed for destroyed structures"),
    unit="m2",
    description="Roofing (m2) the assessments of the destroyed structures call for.",
)
def _roofing(query: FigureQuery) -> Any:
    return _need_total(query, "need_roofing_m2")
