"""Reads of the core registries, always through party visibility (mechanism 3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Q, QuerySet

from truce.core.errors import NotFound
from truce.core.models import (
    AdminArea,
    Facility,
    Organisation,
    Party,
    Record,
    Settlement,
    Zone,
)
from truce.core.sharing import visible

if TYPE_CHECKING:
    from truce.core.models import User

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class BBoxFilter:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def in_bbox(qs: QuerySet[R], bbox: BBoxFilter | None) -> QuerySet[R]:
    """Rows whose bounding box intersects the requested one."""
    if bbox is None:
        return qs
    return qs.filter(
        max_lon__gte=bbox.min_lon,
        min_lon__lte=bbox.max_lon,
        max_lat__gte=bbox.min_lat,
        min_lat__lte=bbox.max_lat,
    )


def get_visible(qs: QuerySet[R], user: User | None, public_id: uuid.UUID | str) -> R:
    """One record by public id, or NotFound if it does not exist *or* is hidden."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("no such record", field="id") from None
    row = visible(qs, user).filter(public_id=key).first()
    if row is None:
        raise NotFound("no such record", field="id")
    return row


def visible_by_key(model: type[R], user: User | None, **key: str) -> QuerySet[R]:
    """The referenced record, only if the user may see it.

    Filters that name another record (a zone, an admin area, a party) go
    through this, so filtering by a hidden zone's code matches nothing rather
    than telling a party which of its visible facilities lie in that zone.
    """
    return visible(model._default_manager.filter(**key), user)


def _name_q(q: str) -> Q:
    return (
        Q(display_name__icontains=q)
        | Q(name_en__icontains=q)
        | Q(name_ru__icontains=q)
        | Q(name_hy__icontains=q)
        | Q(name_az__icontains=q)
        | Q(pcode__iexact=q)
    )


def parties_visible_to(user: User | None) -> QuerySet[Party]:
    return visible(Party.objects.all(), user)


def organisations_visible_to(
    user: User | None, *, party: str | None = None, q: str | None = None
) -> QuerySet[Organisation]:
    qs = visible(Organisation.objects.select_related("party"), user)
    if party:
        qs = qs.filter(party__in=visible_by_key(Party, user, code=party))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(acronym__icontains=q) | Q(code__iexact=q))
    return qs


def admin_areas_visible_to(
    user: User | None,
    *,
    level: int | None = None,
    parent: str | None = None,
    q: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[AdminArea]:
    qs = visible(AdminArea.objects.select_related("parent"), user)
    if level is not None:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent__in=visible_by_key(AdminArea, user, pcode=parent))
    if q:
        qs = qs.filter(_name_q(q))
    return in_bbox(qs, bbox)


def settlements_visible_to(
    user: User | None,
    *,
    admin_area: str | None = None,
    q: str | None = None,
    kind: str | None = None,
    bbox: BBoxFilter | None = None,
    approximate: bool | None = None,
) -> QuerySet[Settlement]:
    qs = visible(Settlement.objects.select_related("admin_area"), user)
    if admin_area:
        areas = visible_by_key(AdminArea, user, pcode=admin_area)
        qs = qs.filter(Q(admin_area__in=areas) | Q(admin_area__parent__in=areas))
    if q:
        qs = qs.filter(_name_q(q))
    if kind:
        qs = qs.filter(kind=kind)
    if approximate is not None:
        qs = qs.filter(location_approximate=approximate)
    return in_bbox(qs, bbox)


def zones_visible_to(
    user: User | None,
    *,
    kind: str | None = None,
    q: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Zone]:
    qs = visible(Zone.objects.all(), user)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return in_bbox(qs, bbox)


def facilities_visible_to(
    user: User | None,
    *,
    kind: str | None = None,
    zone: str | None = None,
    op_role: str | None = None,
    battalion: str | None = None,
    q: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Facility]:
    qs = visible(Facility.objects.select_related("zone", "settlement", "operator"), user)
    if kind:
        qs = qs.filter(kind=kind)
    if zone:
        qs = qs.filter(zone__in=visible_by_key(Zone, user, code=zone))
    if op_role:
        qs = qs.filter(op_role=op_role)
    if battalion:
        qs = qs.filter(battalion__icontains=battalion)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return in_bbox(qs, bbox)


def registry_counts(user: User | None) -> dict[str, int]:
    """How many of each registry the user can see (never counts hidden rows)."""
    return {
        "parties": parties_visible_to(user).count(),
        "organisations": organisations_visible_to(user).count(),
        "admin_areas": admin_areas_visible_to(user).count(),
        "settlements": settlements_visible_to(user).count(),
        "zones": zones_visible_to(user).count(),
        "facilities": facilities_visible_to(user).count(),
    }


def visible_reference(record: Record | None, user: User | None) -> Record | None:
    """A related record only if the user may see it too (else None, as if unset)."""
    from truce.core.sharing import can_see

    if record is None or not can_see(record, user):
        return None
    return record
