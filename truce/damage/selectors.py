"""Reads of damage assessment, always through party visibility (mechanism 3).

Lists, details, photos and map layers start from truce.core.sharing.visible;
the rollups start from truce.core.sharing.visible_counts over the DamageCount
rows (keyed by the counted structures' share flags), so a page of counts
never adds a structure its reader may not see, and costs a read of a few
rows per settlement whatever the number of structures.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum

from truce.core.errors import InvalidInput, NotFound
from truce.core.models import AdminArea, Settlement
from truce.core.selectors import BBoxFilter, get_visible, in_bbox, visible_by_key
from truce.core.sharing import can_see, visibility_q, visible
from truce.damage.models import NEED_COLUMNS, Grade, Structure, StructurePhoto, Use
from truce.damage.rollup_selectors import (
    Place,
    RollupRow,
    SettlementRollups,
    Tally,
    areas_as_counted,
    rollup_by_area,
    rollup_by_settlement,
    rollup_totals,
    settlements_with_grade,
)

if TYPE_CHECKING:
    from truce.core.models import User

__all__ = [
    "Place",
    "RollupRow",
    "SettlementRollups",
    "Tally",
    "areas_as_counted",
    "rollup_by_area",
    "rollup_by_settlement",
    "rollup_by_settlement_naive",
    "rollup_totals",
    "settlements_with_grade",
]

GRADES: tuple[str, ...] = tuple(Grade.values)
USES: tuple[str, ...] = tuple(Use.values)


def _area_q(user: User | None, pcode: str, prefix: str = "") -> Q:
    # An area stands for itself and its children, as in the settlement registry.
    areas = visible_by_key(AdminArea, user, pcode=pcode)
    return Q(**{f"{prefix}admin_area__in": areas}) | Q(**{f"{prefix}admin_area__parent__in": areas})


def _choice(value: str | None, choices: tuple[str, ...], name: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in choices:
        raise InvalidInput(
            f"{value!r} is not a known {name}; use one of {', '.join(choices)}", field=name
        )
    return value


def structures_visible_to(
    user: User | None,
    *,
    settlement: str | None = None,
    area: str | None = None,
    grade: str | None = None,
    use: str | None = None,
    bbox: BBoxFilter | None = None,
    q: str | None = None,
    assessed_until: dt.date | None = None,
) -> QuerySet[Structure]:
    """Live structures the user may see, filtered; filters naming a hidden place match none."""
    qs = visible(
        Structure.objects.select_related("settlement", "assessor", "assessor_organisation"), user
    )
    if settlement:
        qs = qs.filter(settlement__in=visible_by_key(Settlement, user, pcode=settlement))
    if area:
        qs = qs.filter(settlement__in=visible(Settlement.objects.filter(_area_q(user, area)), user))
    if (grade := _choice(grade, GRADES, "grade")) is not None:
        qs = qs.filter(grade=grade)
    if (use := _choice(use, USES, "use")) is not None:
        qs = qs.filter(use=use)
    if q:
        qs = qs.filter(reference__icontains=q)
    if assessed_until is not None:
        qs = qs.filter(assessed_on__lte=assessed_until)
    return in_bbox(qs, bbox).order_by("settlement__display_name", "reference", "pk")


def structure_get(user: User | None, public_id: str) -> Structure:
    """One live structure, or NotFound if it does not exist or is hidden."""
    return get_visible(
        Structure.objects.select_related(
            "settlement", "assessor", "assessor_organisation", "created_by"
        ),
        user,
        public_id,
    )


def structure_record_get(user: User | None, public_id: str) -> Structure:
    """A structure even once deleted (for its history), if its sharing admits the user."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("no such record", field="id") from None
    found = Structure.objects.filter(visibility_q(user), public_id=key).first()
    if found is None:
        raise NotFound("no such record", field="id")
    return found


def photos_of(user: User | None, structure: Structure) -> list[StructurePhoto]:
    """The structure's photos the user may see, oldest first."""
    return list(visible(structure.photos.all(), user).order_by("created_at", "pk"))


def photo_get(user: User | None, public_id: str) -> StructurePhoto:
    """A photo the user may see, of a structure they may see; else NotFound."""
    photo = get_visible(StructurePhoto.objects.select_related("structure"), user, public_id)
    if not can_see(photo.structure, user):
        raise NotFound("no such record", field="id")
    return photo


# --- rollups (truce.damage.rollup_selectors) and the naive recomputation ----------------


def _dicts(rows: Any) -> list[dict[str, Any]]:
    # values() rows, typed by django-stubs as TypedDicts of the named columns only.
    return list(rows)


def rollup_by_settlement_naive(user: User | None) -> dict[int, Tally]:
    """The same tallies by aggregate queries over the structure table (tests, benchmark)."""
    qs = visible(Structure.objects.all(), user)
    sums = {"n": Count("id"), **{c: Sum(c) for c in NEED_COLUMNS}}
    tallies: dict[int, Tally] = {}
    by_grade: list[dict[str, Any]] = _dicts(
        qs.values("settlement_id", "grade").annotate(**sums).order_by()
    )
    for row in by_grade:
        tally = tallies.setdefault(row["settlement_id"], Tally())
        tally.add("grade", row["grade"], row["n"], [row[c] for c in NEED_COLUMNS])
    by_use: list[dict[str, Any]] = _dicts(
        qs.values("settlement_id", "use").annotate(n=Count("id")).order_by()
    )
    for row in by_use:
        tallies.setdefault(row["settlement_id"], Tally()).add("use", row["use"], row["n"], [])
    return tallies
