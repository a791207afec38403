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
reader may see) are summed into one row without a place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection

from truce.core.models import AdminArea, Settlement
from truce.core.sharing import visible, visible_counts
from truce.damage.models import NEED_COLUMNS, NEED_KEYS, DamageCount, Grade, Use
from truce.monitoring.rawsql import column, table, visible_where, where_of

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


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _count_where(user: User | None) -> tuple[str, list[Any]]:
    return where_of(visible_counts(DamageCount.objects.all(), user))


def _sum_terms() -> str:
    counts = table(DamageCount)
    terms = [f"SUM({counts}.{_q('structures')})"]
    terms += [f"SUM({counts}.{_q(c)})" for c in NEED_COLUMNS]
    return ", ".join(terms)


def _settlement_filter(
    user: User | None, *, settlement: str | None, area: str | None
) -> tuple[str, list[Any]]:
    """An extra condition on the rollup rows' settlement: one P-code, or an area's."""
    if settlement:
        qs = visible(Settlement.objects.filter(pcode=settlement), user)
    elif area:
        areas = visible(AdminArea.objects.filter(pcode=area), user)
        qs = visible(Settlement.objects.filter(admin_area__in=areas), user) | visible(
            Settlement.objects.filter(admin_area__parent__in=areas), user
        )
    else:
        return "1 = 1", []
    sql, params = qs.values("id").query.sql_with_params()
    return f"{column(DamageCount, 'settlement')} IN ({sql})", list(params)


def _grouped(
    user: User | None,
    key: str,
    *,
    where: str = "1 = 1",
    params: Iterable[Any] = (),
    join: str = "",
    key_params: Iterable[Any] = (),
) -> list[tuple[Any, ...]]:
    """(group, dimension, key, structures, *needs) summed over the reader's rows."""
    counts = table(DamageCount)
    visible_sql, visible_params = _count_where(user)
    dim, k = f"{counts}.{_q('dimension')}", f"{counts}.{_q('key')}"
    # Grouped by position, so a computed group (an area) is written, and bound, once.
    sql = (
        f"SELECT {key}, {dim}, {k}, {_sum_terms()} FROM {counts} {join} "  # noqa: S608
        f"WHERE ({visible_sql}) AND ({where}) GROUP BY 1, 2, 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key_params, *visible_params, *params])
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


# --- per settlement ---------------------------------------------------------------------


class SettlementRollups:
    """Per-settlement rows in order (most destroyed, then most assessed, then name), read
    page by page: the order comes from one small query over the grade rows, each page's
    tallies from the rows of its settlements only. Sized and sliced like a list, so
    Django's Paginator takes it as it is."""

    def __init__(
        self, user: User | None, *, area: str | None = None, settlement: str | None = None
    ):
        self.user = user
        self.where, self.params = _settlement_filter(user, settlement=settlement, area=area)
        self._order: list[tuple[int | None, Place | None]] | None = None

    def _ordered(self) -> list[tuple[int | None, Place | None]]:
        if self._order is not None:
            return self._order
        counts = table(DamageCount)
        sid = column(DamageCount, "settlement")
        visible_sql, visible_params = _count_where(self.user)
        shown_sql, shown_params = visible_where(Settlement, self.user)
        s = table(Settlement)
        sql = (
            f"SELECT c.sid, c.destroyed, c.total, {column(Settlement, 'pcode')}, "  # noqa: S608
            f"{column(Settlement, 'display_name')} FROM ("
            f"SELECT {sid} AS sid, SUM(CASE WHEN {counts}.{_q('key')} = %s "
            f"THEN {counts}.{_q('structures')} ELSE 0 END) AS destroyed, "
            f"SUM({counts}.{_q('structures')}) AS total FROM {counts} "
            f"WHERE ({visible_sql}) AND {counts}.{_q('dimension')} = %s AND ({self.where}) "
            f"GROUP BY {sid}) c LEFT JOIN {s} ON {column(Settlement, 'id')} = c.sid AND {shown_sql}"
        )
        params = [_DESTROYED, *visible_params, "grade", *self.params, *shown_params]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        shown = [
            (-d, -t, str(name), pk, Place(pk, pcode, name))
            for pk, d, t, pcode, name in found
            if pcode
        ]
        shown.sort()
        hidden = [pk for pk, _d, _t, pcode, _n in found if not pcode]
        order: list[tuple[int | None, Place | None]] = [(r[3], r[4]) for r in shown]
        self._hidden = hidden
        if hidden:
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
        tallies: dict[Any, Tally] = {}
        if ids:
            marks = ", ".join(["%s"] * len(ids))
            rows = _grouped(
                self.user,
                column(DamageCount, "settlement"),
                where=f"{column(DamageCount, 'settlement')} IN ({marks})",
                params=ids,
            )
            tallies = _tallies(rows)
        result = []
        for pk, place in part:
            if pk is not None:
                result.append(RollupRow(place, tallies.get(pk, Tally())))
            else:
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
    rows = SettlementRollups(user, area=area, settlement=settlement)
    return rows[:]


# --- per area and totals ----------------------------------------------------------------


def rollup_by_area(user: User | None, *, parent: str | None = None) -> list[RollupRow]:
    """Per admin area of the structures' settlements, what the user may see, most destroyed
    first; a structure counts in its area if the user may see the settlement and the area."""
    where, params = _settlement_filter(user, settlement=None, area=parent)
    shown_sql, shown_params = visible_where(Settlement, user)
    area_sql, area_params = where_of(visible(AdminArea.objects.all(), user))
    area_id = column(Settlement, "admin_area")
    join = (
        f"JOIN {table(Settlement)} ON {column(Settlement, 'id')} = "
        f"{column(DamageCount, 'settlement')}"
    )
    area_of = (
        f"CASE WHEN {shown_sql} AND {area_id} IN (SELECT {column(AdminArea, 'id')} "  # noqa: S608
        f"FROM {table(AdminArea)} WHERE {area_sql}) THEN {area_id} ELSE 0 END"
    )
    rows = _grouped(
        user,
        area_of,
        where=where,
        params=params,
        join=join,
        key_params=[*shown_params, *area_params],
    )
    tallies = _tallies(rows)
    places = _places(AdminArea, user, [k for k in tallies if k])
    result = [RollupRow(places[k], t) for k, t in tallies.items() if k and k in places]
    result.sort(key=lambda r: (-r.tally.by_grade[_DESTROYED], -r.tally.total, str(r.place)))
    other = Tally()
    for k, t in tallies.items():
        if not k or k not in places:
            other.merge(t)
    if other.total:
        result.append(RollupRow(None, other))
    return result


def rollup_totals(
    user: User | None, *, area: str | None = None, settlement: str | None = None
) -> Tally:
    """One tally over everything the user may see (in a settlement or area if given)."""
    where, params = _settlement_filter(user, settlement=settlement, area=area)
    rows = _grouped(user, "0", where=where, params=params)
    return _tallies(rows).get(0, Tally())


def settlements_with_grade(user: User | None, grade: str) -> int:
    """How many settlements the user may see hold a structure of this grade they may see."""
    rows = visible_counts(DamageCount.objects.filter(dimension="grade", key=grade), user)
    shown = rows.filter(settlement__in=visible(Settlement.objects.all(), user))
    return shown.values("settlement_id").distinct().count()
