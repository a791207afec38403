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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum

from truce.core.errors import InvalidInput, NotFound
from truce.core.models import AdminArea, Settlement
from truce.core.selectors import BBoxFilter, get_visible, in_bbox, visible_by_key
from truce.core.sharing import can_see, visibility_q, visible, visible_counts
from truce.damage.models import (
    NEED_COLUMNS,
    NEED_KEYS,
    CountDimension,
    DamageCount,
    Grade,
    Structure,
    StructurePhoto,
    Use,
)

if TYPE_CHECKING:
    from truce.core.models import User

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


# --- rollups ----------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts by grade and by use, and needs summed by grade, of some structures."""

    by_grade: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    by_use: dict[str, int] = field(default_factory=lambda: dict.fromkeys(USES, 0))
    needs_by_grade: dict[str, dict[str, float]] = field(
        default_factory=lambda: {g: dict.fromkeys(NEED_KEYS, 0.0) for g in GRADES}
    )

    @property
    def total(self) -> int:
        return sum(self.by_grade.values())

    @property
    def needs(self) -> dict[str, float]:
        return {k: round(sum(n[k] for n in self.needs_by_grade.values()), 2) for k in NEED_KEYS}

    def add(self, dimension: str, key: str, count: int, needs: list[float]) -> None:
        if dimension == CountDimension.GRADE.value:
            self.by_grade[key] = self.by_grade.get(key, 0) + count
            row = self.needs_by_grade.setdefault(key, dict.fromkeys(NEED_KEYS, 0.0))
            for k, value in zip(NEED_KEYS, needs, strict=True):
                row[k] = round(row[k] + float(value or 0.0), 2)
        else:
            self.by_use[key] = self.by_use.get(key, 0) + count

    def merge(self, other: Tally) -> None:
        for key, n in other.by_grade.items():
            self.add(CountDimension.GRADE.value, key, n, list(other.needs_by_grade[key].values()))
        for key, n in other.by_use.items():
            self.add(CountDimension.USE.value, key, n, [])

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_grade": dict(self.by_grade),
            "by_use": dict(self.by_use),
            "needs": self.needs,
            "needs_by_grade": {g: dict(v) for g, v in self.needs_by_grade.items()},
        }


@dataclass
class RollupRow:
    """One settlement's or area's tally; place None for what lies in places the reader
    may not see (or, for areas, settlements without an area)."""

    place: Settlement | AdminArea | None
    tally: Tally


def _dicts(rows: Any) -> list[dict[str, Any]]:
    # values() rows, typed by django-stubs as TypedDicts of the named columns only.
    return list(rows)


_SUMS = {"n": Sum("structures"), **{c: Sum(c) for c in NEED_COLUMNS}}


def _count_rows(
    user: User | None, group: str, *, settlements: QuerySet[Settlement] | None = None
) -> list[dict[str, Any]]:
    rows = visible_counts(DamageCount.objects.all(), user)
    if settlements is not None:
        rows = rows.filter(settlement__in=settlements)
    return list(rows.values(group, "dimension", "key").annotate(**_SUMS).order_by())


def _tallies(rows: list[dict[str, Any]], group: str) -> dict[Any, Tally]:
    tallies: dict[Any, Tally] = {}
    for row in rows:
        tally = tallies.setdefault(row[group], Tally())
        tally.add(row["dimension"], row["key"], int(row["n"]), [row[c] for c in NEED_COLUMNS])
    return tallies


def _settlement_scope(
    user: User | None, settlement: str | None, area: str | None
) -> QuerySet[Settlement] | None:
    if settlement:
        return visible_by_key(Settlement, user, pcode=settlement)
    if area:
        return visible(Settlement.objects.filter(_area_q(user, area)), user)
    return None


def rollup_by_settlement(
    user: User | None, *, area: str | None = None, settlement: str | None = None
) -> list[RollupRow]:
    """Per settlement, what the user may see; most destroyed first, then by name.

    Structures the user may see in settlements hidden from them are summed in
    one row without a place (their counts are theirs to know, the place not).
    """
    scope = _settlement_scope(user, settlement, area)
    tallies = _tallies(_count_rows(user, "settlement_id", settlements=scope), "settlement_id")
    shown = {
        s.pk: s
        for s in visible(Settlement.objects.select_related("admin_area"), user).filter(
            pk__in=list(tallies)
        )
    }
    result: list[RollupRow] = []
    hidden = Tally()
    for pk, tally in tallies.items():
        if pk in shown:
            result.append(RollupRow(shown[pk], tally))
        else:
            hidden.merge(tally)
    result.sort(key=lambda r: (-r.tally.by_grade[Grade.DESTROYED], -r.tally.total, str(r.place)))
    if hidden.total:
        result.append(RollupRow(None, hidden))
    return result


def rollup_by_area(user: User | None, *, parent: str | None = None) -> list[RollupRow]:
    """Per admin area (of the structures' settlements), what the user may see.

    A structure counts in its settlement's area if the user may see the area
    and the settlement; anything else is summed in the row without a place.
    """
    scope = visible(Settlement.objects.filter(_area_q(user, parent)), user) if parent else None
    rows = visible_counts(DamageCount.objects.all(), user)
    if scope is not None:
        rows = rows.filter(settlement__in=scope)
    visible_settlements = visible(Settlement.objects.all(), user)
    visible_areas = visible(AdminArea.objects.all(), user)
    grouped: list[dict[str, Any]] = _dicts(
        rows.annotate(
            area_id=_case_area(visible_settlements, visible_areas),
        )
        .values("area_id", "dimension", "key")
        .annotate(**_SUMS)
        .order_by()
    )
    tallies = _tallies(grouped, "area_id")
    areas = {a.pk: a for a in AdminArea.objects.filter(pk__in=[k for k in tallies if k])}
    result = [RollupRow(areas[pk], t) for pk, t in tallies.items() if pk]
    result.sort(key=lambda r: (-r.tally.by_grade[Grade.DESTROYED], -r.tally.total, str(r.place)))
    if None in tallies or 0 in tallies:
        result.append(RollupRow(None, tallies.get(None) or tallies[0]))
    return result


def _case_area(settlements: QuerySet[Settlement], areas: QuerySet[AdminArea]) -> Any:
    from django.db.models import Case, F, IntegerField, Value, When

    return Case(
        When(
            Q(settlement__in=settlements, settlement__admin_area__in=areas),
            then=F("settlement__admin_area_id"),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def rollup_totals(
    user: User | None, *, area: str | None = None, settlement: str | None = None
) -> Tally:
    """One tally over everything the user may see (in a settlement or area if given)."""
    scope = _settlement_scope(user, settlement, area)
    rows = visible_counts(DamageCount.objects.all(), user)
    if scope is not None:
        rows = rows.filter(settlement__in=scope)
    grouped: list[dict[str, Any]] = _dicts(
        rows.values("dimension", "key").annotate(**_SUMS).order_by()
    )
    tally = Tally()
    for row in grouped:
        tally.add(row["dimension"], row["key"], int(row["n"]), [row[c] for c in NEED_COLUMNS])
    return tally


def settlements_with_grade(user: User | None, grade: str) -> int:
    """How many settlements the user may see hold a structure of this grade they may see."""
    rows = visible_counts(DamageCount.objects.filter(dimension="grade", key=grade), user)
    return rows.filter(settlement__in=visible(Settlement.objects.all(), user)).aggregate(
        n=Count("settlement_id", distinct=True)
    )["n"]


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
