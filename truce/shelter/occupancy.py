"""Free places: capacity - the latest occupancy count - places the current run handed out.

Shared by the allocation run (which sees everything) and the selectors (which pass the
reader, so an aggregate never counts a placement or a count the reader may not see).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.db.models import QuerySet, Sum

from truce.core.sharing import visible
from truce.shelter.models import OccupancyReport, Placement, RunStatus, Shelter, ShelterStatus

if TYPE_CHECKING:
    from truce.core.models import User


M = TypeVar("M", OccupancyReport, Placement)


def _scoped(qs: QuerySet[M], user: User | None, scoped: bool) -> QuerySet[M]:
    return visible(qs, user) if scoped else qs.filter(is_deleted=False)


def latest_counts(
    shelter_ids: Iterable[int], as_of: dt.date, *, user: User | None = None, scoped: bool = False
) -> dict[int, OccupancyReport]:
    """Each shelter's most recent count on or before as_of."""
    rows = _scoped(
        OccupancyReport.objects.filter(shelter_id__in=list(shelter_ids), counted_on__lte=as_of),
        user,
        scoped,
    ).order_by("shelter_id", "-counted_on")
    latest: dict[int, OccupancyReport] = {}
    for row in rows:
        latest.setdefault(row.shelter_id, row)
    return latest


def allocated_places(
    shelter_ids: Iterable[int], *, user: User | None = None, scoped: bool = False
) -> dict[int, int]:
    """People the current allocation run placed in each shelter."""
    rows = (
        _scoped(
            Placement.objects.filter(
                shelter_id__in=list(shelter_ids),
                status=RunStatus.CURRENT,
                run__status=RunStatus.CURRENT,
            ),
            user,
            scoped,
        )
        .values("shelter_id")
        .annotate(n=Sum("people"))
    )
    return {row["shelter_id"]: int(row["n"] or 0) for row in rows}


@dataclass
class ShelterPlaces:
    shelter: Shelter
    count: OccupancyReport | None
    allocated: int

    @property
    def occupied(self) -> int:
        return self.count.people if self.count else 0

    @property
    def places(self) -> int:
        """Existing room: the capacity of a shelter that is open or full, else 0."""
        room = self.shelter.status in (ShelterStatus.OPEN, ShelterStatus.FULL)
        return self.shelter.capacity if room else 0

    @property
    def free(self) -> int:
        if self.shelter.status != ShelterStatus.OPEN:
            return 0
        return max(0, self.shelter.capacity - self.occupied - self.allocated)

    @property
    def overcrowded(self) -> bool:
        return self.occupied > self.shelter.capacity


def places_of(
    shelters: Iterable[Shelter],
    as_of: dt.date,
    *,
    include_allocated: bool = True,
    user: User | None = None,
    scoped: bool = False,
) -> list[ShelterPlaces]:
    shelters = list(shelters)
    ids = [s.pk for s in shelters]
    counts = latest_counts(ids, as_of, user=user, scoped=scoped)
    allocated = allocated_places(ids, user=user, scoped=scoped) if include_allocated else {}
    return [ShelterPlaces(s, counts.get(s.pk), allocated.get(s.pk, 0)) for s in shelters]


def free_places_by_shelter(
    shelters: Iterable[Shelter], as_of: dt.date, *, include_allocated: bool = True
) -> dict[int, int]:
    """Free places of each shelter as of a day (everything counted: for the run)."""
    return {
        row.shelter.pk: row.free
        for row in places_of(shelters, as_of, include_allocated=include_allocated)
    }
