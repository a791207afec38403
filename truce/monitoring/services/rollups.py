"""Daily counts kept as rollups, in the same transaction as the observations.

ObservationCount rows are keyed by (audience, dimension, window, key): for
every reader scope that may see an observation (its audiences), the
observation adds to that audience's row of its post, of its zone and of its
type for its mission day. A reader then sums the rows of its own audience
only (truce.monitoring.selectors), which gives exactly the count of the
observations it may see, from a few dozen rows a day.

A batch is first summed per observation key (day, post, zone, type, share
flags), then each distinct key is spread over its audiences and dimensions,
so the per-observation work stays one dictionary update. Each distinct
rollup key is one upsert (INSERT ... ON CONFLICT DO UPDATE adding to the
row), which SQLite and PostgreSQL both run atomically under the row's lock,
inside the caller's transaction.

A correction or a withdrawal takes an observation's counts back
(rollups_adjust): what it added, as it was counted, is subtracted from its
old rows and what it now adds goes to its new ones. A row left counting no
observation is removed, so a day's answer never lists a post, zone or type
with nothing in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import Any, Protocol

from django.db import connection

from truce.core.sharing import SHARE_COLUMNS, Scope
from truce.monitoring.models import CountDimension, ObservationCount

KEY_COLUMNS = ("audience", "dimension", "window", "key_id", "key_type")
SUM_COLUMNS = ("observations", "events", "killed", "injured")

# (audience, dimension, window, key_id, key_type)
Key = tuple[str, str, dt.date, int, str]
# An observation's own key: window, post id, zone id, type, the four share flags.
ObservationKey = tuple[dt.date, int, int, str, bool, bool, bool, bool]


class Countable(Protocol):
    """What rollups_add reads of an observation (a model instance or any object alike)."""

    window: dt.date
    observer_post_id: int | None
    zone_id: int | None
    type: str
    count: int
    killed_military: int
    killed_civilian: int
    injured_military: int
    injured_civilian: int
    share_side_a: bool
    share_side_b: bool
    share_agencies: bool
    share_public: bool


@cache
def audiences(side_a: bool, side_b: bool, agencies: bool, public: bool) -> tuple[Scope, ...]:
    """The reader scopes that may see a live record with these share flags.

    The rule of truce.core.sharing.can_see, per scope: the mission sees every
    record, the public what is public, and a party what is public or shared
    with it. tests/monitoring/test_rollups.py holds this to visible() for every
    mix of flags and every reader.
    """
    flags = {
        SHARE_COLUMNS[Scope.SIDE_A]: side_a,
        SHARE_COLUMNS[Scope.SIDE_B]: side_b,
        SHARE_COLUMNS[Scope.AGENCIES]: agencies,
        SHARE_COLUMNS[Scope.PUBLIC]: public,
    }
    found = [Scope.MISSION]
    for scope in (Scope.SIDE_A, Scope.SIDE_B, Scope.AGENCIES, Scope.PUBLIC):
        if public or flags[SHARE_COLUMNS[scope]]:
            found.append(scope)
    return tuple(found)


def observation_key(o: Countable) -> ObservationKey:
    return (
        o.window,
        o.observer_post_id or 0,
        o.zone_id or 0,
        o.type,
        bool(o.share_side_a),
        bool(o.share_side_b),
        bool(o.share_agencies),
        bool(o.share_public),
    )


def rollup_keys(key: ObservationKey) -> list[Key]:
    """The rollup rows an observation with this key adds to (three per audience)."""
    window, post, zone, type_, side_a, side_b, agencies, public = key
    rows: list[Key] = []
    for audience in audiences(side_a, side_b, agencies, public):
        rows.append((audience.value, CountDimension.POST.value, window, post, ""))
        rows.append((audience.value, CountDimension.ZONE.value, window, zone, ""))
        rows.append((audience.value, CountDimension.TYPE.value, window, 0, type_))
    return rows


@cache
def _upsert_sql(vendor: str) -> str:
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


def rollup_sums(observations: Iterable[Countable]) -> dict[Key, list[int]]:
    """What the observations add to each rollup row: observations, events, killed, injured."""
    per_observation_key: dict[ObservationKey, list[int]] = {}
    for o in observations:
        row = per_observation_key.setdefault(observation_key(o), [0, 0, 0, 0])
        row[0] += 1
        row[1] += o.count
        row[2] += o.killed_military + o.killed_civilian
        row[3] += o.injured_military + o.injured_civilian
    sums: dict[Key, list[int]] = {}
    for key, totals in per_observation_key.items():
        for rollup_key in rollup_keys(key):
            row = sums.setdefault(rollup_key, [0, 0, 0, 0])
            for i, value in enumerate(totals):
                row[i] += value
    return sums


def rollups_add(observations: Iterable[Countable]) -> int:
    """Add new observations to their counts, in the caller's transaction; returns keys touched.

    Takes model instances or any objects with the attributes of Countable.
    """
    sums = rollup_sums(observations)
    if not sums:
        return 0
    adapt = connection.ops.adapt_datefield_value
    # Sorted, so two concurrent writers take the row locks in the same order.
    params: list[list[Any]] = [
        [audience, dimension, adapt(window), key_id, key_type, *totals]
        for (audience, dimension, window, key_id, key_type), totals in sorted(sums.items())
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(connection.vendor), params)
    return len(params)


@cache
def _adjust_sql(vendor: str) -> tuple[str, str]:
    """UPDATE adding signed amounts to one existing row, and DELETE of that row once empty."""
    q = connection.ops.quote_name
    table = q(ObservationCount._meta.db_table)
    sets = ", ".join(f"{q(c)} = {q(c)} + %s" for c in SUM_COLUMNS)
    where = " AND ".join(f"{q(c)} = %s" for c in KEY_COLUMNS)
    # Identifiers come from the model's meta, quoted; values are parameters.
    update = f"UPDATE {table} SET {sets} WHERE {where}"  # noqa: S608
    delete = f"DELETE FROM {table} WHERE {where} AND {q('observations')} = 0"  # noqa: S608
    return update, delete


def rollups_adjust(*, removed: Iterable[Countable], added: Iterable[Countable]) -> int:
    """Take back what `removed` added to the counts and add `added`; returns keys touched.

    removed are observations as they were counted (a correction's old values,
    a withdrawn observation), added as they now count; in the caller's
    transaction. Rows that only grow are upserted as by rollups_add; rows
    that lose anything existed already (the removed observation was counted
    in them), so they are updated in place, and deleted once they count none.
    """
    delta = rollup_sums(added)
    for key, totals in rollup_sums(removed).items():
        row = delta.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate(totals):
            row[i] -= value
    changed = sorted((key, totals) for key, totals in delta.items() if any(totals))
    if not changed:
        return 0
    adapt = connection.ops.adapt_datefield_value

    def key_params(key: Key) -> list[Any]:
        audience, dimension, window, key_id, key_type = key
        return [audience, dimension, adapt(window), key_id, key_type]

    grow = [[*key_params(k), *t] for k, t in changed if min(t) >= 0]
    shrink = [(key_params(k), t) for k, t in changed if min(t) < 0]
    update, delete = _adjust_sql(connection.vendor)
    with connection.cursor() as cursor:
        if grow:
            cursor.executemany(_upsert_sql(connection.vendor), grow)
        if shrink:
            cursor.executemany(update, [[*t, *k] for k, t in shrink])
            cursor.executemany(delete, [k for k, _ in shrink])
    return len(changed)
