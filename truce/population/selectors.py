"""Reads of displacement and returns records, always through party visibility.

Every household read goes through households_visible_to, which starts from
truce.core.sharing.visible and redacts personal fields for the reader
(truce.population.redaction), so no screen, export, endpoint or map layer
can show what the reader's role may not read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum

from truce.core.models import AdminArea, Facility, Settlement
from truce.core.selectors import get_visible, visible_by_key
from truce.core.sharing import visible
from truce.ledger.selectors import HistoryItem, record_history
from truce.population.models import (
    DisplacementBaseline,
    FlowCount,
    Household,
    ReturnMovement,
)
from truce.population.redaction import hidden_fields
from truce.population.services.movements import is_monitoring_point

if TYPE_CHECKING:
    from truce.core.models import User


def households_visible_to(
    user: User | None,
    *,
    origin: str | None = None,
    current: str | None = None,
    intention: str | None = None,
    intended: str | None = None,
    vulnerability: str | None = None,
    vulnerable: bool | None = None,
    expected_from: dt.date | None = None,
    expected_until: dt.date | None = None,
    **filters: Any,
) -> QuerySet[Household]:
    """Households the reader may see, personal fields redacted for the reader's roles.

    origin / current / intended are settlement P-codes; vulnerability a
    Vulnerability code; other keyword filters pass to QuerySet.filter.
    """
    qs = visible(Household.objects.all(), user).select_related(
        "origin_settlement", "current_settlement", "intended_settlement"
    )
    if origin:
        qs = qs.filter(origin_settlement__in=visible_by_key(Settlement, user, pcode=origin))
    if current:
        qs = qs.filter(current_settlement__in=visible_by_key(Settlement, user, pcode=current))
    if intended:
        qs = qs.filter(intended_settlement__in=visible_by_key(Settlement, user, pcode=intended))
    if intention:
        qs = qs.filter(intention=intention)
    if vulnerability:
        # JSON containment is not on SQLite; the codes are validated slugs, so
        # matching the quoted code in the stored text is exact.
        qs = qs.filter(vulnerabilities__icontains=f'"{vulnerability}"')
    if vulnerable is True:
        qs = qs.exclude(vulnerabilities=[])
    elif vulnerable is False:
        qs = qs.filter(vulnerabilities=[])
    if expected_from:
        qs = qs.filter(expected_on__gte=expected_from)
    if expected_until:
        qs = qs.filter(expected_on__lte=expected_until)
    if filters:
        qs = qs.filter(**filters)
    return qs.redacted_for(user)  # type: ignore[attr-defined]


def household_get(user: User | None, public_id: uuid.UUID | str) -> Household:
    """One household, redacted for the reader; NotFound if hidden."""
    return get_visible(households_visible_to(user), user, public_id)


REDACTED = "[redacted]"


def household_history(household: Household, user: User | None) -> list[HistoryItem]:
    """The household's versions the reader may see, with personal values redacted.

    The ledger holds every version in full; the same table as the lists
    decides which values a reader of the history gets.
    """
    hidden = hidden_fields(user)
    items = record_history(household, user)
    for item in items:
        for name in hidden:
            if item.data.get(name) not in (None, "", []):
                item.data[name] = REDACTED
    return items


# --- baselines --------------------------------------------------------------------------


def baselines_visible_to(
    user: User | None, *, measure: str | None = None, as_of: dt.date | None = None
) -> QuerySet[DisplacementBaseline]:
    """Displacement (or stated return) estimates the reader may see, as of a date."""
    qs = visible(DisplacementBaseline.objects.all(), user).select_related(
        "origin_settlement", "origin_area", "destination_settlement", "destination_area"
    )
    if measure:
        qs = qs.filter(measure=measure)
    if as_of is not None:
        qs = qs.filter(as_of__lte=as_of)
    return qs


# --- flow monitoring points and their counts ----------------------------------------


def monitoring_points_visible_to(user: User | None) -> list[Facility]:
    """Checkpoints and corridor traffic posts the reader may see."""
    rows = visible(Facility.objects.select_related("settlement", "zone"), user).filter(
        Q(kind="checkpoint") | Q(kind="observation_post", op_role="corridor_traffic")
    )
    return [row for row in rows.order_by("code") if is_monitoring_point(row)]


def monitoring_point_get(user: User | None, code: str) -> Facility:
    from truce.core.errors import NotFound

    for point in monitoring_points_visible_to(user):
        if point.code == code:
            return point
    raise NotFound("no such monitoring point", field="point")


def flow_counts_visible_to(
    user: User | None,
    *,
    point: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    direction: str | None = None,
    escorted: bool | None = None,
) -> QuerySet[FlowCount]:
    """Daily counts the reader may see; `point` is a facility code the reader must see."""
    qs = visible(FlowCount.objects.select_related("point"), user)
    if point:
        qs = qs.filter(point__in=visible_by_key(Facility, user, code=point))
    if since is not None:
        qs = qs.filter(day__gte=since)
    if until is not None:
        qs = qs.filter(day__lte=until)
    if direction:
        qs = qs.filter(direction=direction)
    if escorted is not None:
        qs = qs.filter(escorted=escorted)
    return qs.order_by("point__code", "day", "direction", "escorted")


@dataclass
class FlowDay:
    """One day at one point (or all points): people by direction and escort."""

    day: dt.date
    inbound_escorted: int = 0
    inbound_other: int = 0
    outbound_escorted: int = 0
    outbound_other: int = 0
    vehicles: int = 0
    rows: list[FlowCount] = field(default_factory=list)

    @property
    def inbound(self) -> int:
        return self.inbound_escorted + self.inbound_other

    @property
    def outbound(self) -> int:
        return self.outbound_escorted + self.outbound_other


def flow_days(
    user: User | None,
    *,
    point: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[FlowDay]:
    """Per day, the visible counts of one point (or summed over all), oldest first."""
    days: dict[dt.date, FlowDay] = {}
    for row in flow_counts_visible_to(user, point=point, since=since, until=until):
        entry = days.setdefault(row.day, FlowDay(day=row.day))
        column = f"{row.direction}_{'escorted' if row.escorted else 'other'}"
        setattr(entry, column, getattr(entry, column) + row.people)
        entry.vehicles += row.vehicles or 0
        entry.rows.append(row)
    return [days[d] for d in sorted(days)]


def flow_totals_by_point(user: User | None) -> dict[int, dict[str, int]]:
    """Per visible point id: people inbound and outbound over all visible days."""
    totals: dict[int, dict[str, int]] = defaultdict(lambda: {"inbound": 0, "outbound": 0})
    for row in (
        flow_counts_visible_to(user).values("point_id", "direction").annotate(n=Sum("people"))
    ):
        totals[row["point_id"]][row["direction"]] = row["n"] or 0
    return dict(totals)


# --- escorted returns --------------------------------------------------------------------


def returns_visible_to(
    user: User | None,
    *,
    to: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    checkpoint: str | None = None,
    to_area: str | None = None,
) -> QuerySet[ReturnMovement]:
    """Escorted return movements the reader may see.

    `to` is a settlement P-code; `to_area` an admin area P-code (its
    settlements and those of its sub-areas).
    """
    qs = visible(ReturnMovement.objects.all(), user).select_related(
        "from_settlement", "to_settlement", "escort_organisation", "checkpoint"
    )
    if to:
        qs = qs.filter(to_settlement__in=visible_by_key(Settlement, user, pcode=to))
    if to_area:
        areas = visible_by_key(AdminArea, user, pcode=to_area)
        qs = qs.filter(
            Q(to_settlement__admin_area__in=areas) | Q(to_settlement__admin_area__parent__in=areas)
        )
    if checkpoint:
        qs = qs.filter(checkpoint__in=visible_by_key(Facility, user, code=checkpoint))
    if since is not None:
        qs = qs.filter(date__gte=since)
    if until is not None:
        qs = qs.filter(date__lte=until)
    return qs.order_by("date", "reference")


def return_get(user: User | None, public_id: uuid.UUID | str) -> ReturnMovement:
    return get_visible(returns_visible_to(user), user, public_id)


@dataclass
class DestinationTotal:
    settlement: Settlement
    people: int
    movements: int


def returns_by_destination(
    user: User | None, *, since: dt.date | None = None, until: dt.date | None = None
) -> list[DestinationTotal]:
    """People returned per destination settlement, largest first (visible movements only)."""
    rows = (
        returns_visible_to(user, since=since, until=until)
        .order_by()
        .values("to_settlement_id")
        .annotate(people=Sum("people"), movements=Count("id"))
    )
    by_id = {row["to_settlement_id"]: row for row in rows}
    settlements = Settlement.objects.in_bulk(list(by_id))
    totals = [
        DestinationTotal(settlements[pk], row["people"] or 0, row["movements"])
        for pk, row in by_id.items()
    ]
    return sorted(totals, key=lambda t: (-t.people, t.settlement.display_name))


def returns_daily(
    user: User | None,
    *,
    to: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[tuple[dt.date, int]]:
    """People returned per day (visible movements only), oldest first."""
    rows = (
        returns_visible_to(user, to=to, since=since, until=until)
        .order_by()
        .values("date")
        .annotate(people=Sum("people"))
        .order_by("date")
    )
    return [(row["date"], row["people"] or 0) for row in rows]


def household_counts(user: User | None) -> dict[str, int]:
    """Households and people by intention (visible households only; no personal data)."""
    result: dict[str, int] = {"households": 0, "people": 0}
    for row in (
        visible(Household.objects.all(), user)
        .order_by()
        .values("intention")
        .annotate(n=Count("id"), people=Sum("size"))
    ):
        result["households"] += row["n"]
        result["people"] += row["people"] or 0
        result[f"households_{row['intention']}"] = row["n"]
        result[f"people_{row['intention']}"] = row["people"] or 0
    return result


@dataclass(frozen=True)
class ExpectedArrivals:
    """Households (and people) expecting to arrive at one settlement on one day."""

    day: dt.date | None
    settlement: Settlement
    households: int
    people: int
    vulnerable_households: int


def expected_arrivals(
    user: User | None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    settlement: str | None = None,
) -> list[ExpectedArrivals]:
    """From the intentions survey: who intends to arrive where, and when (counts only).

    Households intending to return or relocate, grouped by intended settlement
    and expected date (None when the survey gave no date), oldest first.
    Reads no personal field, so it is the same for every role that sees the
    households.
    """
    rows = households_visible_to(
        user, expected_from=since, expected_until=until, intended=settlement
    ).filter(intention__in=["return", "relocate"], intended_settlement__isnull=False)
    grouped = (
        rows.order_by()
        .values("intended_settlement_id", "expected_on")
        .annotate(
            households=Count("id"),
            people=Sum("size"),
            vulnerable=Count("id", filter=~Q(vulnerabilities=[])),
        )
    )
    by_key = list(grouped)
    places = Settlement.objects.in_bulk([r["intended_settlement_id"] for r in by_key])
    result = [
        ExpectedArrivals(
            day=r["expected_on"],
            settlement=places[r["intended_settlement_id"]],
            households=r["households"],
            people=r["people"] or 0,
            vulnerable_households=r["vulnerable"],
        )
        for r in by_key
    ]
    return sorted(result, key=lambda a: (a.day or dt.date.max, a.settlement.pcode))
