"""Reads of mine action records, filtered by the reader's party (ARCHITECTURE.md, 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from truce.core.models import AdminArea, Settlement, User
from truce.core.selectors import BBoxFilter, visible_by_key
from truce.core.sharing import visible
from truce.mineaction.models import (
    Accident,
    Activity,
    BuildingCheck,
    DeviceCount,
    HazardArea,
    HazardStatus,
    LandRelease,
    RoadCheck,
)


def _area_q(
    user: User | None, *, admin_area: str | None, settlement: str | None, prefix: str = ""
) -> Q:
    """Rows in an admin area (or one of its children) or a settlement the user may see.

    A P-code the user may not see matches nothing, so a filter reveals no hidden place.
    """
    q = Q()
    if admin_area:
        areas = visible_by_key(AdminArea, user, pcode=admin_area)
        q &= Q(**{f"{prefix}admin_area__in": areas}) | Q(
            **{f"{prefix}admin_area__parent__in": areas}
        )
    if settlement:
        q &= Q(**{f"{prefix}settlement__in": visible_by_key(Settlement, user, pcode=settlement)})
    return q


def _bbox_q(bbox: BBoxFilter | None, prefix: str = "") -> Q:
    if bbox is None:
        return Q()
    return Q(
        **{
            f"{prefix}max_lon__gte": bbox.min_lon,
            f"{prefix}min_lon__lte": bbox.max_lon,
            f"{prefix}max_lat__gte": bbox.min_lat,
            f"{prefix}min_lat__lte": bbox.max_lat,
        }
    )


def hazard_areas_visible_to(
    user: User | None,
    *,
    status: str | None = None,
    bbox: BBoxFilter | None = None,
    admin_area: str | None = None,
    settlement: str | None = None,
) -> QuerySet[HazardArea]:
    """Hazard areas the user may see, optionally by status, box or place."""
    qs = visible(
        HazardArea.objects.filter(is_deleted=False).select_related(
            "settlement", "admin_area", "released_by"
        ),
        user,
    )
    if status:
        qs = qs.filter(status=status)
    return qs.filter(_bbox_q(bbox), _area_q(user, admin_area=admin_area, settlement=settlement))


def activities_visible_to(
    user: User | None,
    *,
    hazard: HazardArea | None = None,
    kind: str | None = None,
    status: str | None = None,
    admin_area: str | None = None,
    settlement: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Activity]:
    """Activities the user may see; one on a hidden hazard area is hidden with it."""
    qs = visible(
        Activity.objects.select_related("organisation", "hazard", "settlement", "admin_area"),
        user,
    ).filter(Q(hazard__isnull=True) | Q(hazard__in=hazard_areas_visible_to(user)))
    if hazard is not None:
        qs = qs.filter(hazard=hazard)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    qs = qs.filter(_area_q(user, admin_area=admin_area, settlement=settlement))
    if bbox is not None:
        qs = qs.filter(_bbox_q(bbox, "hazard__") | _bbox_q(bbox, "settlement__"))
    return qs


def _in_period(qs: QuerySet[Any], name: str, start: dt.date | None, end: dt.date | None) -> Any:
    if start is not None:
        qs = qs.filter(**{f"{name}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{name}__lte": end})
    return qs


def results_visible_to(
    user: User | None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    activity: Activity | None = None,
    hazard: HazardArea | None = None,
    admin_area: str | None = None,
    settlement: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[LandRelease]:
    """Land release results the user may see, of activities the user may see."""
    tasks = activities_visible_to(
        user, hazard=hazard, admin_area=admin_area, settlement=settlement, bbox=bbox
    )
    qs = visible(LandRelease.objects.select_related("activity__hazard"), user).filter(
        activity__in=tasks
    )
    if activity is not None:
        qs = qs.filter(activity=activity)
    return _in_period(qs, "reported_on", start, end)


def devices_visible_to(
    user: User | None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    activity: Activity | None = None,
    category: str | None = None,
    admin_area: str | None = None,
    settlement: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[DeviceCount]:
    """Device counts the user may see, of activities the user may see."""
    tasks = activities_visible_to(user, admin_area=admin_area, settlement=settlement, bbox=bbox)
    qs = visible(DeviceCount.objects.select_related("activity"), user).filter(activity__in=tasks)
    if activity is not None:
        qs = qs.filter(activity=activity)
    if category:
        qs = qs.filter(category=category)
    return _in_period(qs, "reported_on", start, end)


def road_checks_visible_to(
    user: User | None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    result: str | None = None,
    admin_area: str | None = None,
    settlement: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[RoadCheck]:
    """Road checks the user may see, by check date, result, place or box."""
    qs = visible(RoadCheck.objects.select_related("organisation", "settlement", "activity"), user)
    if result:
        qs = qs.filter(result=result)
    qs = qs.filter(_bbox_q(bbox), _area_q(user, admin_area=admin_area, settlement=settlement))
    return _in_period(qs, "checked_on", start, end)


def building_checks_visible_to(
    user: User | None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    admin_area: str | None = None,
    settlement: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[BuildingCheck]:
    """Building checks the user may see; the box matches the check's point or its settlement."""
    qs = visible(
        BuildingCheck.objects.select_related("organisation", "settlement", "activity"), user
    ).filter(settlement__in=visible(Settlement.objects.all(), user))
    if admin_area:
        qs = qs.filter(_area_q(user, admin_area=admin_area, settlement=None, prefix="settlement__"))
    if settlement:
        qs = qs.filter(_area_q(user, admin_area=None, settlement=settlement))
    if bbox is not None:
        qs = qs.filter(_bbox_q(bbox) | (Q(min_lon__isnull=True) & _bbox_q(bbox, "settlement__")))
    return _in_period(qs, "checked_on", start, end)


def accidents_visible_to(
    user: User | None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    admin_area: str | None = None,
    settlement: str | None = None,
) -> QuerySet[Accident]:
    """Accidents the user may see (mission-only unless shared on purpose)."""
    qs = visible(Accident.objects.select_related("settlement", "admin_area"), user)
    qs = qs.filter(_area_q(user, admin_area=admin_area, settlement=settlement))
    return _in_period(qs, "occurred_on", start, end)


@dataclass(frozen=True)
class HazardShape:
    """What routing needs of an open hazard area: who it is and where."""

    public_id: str
    reference: str
    name: str
    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]


def open_hazards_for_routing() -> list[HazardShape]:
    """Every open hazard area, whoever may read it.

    Routes avoid all open hazards the mission knows of, not only those the
    asking user may read: safety comes first. What a route reports of a
    hazard it avoided is filtered by the reader (truce.routing decides that).
    """
    rows = HazardArea.objects.filter(is_deleted=False, status=HazardStatus.OPEN).values_list(
        "public_id", "reference", "name", "geometry", "min_lon", "min_lat", "max_lon", "max_lat"
    )
    # The write path requires a polygon, so geometry and its box are never null here.
    return [
        HazardShape(str(pid), ref, name, geom, (x0, y0, x1, y1))  # type: ignore[arg-type]
        for pid, ref, name, geom, x0, y0, x1, y1 in rows
    ]


def hazards_state_key() -> tuple[int, int]:
    """Changes whenever any hazard area is written (one aggregate over the table).

    Every write (create, update, tombstone) adds one to some row's version, so
    (rows, sum of versions) strictly changes. Routing caches the edges blocked
    by open hazards under this key, so a hazard update applies to the very
    next route query.
    """
    agg = HazardArea.objects.aggregate(n=Count("id"), v=Sum("version"))
    return (int(agg["n"] or 0), int(agg["v"] or 0))
