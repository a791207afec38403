"""Damage counts kept as rollups, in the same transaction as the structures they count.

Each live structure adds one to three DamageCount rows of its settlement and its
own share flags (its grade's, its use's and the settlement's "all" row), and
one to the same three rows of DamageAreaCount for the area its settlement is
counted under (SettlementArea); its needs are summed on each. A reader's rows
are those truce.core.sharing.visible_counts admits (the rule of visible(), on
the same flags), so summing them gives exactly what the reader may see, from a
few rows per settlement or area instead of every structure.

A write first sums per rollup key, then upserts each key once (INSERT ... ON
CONFLICT DO UPDATE adding to the row; SQLite and PostgreSQL alike, under the
row's lock, in the caller's transaction), sorted so that two writers lock rows
in the same order. A re-assessment or a deletion takes back what the structure
added as it was counted (rollups_adjust with its old values), and a row left
counting no structure is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from truce.core.models import Settlement
from truce.damage.models import (
    NEED_COLUMNS,
    CountDimension,
    DamageAreaCount,
    DamageCount,
    SettlementArea,
    Structure,
)

FLAG_COLUMNS = ("share_side_a", "share_side_b", "share_agencies", "share_public")
SUM_COLUMNS = ("structures", *NEED_COLUMNS)
_GRADE = CountDimension.GRADE.value
_USE = CountDimension.USE.value
_ALL = CountDimension.ALL.value

# (settlement or area id, dimension, key, side_a, side_b, agencies, public)
Key = tuple[int, str, str, bool, bool, bool, bool]


@dataclass(frozen=True)
class Counted:
    """What a structure added to the rollups: a copy taken before it changes."""

    settlement_id: int
    grade: str
    use: str
    flags: tuple[bool, bool, bool, bool]
    needs: tuple[float, ...]

    @classmethod
    def of(cls, s: Structure) -> Counted:
        return cls(
            settlement_id=s.settlement_id,
            grade=s.grade,
            use=s.use,
            flags=(
                bool(s.share_side_a),
                bool(s.share_side_b),
                bool(s.share_agencies),
                bool(s.share_public),
            ),
            needs=tuple(float(getattr(s, c) or 0.0) for c in NEED_COLUMNS),
        )


def rollup_sums(
    counted: Iterable[Counted], place: dict[int, int] | None = None
) -> dict[Key, list[float]]:
    """What the structures add to each row: [structures, *needs], keyed by settlement,
    or by area when `place` maps settlement ids to the area each is counted under."""
    sums: dict[Key, list[float]] = {}
    width = 1 + len(NEED_COLUMNS)
    for c in counted:
        where = c.settlement_id if place is None else place[c.settlement_id]
        for dimension, key in ((_GRADE, c.grade), (_USE, c.use), (_ALL, "")):
            row = sums.setdefault((where, dimension, key, *c.flags), [0.0] * width)
            row[0] += 1
            for i, value in enumerate(c.needs, start=1):
                row[i] += value
    return sums


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


_TABLES: dict[str, tuple[type[DamageCount] | type[DamageAreaCount], str]] = {
    "settlement": (DamageCount, "settlement_id"),
    "area": (DamageAreaCount, "area_id"),
}


@cache
def _sql(vendor: str, level: str) -> tuple[str, str, str]:
    """Upsert adding to a row, update adding signed amounts, delete once empty."""
    model, place = _TABLES[level]
    table = _q(model._meta.db_table)
    keys = (place, "dimension", "key", *FLAG_COLUMNS)
    columns = [*keys, *SUM_COLUMNS]
    names = ", ".join(_q(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    conflict = ", ".join(_q(c) for c in keys)
    adds = ", ".join(f"{_q(c)} = {table}.{_q(c)} + excluded.{_q(c)}" for c in SUM_COLUMNS)
    sets = ", ".join(f"{_q(c)} = {_q(c)} + %s" for c in SUM_COLUMNS)
    where = " AND ".join(f"{_q(c)} = %s" for c in keys)
    # Identifiers come from the model's meta, quoted; values are parameters.
    upsert = (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {adds}"
    )
    update = f"UPDATE {table} SET {sets} WHERE {where}"  # noqa: S608
    delete = f"DELETE FROM {table} WHERE {where} AND {_q('structures')} <= 0"  # noqa: S608
    return upsert, update, delete


def _apply(level: str, delta: dict[Key, list[float]]) -> int:
    changed = sorted((k, t) for k, t in delta.items() if any(t))
    if not changed:
        return 0
    upsert, update, delete = _sql(connection.vendor, level)
    grow: list[list[Any]] = [[*k, int(t[0]), *t[1:]] for k, t in changed if min(t) >= 0]
    # A row with any negative change held the removed structure, so it exists.
    shrink: list[tuple[list[Any], list[float]]] = [(list(k), t) for k, t in changed if min(t) < 0]
    with connection.cursor() as cursor:
        if grow:
            cursor.executemany(upsert, grow)
        if shrink:
            cursor.executemany(update, [[int(t[0]), *t[1:], *k] for k, t in shrink])
            cursor.executemany(delete, [k for k, _ in shrink])
    return len(changed)


def counted_areas(settlement_ids: Iterable[int]) -> dict[int, int]:
    """The area each settlement is counted under, recording its current one if it has none."""
    wanted = set(settlement_ids)
    found = dict(
        SettlementArea.objects.filter(settlement_id__in=wanted).values_list(
            "settlement_id", "area_id"
        )
    )
    missing = wanted - set(found)
    if missing:
        current = {
            pk: area or 0
            for pk, area in Settlement.objects.filter(pk__in=missing).values_list(
                "pk", "admin_area_id"
            )
        }
        SettlementArea.objects.bulk_create(
            [SettlementArea(settlement_id=pk, area_id=a) for pk, a in sorted(current.items())],
            ignore_conflicts=True,
        )
        found.update(current)
    return found


def _delta(removed: list[Counted], added: list[Counted], place: dict[int, int] | None) -> Any:
    delta = rollup_sums(added, place)
    for key, totals in rollup_sums(removed, place).items():
        row = delta.setdefault(key, [0.0] * len(totals))
        for i, value in enumerate(totals):
            row[i] -= value
    return delta


def rollups_adjust(*, removed: Iterable[Counted] = (), added: Iterable[Counted] = ()) -> int:
    """Take back what `removed` added and add `added`; in the caller's transaction.

    Returns the number of rollup keys touched (settlement and area rows).
    """
    removed, added = list(removed), list(added)
    if not removed and not added:
        return 0
    place = counted_areas(c.settlement_id for c in [*removed, *added])
    touched = _apply("settlement", _delta(removed, added, None))
    return touched + _apply("area", _delta(removed, added, place))


def rollups_rebuild() -> int:
    """Recompute every rollup row from the live structures, each settlement counted under
    its current area (repair after settlements moved between areas; benchmarks; tests)."""
    DamageCount.objects.all().delete()
    DamageAreaCount.objects.all().delete()
    SettlementArea.objects.all().delete()
    rows = Structure.objects.filter(is_deleted=False).iterator(chunk_size=5000)
    total = 0
    batch: list[Counted] = []
    for s in rows:
        batch.append(Counted.of(s))
        if len(batch) >= 5000:
            total += rollups_adjust(added=batch)
            batch = []
    return total + rollups_adjust(added=batch)
