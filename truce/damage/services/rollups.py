"""Damage counts kept as rollups, in the same transaction as the structures they count.

Each live structure adds one to two DamageCount rows, its grade's and its use's,
of its settlement and its own share flags, and its needs to both. A reader's
rows are those truce.core.sharing.visible_counts admits (the rule of visible(),
on the same flags), so summing them gives exactly what the reader may see, from
a few dozen rows per settlement instead of every structure.

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

from truce.damage.models import NEED_COLUMNS, CountDimension, DamageCount, Structure

FLAG_COLUMNS = ("share_side_a", "share_side_b", "share_agencies", "share_public")
KEY_COLUMNS = ("settlement_id", "dimension", "key", *FLAG_COLUMNS)
SUM_COLUMNS = ("structures", *NEED_COLUMNS)

_GRADE = CountDimension.GRADE.value
_USE = CountDimension.USE.value
# (settlement id, dimension, key, side_a, side_b, agencies, public)
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


def rollup_sums(counted: Iterable[Counted]) -> dict[Key, list[float]]:
    """What the structures add to each rollup row: [structures, *needs]."""
    sums: dict[Key, list[float]] = {}
    width = 1 + len(NEED_COLUMNS)
    for c in counted:
        for dimension, key in ((_GRADE, c.grade), (_USE, c.use)):
            row = sums.setdefault((c.settlement_id, dimension, key, *c.flags), [0.0] * width)
            row[0] += 1
            for i, value in enumerate(c.needs, start=1):
                row[i] += value
    return sums


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _upsert_sql(vendor: str) -> str:
    table = _q(DamageCount._meta.db_table)
    columns = [*KEY_COLUMNS, *SUM_COLUMNS]
    names = ", ".join(_q(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    conflict = ", ".join(_q(c) for c in KEY_COLUMNS)
    updates = ", ".join(f"{_q(c)} = {table}.{_q(c)} + excluded.{_q(c)}" for c in SUM_COLUMNS)
    # Identifiers come from the model's meta, quoted; values are parameters.
    return (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


@cache
def _adjust_sql(vendor: str) -> tuple[str, str]:
    table = _q(DamageCount._meta.db_table)
    sets = ", ".join(f"{_q(c)} = {_q(c)} + %s" for c in SUM_COLUMNS)
    where = " AND ".join(f"{_q(c)} = %s" for c in KEY_COLUMNS)
    update = f"UPDATE {table} SET {sets} WHERE {where}"  # noqa: S608
    delete = f"DELETE FROM {table} WHERE {where} AND {_q('structures')} <= 0"  # noqa: S608
    return update, delete


def _row(key: Key, totals: list[float]) -> list[Any]:
    return [*key, int(totals[0]), *totals[1:]]


def rollups_adjust(*, removed: Iterable[Counted] = (), added: Iterable[Counted] = ()) -> int:
    """Take back what `removed` added and add `added`; in the caller's transaction.

    Returns the number of rollup keys touched. Rows that only grow are
    upserted; a row with any negative change held the removed structure, so it
    exists and is updated in place, then deleted if it counts none.
    """
    delta = rollup_sums(added)
    for key, totals in rollup_sums(removed).items():
        row = delta.setdefault(key, [0.0] * len(totals))
        for i, value in enumerate(totals):
            row[i] -= value
    changed = sorted((k, t) for k, t in delta.items() if any(t))
    if not changed:
        return 0
    grow = [_row(k, t) for k, t in changed if min(t) >= 0]
    shrink: list[tuple[list[Any], list[float]]] = [(list(k), t) for k, t in changed if min(t) < 0]
    update, delete = _adjust_sql(connection.vendor)
    with connection.cursor() as cursor:
        if grow:
            cursor.executemany(_upsert_sql(connection.vendor), grow)
        if shrink:
            cursor.executemany(update, [[int(t[0]), *t[1:], *k] for k, t in shrink])
            cursor.executemany(delete, [k for k, _ in shrink])
    return len(changed)


def rollups_rebuild() -> int:
    """Recompute every rollup row from the live structures (repair, benchmarks, tests)."""
    DamageCount.objects.all().delete()
    rows = Structure.objects.filter(is_deleted=False).iterator(chunk_size=5000)
    total = 0
    batch: list[Counted] = []
    for s in rows:
        batch.append(Counted.of(s))
        if len(batch) >= 5000:
            total += rollups_adjust(added=batch)
            batch = []
    return total + rollups_adjust(added=batch)
