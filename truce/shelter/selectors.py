"""Reads of the shelter app, every one through party visibility.

Lists, details, the map layer, exports and the API all come here, so a shelter,
a count, an estimate or a placement hidden from the reader's party is absent
everywhere (a 404 on its page). Placements are seen by exactly those who see
their household; the household's personal fields are read only through the
population selector, which redacts them for the reader's roles.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from truce.core.models import AdminArea, Settlement
from truce.core.selectors import BBoxFilter, get_visible, in_bbox, visible_by_key
from truce.core.sharing import visible
from truce.population.models import Household
from truce.population.selectors import households_visible_to
from truce.shelter.models import (
    AllocationRun,
    ArrivalEstimate,
    OccupancyReport,
    Placement,
    RunStatus,
    Shelter,
)
from truce.shelter.occupancy import ShelterPlaces, places_of

if TYPE_CHECKING:
    from truce.core.models import User


def shelters_visible_to(
    user: User | None,
    *,
    settlement: str | None = None,
    area: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Shelter]:
    """Shelters the reader may see; settlement and area are P-codes."""
    qs = visible(
        Shelter.objects.select_related("settlement", "settlement__admin_area", "operator"), user
    )
    if settlement:
        qs = qs.filter(settlement__in=visible_by_key(Settlement, user, pcode=settlement))
    if area:
        areas = visible_by_key(AdminArea, user, pcode=area)
        qs = qs.filter(
            Q(settlement__admin_area__in=areas) | Q(settlement__admin_area__parent__in=areas)
        )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return in_bbox(qs, bbox)


def shelter_get(user: User | None, public_id: str) -> Shelter:
    return get_visible(shelters_visible_to(user), user, public_id)


def shelter_places(
    user: User | None, as_of: dt.date, shelters: QuerySet[Shelter] | None = None
) -> list[ShelterPlaces]:
    """Capacity, latest count, allocated and free places of each visible shelter."""
    rows = shelters if shelters is not None else shelters_visible_to(user)
    return places_of(rows, as_of, user=user, scoped=True)


def occupancy_visible_to(
    user: User | None, *, shelter: Shelter | None = None, until: dt.date | None = None
) -> QuerySet[OccupancyReport]:
    qs = visible(OccupancyReport.objects.select_related("shelter"), user)
    qs = qs.filter(shelter__in=shelters_visible_to(user))
    if shelter is not None:
        qs = qs.filter(shelter=shelter)
    if until is not None:
        qs = qs.filter(counted_on__lte=until)
    return qs.order_by("-counted_on", "shelter__code")


def estimates_visible_to(
    user: User | None, *, as_of: dt.date | None = None, area: str | None = None
) -> QuerySet[ArrivalEstimate]:
    """Stated arrival estimates, newest first; as_of keeps those stated by that day."""
    qs = visible(ArrivalEstimate.objects.select_related("area", "settlement"), user)
    if as_of is not None:
        qs = qs.filter(stated_on__lte=as_of)
    if area:
        qs = qs.filter(area__in=visible_by_key(AdminArea, user, pcode=area))
    return qs.order_by("-stated_on", "code")


def estimate_get(user: User | None, public_id: str) -> ArrivalEstimate:
    return get_visible(estimates_visible_to(user), user, public_id)


def runs_visible_to(user: User | None) -> QuerySet[AllocationRun]:
    return visible(AllocationRun.objects.select_related("supersedes"), user).order_by(
        "-created_at", "-id"
    )


def run_get(user: User | None, public_id: str) -> AllocationRun:
    return get_visible(runs_visible_to(user), user, public_id)


def current_run(user: User | None) -> AllocationRun | None:
    return runs_visible_to(user).filter(status=RunStatus.CURRENT).first()


def placements_visible_to(
    user: User | None,
    *,
    run: AllocationRun | None = None,
    shelter: Shelter | None = None,
    placed: bool | None = None,
) -> QuerySet[Placement]:
    """Placements whose household (and shelter, if any) the reader may see."""
    qs = visible(
        Placement.objects.select_related("run", "shelter", "household__origin_settlement"), user
    )
    qs = qs.filter(household__in=visible(Household.objects.all(), user))
    qs = qs.filter(Q(shelter__isnull=True) | Q(shelter__in=shelters_visible_to(user)))
    if run is not None:
        qs = qs.filter(run=run)
    if shelter is not None:
        qs = qs.filter(shelter=shelter)
    if placed is True:
        qs = qs.exclude(shelter__isnull=True)
    elif placed is False:
        qs = qs.filter(shelter__isnull=True)
    return qs.order_by("-vulnerable", "shelter__code", "household__code")


def placement_get(user: User | None, public_id: str) -> Placement:
    return get_visible(placements_visible_to(user), user, public_id)


def households_of(user: User | None, placements: list[Placement]) -> dict[int, Household]:
    """The placements' households as the reader may read them (personal fields redacted)."""
    ids = {p.household_id for p in placements}
    return {h.pk: h for h in households_visible_to(user, pk__in=ids)}


def latest_data_day(user: User | None, today: dt.date) -> dt.date:
    """The last day (up to today) with a count or a stated estimate: the screens' default."""
    days = [
        occupancy_visible_to(user, until=today).values_list("counted_on", flat=True).first(),
        estimates_visible_to(user, as_of=today).values_list("stated_on", flat=True).first(),
    ]
    known = [d for d in days if d is not None]
    return max(known) if known else today
