"""Daily counts kept as rollups, in the same transaction as the observations.

One ObservationCount row per (window, post, zone, type, visibility): the
share flags are part of the key so a reader's total sums only rows shared
with their party (see truce.core.sharing.visible_counts). Each distinct key
of a batch is one upsert (INSERT ... ON CONFLICT DO UPDATE adding to the
row), which SQLite and PostgreSQL both run atomically under the row's lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection

from truce.monitoring.models import Observation, ObservationCount

KEY_COLUMNS = (
    "window",
    "post_key",
    "zone_key",
    "type",
    "share_side_a",
    "share_side_b",
    "share_agencies",
    "share_public",
)
SUM_COLUMNS = ("observations", "events", "killed", "injured")

Key = tuple[dt.date, int, int, str, bool, bool, bool, bool]


def _upsert_sql() -> str:
    q = connection.ops.quote_name
    table = q(ObservationCount._meta.db_table)
    columns = [*KEY_COLUMNS, *SUM_COLUMNS]
    names = ", ".join(q(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    conflict = ", ".join(q(c) for c in KEY_COLUMNS)
    updates = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in SUM_COLUMNS)
    # Identifiers come from the model's meta, quoted; values are parameters.
    return (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


def rollup_key(o: Observation) -> Key:
    return (
        o.window,
        o.observer_post_id or 0,
        o.zone_id or 0,
        o.type,
        o.share_side_a,
        o.share_side_b,
        o.share_agencies,
        o.share_public,
    )


def rollups_add(observations: Iterable[Observation]) -> int:
    """Add new observations to their counts; returns the number of keys touched."""
    sums: dict[Key, list[int]] = {}
    for o in observations:
        row = sums.setdefault(rollup_key(o), [0, 0, 0, 0])
        row[0] += 1
        row[1] += o.count
        row[2] += o.killed_military + o.killed_civilian
        row[3] += o.injured_military + o.injured_civilian
    if not sums:
        return 0
    adapt = connection.ops.adapt_datefield_value
    params: list[list[Any]] = [
        [adapt(key[0]), *key[1:], *totals] for key, totals in sorted(sums.items())
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(), params)
    return len(params)
