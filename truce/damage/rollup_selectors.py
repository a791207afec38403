"""Reads of the damage rollups: per settlement, per area, totals, by what the reader may see.

Every read sums DamageCount rows admitted by truce.core.sharing.visible_counts
(rows keyed by the share flags of the structures they count), so no number
includes a structure its reader may not see. Each answer is one hand-written
SELECT whose visibility conditions are the SQL Django compiles for
visible_counts() and visible() (truce.monitoring.rawsql), run on the Django
connection: at a million structures a page reads a few thousand rollup rows,
and building no model instance per row is what keeps it fast
(bench/BENCHMARKS.md, damage_rollups).

Places a reader may not see are never named: their counts (of structures the
reader may see) are summed into one row without a place. By area, a structure
counts in its settlement's area if the reader may see the area (the structure
itself they may see; its settlement may be hidden from them).

The per-area answers and the overall totals read DamageAreaCount (a few rows
per area); the settlement rows are read only for the settlements asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import F

from truce.core.models import AdminArea, Settlement
from truce.core.sharing import visible, visible_counts
from truce.damage.models import (
    NEED_COLUMNS,
    NEED_KEYS,
    DamageAreaCount,
    DamageCount,
    Grade,
    SettlementArea,
    Use,
)
from truce.monitoring.rawsql import NOTHING, column, table, visible_where, where_of

if TYPE_CHECKING:
    from truce.core.models import User

GRADES: tuple[str, ...] = tuple(Grade.values)
USES: tuple[str, ...] = tuple(Use.values)
_DESTROYED = Grade.DESTROYED.value


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

    def add(self, dimension: str, key: str, count: int, needs: Iterable[Any]) -> None:
        if dimension == "all":
            return
        if dimension == "grade":
            self.by_grade[key] = self.by_grade.get(key, 0) + count
            row = self.needs_by_grade.setdefault(key, dict.fromkeys(NEED_KEYS, 0.0))
            for k, value in zip(NEED_KEYS, needs, strict=False):
                row[k] = round(row[k] + float(value or 0.0), 2)
        else:
            self.by_use[key] = self.by_use.get(key, 0) + count

    def merge(self, other: Tally) -> None:
        for key, n in other.by_grade.items():
            self.add("grade", key, n, other.needs_by_grade[key].values())
        for key, n in other.by_use.items():
            self.add("use", key, n, ())

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_grade": dict(self.by_grade),
            "by_use": dict(self.by_use),
            "needs": self.needs,
            "needs_by_grade": {g: dict(v) for g, v in self.needs_by_grade.items()},
        }


@dataclass(frozen=True)
class Place:
    """The few facts of a settlement or area a rollup row shows."""

    pk: int
    pcode: str
    display_name: str

    def __str__(self) -> str:
        return self.display_name


@dataclass
class RollupRow:
    """One place's tally; place None for what lies in places the reader may not see
    (or, by area, in settlements without an area)."""

    place: Place | None
    tally: Tally


# --- the SQL ----------------------------------------------------------------------------

Counts = type[DamageCount] | type[DamageAreaCount]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _sum_terms(model: Counts) -> str:
    counts = table(model)
    terms = [f"SUM({counts}.{_q('structures')})"]
    terms += [f"SUM({counts}.{_q(c)})" for c in NEED_COLUMNS]
    return ", ".join(terms)


def _in(sql_column: str, ids: list[int]) -> tuple[str, list[Any]]:
    if not ids:
        return NOTHING, []
    return f"{sql_column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _grouped(
    user: User | None,
    model: Counts,
    key: str,
    *,
    where: tuple[str, list[Any]] = ("1 = 1", []),
    join: str = "",
    key_params: Iterable[Any] = (),
) -> list[tuple[Any, ...]]:
    """(group, dimension, key, structures, *needs) summed over the reader's rows."""
    counts = table(model)
    visible_sql, visible_params = where_of(visible_counts(model._default_manager.all(), user))
    dim, k = f"{counts}.{_q('dimension')}", f"{counts}.{_q('key')}"
    # Grouped by position, so a computed group (an area) is written, and bound, once.
    sql = (
        f"SELECT {key}, {dim}, {k}, {_sum_terms(model)} FROM {counts} {join} "  # noqa: S608
        f"WHERE ({visible_sql}) AND ({where[0]}) GROUP BY 1, 2, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key_params, *visible_params, *where[1]])
        return cursor.fetchall()


def _tallies(rows: Iterable[tuple[Any, ...]]) -> dict[Any, Tally]:
    tallies: dict[Any, Tally] = {}
    for group, dimension, key, count, *needs in rows:
        tally = tallies.get(group)
        if tally is None:
            tally = tallies[group] = Tally()
        tally.add(dimension, key, int(count), needs)
    return tallies


def _places(
    model: type[Settlement] | type[AdminArea], user: User | None, ids: Iterable[int]
) -> dict[int, Place]:
    rows: Any = visible(model._default_manager.filter(pk__in=list(ids)), user)
    return {
        pk: Place(pk, pcode, name)
        for pk, pcode, name in rows.values_list("pk", "pcode", "display_name")
    }


def _area_ids(user: User | None, pcode: str) -> list[int]:
    """The visible area with this P-code and its visible children."""
    areas = visible(AdminArea.objects.filter(pcode=pcode), user)
    children = visible(AdminArea.objects.filter(parent__in=areas), user)
    return sorted({*areas.values_list("pk", flat=True), *children.values_list("pk", flat=True)})


def _settlement_ids(user: User | None, *, settlement: str | None, area: str | None) -> list[int]:
    if settlement:
        return list(
            visible(Settlement.objects.filter(pcode=settlement), user).values_list("pk", flat=True)
        )
    areas = _area_ids(user, area or "")
    return list(
        visible(Settlement.objects.filter(admin_area__in=areas), user).values_list("pk", flat=True)
    )


def areas_as_counted() -> bool:
    """Whether every settlement is still in the area its structures were counted under."""
    moved = (
        SettlementArea.objects.filter(settlement__admin_area__isnull=False)
        .exclude(area_id=F("settlement__admin_area_id"))
        .exists()
        or SettlementArea.objects.filter(
            settlement__admin_area__isnull=True, area_id__gt=0
        ).exists()
    )
    return not moved


# --- per settlement ---------------------------------------------------------------------


class SettlementRollups:
    """Per-settlement rows in order (most destroyed, then most assessed, then name), read
    page by page: the order comes from one small query over the settlements' "all" and
    destroyed rows, each page's tallies from the rows of its settlements only. Sized and
    sliced like a list, so Django's Paginator takes it as it is."""

    def __init__(
        self, user: User | None, *, area: str | None = None, settlement: str | None = None
    ):
        self.user = user
        self.ids: list[int] | None = None
        if area or settlement:
            self.ids = _settlement_ids(user, settlement=settlement, area=area)
        self._order: list[tuple[int | None, Place | None]] | None = None
        self._hidden: list[int] = []

    def _ordered(self) -> list[tuple[int | None, Place | None]]:
        if self._order is not None:
            return self._order
        counts = table(DamageCount)
        sid = column(DamageCount, "settlement")
        key = f"{counts}.{_q('key')}"
        dim = f"{counts}.{_q('dimension')}"
        visible_sql, visible_params = where_of(visible_counts(DamageCount.objects.all(), self.user))
        only, only_params = ("1 = 1", []) if self.ids is None else _in(sid, self.ids)
        shown_sql, shown_params = visible_where(Settlement, self.user)
        sql = (
            f"SELECT c.sid, c.destroyed, c.total, {column(Settlement, 'pcode')}, "  # noqa: S608
            f"{column(Settlement, 'display_name')} FROM ("
            f"SELECT {sid} AS sid, SUM(CASE WHEN {dim} = %s THEN {counts}.{_q('structures')} "
            f"ELSE 0 END) AS destroyed, SUM(CASE WHEN {dim} = %s "
            f"THEN {counts}.{_q('structures')} ELSE 0 END) AS total FROM {counts} "
            f"WHERE ({visible_sql}) AND ({only}) AND ({dim} = %s OR ({dim} = %s AND {key} = %s)) "
            f"GROUP BY {sid}) c LEFT JOIN {table(Settlement)} "
            f"ON {column(Settlement, 'id')} = c.sid AND {shown_sql}"
        )
        params = ["grade", "all", *visible_params, *only_params, "all", "grade", _DESTROYED]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *shown_params])
            found = cursor.fetchall()
        shown = sorted(
            (-d, -t, str(name), pk, Place(pk, pcode, name))
            for pk, d, t, pcode, name in found
            if pcode
        )
        order: list[tuple[int | None, Place | None]] = [(r[3], r[4]) for r in shown]
        self._hidden = [pk for pk, _d, _t, pcode, _n in found if not pcode]
        if self._hidden:
            order.append((None, None))
        self._order = order
        return order

    def __len__(self) -> int:
        return len(self._ordered())

    def count(self) -> int:
        return len(self)

    def __getitem__(self, index: slice) -> list[RollupRow]:
        part = self._ordered()[index]
        ids = [pk for pk, _ in part if pk is not None]
        if any(pk is None for pk, _ in part):
            ids += self._hidden
        sid = column(DamageCount, "settlement")
        tallies = (
            _tallies(_grouped(self.user, DamageCount, sid, where=_in(sid, ids))) if ids else {}
        )
        result = []
        for pk, place in part:
            if pk is not None:
                result.append(RollupRow(place, tallies.get(pk, Tally())))
                continue
            other = Tally()
            for hidden in self._hidden:
                if hidden in tallies:
                    other.merge(tallies[hidden])
            result.append(RollupRow(None, other))
        return result


def rollup_by_settlement(
    user: User | None, *, area: str | None = None, settlement: str | None = None
) -> list[RollupRow]:
    """Every settlement's tally the user may see (all pages at once; see SettlementRollups)."""
    return SettlementRollups(user, area=area, settlement=settlement)[:]


# --- per area and totals ----------------------------------------------------------------


def _area_rows(user: User | None, where: tuple[str, list[Any]]) -> dict[Any, Tally]:
    """Tallies per area id (0: no area), from the area rollups or, if settlements have
    moved since they were counted, from the settlement rows grouped by current area."""
    if areas_as_counted():
        return _tallies(
            _grouped(user, DamageAreaCount, column(DamageAreaCount, "area_id"), where=where)
        )
    join = (
        f"JOIN {table(Settlement)} ON {column(Settlement, 'id')} = "
        f"{column(DamageCount, 'settlement')}"
    )
    area = f"COALESCE({column(Settlement, 'admin_area')}, 0)"
    fallback = (where[0].replace(column(DamageAreaCount, "area_id"), area), where[1])
    return _tallies(_grouped(user, DamageCount, area, where=fallback, join=join))


def rollup_by_area(user: User | None, *, parent: str | None = None) -> list[RollupRow]:
    """Per admin area, what the user may see, most destroyed first; structures in areas
    hidden from the user, or in none, are summed in one row without a place."""
    where: tuple[str, list[Any]] = ("1 = 1", [])
    if parent:
        where = _in(column(DamageAreaCount, "area_id"), _area_ids(user, parent))
    tallies = _area_rows(user, where)
    places = _places(AdminArea, user, [k for k in tallies if k])
    result = [RollupRow(places[k], t) for k, t in tallies.items() if k in places]
    result.sort(key=lambda r: (-r.tally.by_grade[_DESTROYED], -r.tally.total, str(r.place)))
    other = Tally()
    for k, t in tallies.items():
        if k not in places:
            other.merge(t)
    if other.total:
        result.append(RollupRow(None, other))
    return result


def rollup_totals(
    user: User | None, *, area: str | None = None, settlement: str | None = None
) -> Tally:
    """One tally over everything the user may see (in a settlement or area if given)."""
    if settlement:
        sid = column(DamageCount, "settlement")
        ids = _settlement_ids(user, settlement=settlement, area=None)
        return _tallies(_grouped(user, DamageCount, "0", where=_in(sid, ids))).get(0, Tally())
    total = Tally()
    if area:
        rows = _area_rows(user, _in(column(DamageAreaCount, "area_id"), _area_ids(user, area)))
        for tally in rows.values():
            total.merge(tally)
        return total
    # Whichever area a settlement is counted under, the area rows sum to the whole.
    return _tallies(_grouped(user, DamageAreaCount, "0")).get(0, Tally())


def settlements_with_grade(user: User | None, grade: str) -> int:
    """How many settlements the user may see hold a structure of this grade they may see."""
    rows = visible_counts(DamageCount.objects.filter(dimension="grade", key=grade), user)
    shown = rows.filter(settlement__in=visible(Settlement.objects.all(), user))
    return shown.values("settlement_id").distinct().count()
