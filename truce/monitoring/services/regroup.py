"""Regrouping a time range in one pass (after a change of the rules, or a bulk import).

The observations of the range are grouped afresh by the rules of
grouping.py, except those of incidents someone has worked on: an incident
merged or split by hand is left exactly as it is, and one whose status moved
past "reported" keeps its observations (new ones may still join it). An
incident partly inside the range is regrouped whole, so none is cut in two.

A new group keeps the identity (and reference) of the old incident most of
its observations came from, so re-running on an unchanged range writes
nothing; old incidents left empty become tombstones. Observations moving
between incidents are recorded in the incidents' ledger entries.

A day holds some 100,000 observations, so the work is done over arrays: one
query loads the range, grouping and fixes run in numpy, new incidents are
written as rows (settle.py, incident_rows.py) and the observations' links in
one executemany, all in the one transaction with their ledger entries.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.db.models import Q

from truce.alerts import hooks
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.services import ledger_append_many, ledger_lock
from truce.monitoring.models import Incident, IncidentStatus, Observation
from truce.monitoring.services.grouping import GroupingParams, plan_groups
from truce.monitoring.services.incidents import is_reviewer
from truce.monitoring.services.settle import (
    References,
    incident_entries,
    incidents_to_write,
    members_by_incident,
    save_settled,
    settle,
    tombstone,
)
from truce.monitoring.services.table import (
    MEMBER_FIELDS,
    ObsTable,
    chunks,
    epoch_us,
    leader_rows,
    member_rows,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_EXTRA = ("incident__grouped_by_hand", "incident__status", "incident__is_deleted")


def _columns(start: dt.datetime, end: dt.datetime) -> list[tuple[Any, ...]]:
    """MEMBER_FIELDS and _EXTRA of the range's observations, as columns."""
    rows = member_rows(
        Observation.objects.filter(observed_at__gte=start, observed_at__lt=end, is_deleted=False),
        *_EXTRA,
    )
    return list(zip(*rows, strict=True)) if rows else []


def _beyond(
    regrouped: IntArray, lo: dt.datetime, hi: dt.datetime, loaded: IntArray
) -> list[tuple[Any, ...]]:
    """Observations of the regrouped incidents outside [lo, hi), not already loaded.

    Only an incident that starts before lo or ends at or after hi can have
    any: those are found by their time span (indexed), not by asking for every
    regrouped incident's members.
    """
    if regrouped.size == 0:
        return []
    reaching = Incident.objects.filter(
        Q(started_at__lt=lo) | Q(ended_at__gte=hi), started_at__lt=hi, ended_at__gte=lo
    ).values_list("id", flat=True)
    ids = np.intersect1d(np.fromiter(reaching, np.int64), regrouped)
    rows: list[tuple[Any, ...]] = []
    for part in chunks(ids.tolist()):
        rows += member_rows(
            Observation.objects.filter(incident_id__in=part).exclude(
                observed_at__gte=lo, observed_at__lt=hi
            )
        )
    done = set(loaded.tolist())
    return [r for r in rows if r[0] not in done]


def _adopt(new_group: IntArray, old: IntArray, n_new: int) -> list[int]:
    """For each new group, the old incident it continues (0: none), most shared rows first."""
    adopted = [0] * n_new
    has = (new_group >= 0) & (old > 0)
    if not has.any():
        return adopted
    width = int(old.max()) + 1
    pairs, counts = np.unique(new_group[has] * width + old[has], return_counts=True)
    groups, incidents = (pairs // width).tolist(), (pairs % width).tolist()
    used: set[int] = set()
    # Largest overlap first; ties to the older (smaller) incident id.
    for row in np.lexsort((incidents, -counts)).tolist():
        group, incident = groups[row], incidents[row]
        if adopted[group] == 0 and incident not in used:
            adopted[group] = incident
            used.add(incident)
    return adopted


def _update_links(incident_ids: IntArray, observation_ids: IntArray) -> None:
    """Point the observations at their incidents, in id order (the table's own order).

    On SQLite the pairs go into a temporary table first and one UPDATE ... FROM
    joins it: the row-by-row work stays in SQLite's own loop (a quarter less
    than an UPDATE per observation for a day's 100,000). Elsewhere, one
    executemany.
    """
    if observation_ids.size == 0:
        return
    order = np.argsort(observation_ids, kind="stable")
    pairs = list(zip(observation_ids[order].tolist(), incident_ids[order].tolist(), strict=True))
    q = connection.ops.quote_name
    table, incident, pk = q(Observation._meta.db_table), q("incident_id"), q("id")
    # Identifiers come from the model's meta, quoted; values are parameters.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS truce_regroup_links "
                "(id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL)"
            )
            cursor.execute("DELETE FROM temp.truce_regroup_links")
            cursor.executemany("INSERT INTO temp.truce_regroup_links VALUES (%s, %s)", pairs)
            cursor.execute(
                f"UPDATE {table} SET {incident} = links.incident_id "  # noqa: S608
                f"FROM temp.truce_regroup_links AS links WHERE {table}.{pk} = links.id"
            )
            cursor.execute("DELETE FROM temp.truce_regroup_links")
        else:
            sql = f"UPDATE {table} SET {incident} = %s WHERE {pk} = %s"  # noqa: S608
            cursor.executemany(sql, [(i, o) for o, i in pairs])


def _flags(columns: Sequence[tuple[Any, ...]]) -> tuple[BoolArray, BoolArray]:
    """Per row: its incident was grouped by hand; its incident is open to regrouping."""
    extra = len(MEMBER_FIELDS)
    hand_col, status_col, deleted_col = columns[extra], columns[extra + 1], columns[extra + 2]
    hand = np.array([bool(v) for v in hand_col], bool)
    reported = IncidentStatus.REPORTED
    open_auto = np.array(
        [s == reported and not d for s, d in zip(status_col, deleted_col, strict=True)], bool
    )
    return hand, open_auto


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a regroup's bulk work.

    A day's regroup allocates millions of objects that live until it ends
    (rows, incidents, payloads, ledger entries). The collector would walk all
    of them several times over, about a second for a day of 100,000
    observations, to find no garbage: they are freed by reference counting
    when the regroup returns, and the collector runs again after it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@transaction.atomic
def incidents_regroup(*, actor: User | None, start: dt.datetime, end: dt.datetime) -> int:
    """Regroup the observations made in [start, end); returns how many incidents they form.

    actor None is the system (a management command); a person must be a
    mission duty officer, analyst or administrator.
    """
    with _collector_paused():
        return _regroup(actor, start, end)


def _regroup(actor: User | None, start: dt.datetime, end: dt.datetime) -> int:
    if actor is not None and not is_reviewer(actor):
        raise PermissionDenied(
            "only the mission's duty officers, analysts and administrators may regroup"
        )
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone", field=name)
    if end <= start:
        raise InvalidInput("end must be after start", field="end")
    head = ledger_lock()
    params = GroupingParams.from_settings()
    margin = dt.timedelta(seconds=params.window_s)
    lo, hi = start - margin, end + margin
    columns = _columns(lo, hi)
    if not columns:
        return 0
    hand, open_auto = _flags(columns)
    keys: dict[Any, int] = {}
    table = ObsTable.from_columns(columns, keys)
    del columns
    t0, t1 = epoch_us([start, end])
    in_range = (table.t >= t0) & (table.t < t1)
    movable = (table.incident == 0) | (open_auto & ~hand)
    assignable = in_range & movable
    regrouped = np.unique(table.incident[assignable])
    regrouped = regrouped[regrouped > 0]
    # An incident partly in the range is regrouped whole.
    assignable |= np.isin(table.incident, regrouped)
    outside = _beyond(regrouped, lo, hi, table.id)
    context = ~assignable & ~hand & (table.incident > 0)
    keep = assignable | context
    # The leaders of the incidents new groups may join, if they lie further back.
    leaders = leader_rows(np.unique(table.incident[context]).tolist(), set(table.id.tolist()))
    table = ObsTable.concat(
        [
            table.take(np.flatnonzero(keep)),
            ObsTable.from_rows(outside, keys),
            ObsTable.from_rows(leaders, keys),
        ]
    )
    assignable = np.concatenate(
        [assignable[keep], np.ones(len(outside), bool), np.zeros(len(leaders), bool)]
    )
    if not assignable.any():
        return 0
    plan = plan_groups(table, assignable, params)
    old = np.where(assignable, table.incident, 0)
    adopted = _adopt(plan.new_group, old, plan.n_new)
    rows_a = np.flatnonzero(assignable)
    joined = np.unique(plan.existing[rows_a])
    joined = joined[joined > 0]
    targets: list[int | None] = [i or None for i in adopted] + joined.tolist()
    # Rows joining an existing incident go to its slot, after the new groups.
    slot = np.searchsorted(joined, plan.existing[rows_a]) + plan.n_new
    group_a = np.where(plan.new_group[rows_a] >= 0, plan.new_group[rows_a], slot)
    others = _members_elsewhere(joined, table.id[rows_a], keys)
    group_o = np.searchsorted(joined, others.incident) + plan.n_new
    old_a = table.incident[rows_a]
    # An adopted incident keeps its members unless a row moved in or out of it.
    target_ids = np.array([t or 0 for t in targets], np.int64)
    moved_rows = old_a != target_ids[group_a]
    touched = np.union1d(old_a[moved_rows], target_ids[group_a][moved_rows])
    changed = ((target_ids == 0) | np.isin(target_ids, touched)).tolist()
    members = ObsTable.concat([table.take(rows_a), others])
    groups = np.concatenate([group_a, group_o])
    settled = settle(
        actor=actor,
        members=members,
        group=groups,
        targets=targets,
        membership_changed=changed,
        references=References(),
    )
    save_settled(settled)
    final = settled.ids()
    new_a = final[group_a]
    moved = new_a != old_a
    _update_links(new_a[moved], table.id[rows_a][moved])
    written = settled.written_ids()
    members_of = members_by_incident(final[groups], members.public_id, written)
    gone = np.setdiff1d(regrouped, np.array(adopted, np.int64))
    dissolved = [
        incident
        for part in chunks(gone.tolist())
        for incident in incidents_to_write().filter(pk__in=part)
    ]
    previous = {i.pk: i.status for i in dissolved}
    entries = incident_entries(settled, members_of)
    entries += tombstone(dissolved, actor=actor, reason="regrouped")
    ledger_append_many(actor=actor, entries=entries, head=head)
    for incident in settled.created:
        hooks.incident_changed(incident, actor=actor, previous_status=None)
    for incident in settled.updated:
        hooks.incident_changed(
            incident, actor=actor, previous_status=settled.previous_status.get(incident.pk)
        )
    for incident in dissolved:
        hooks.incident_changed(incident, actor=actor, previous_status=previous[incident.pk])
    return int(np.unique(new_a).size)


def _members_elsewhere(joined: IntArray, loaded: IntArray, keys: dict[Any, int]) -> ObsTable:
    """The observations of the joined incidents not among the loaded rows."""
    rows: list[tuple[Any, ...]] = []
    for part in chunks(joined.tolist()):
        rows += member_rows(Observation.objects.filter(incident_id__in=part))
    done = set(loaded.tolist())
    return ObsTable.from_rows([r for r in rows if r[0] not in done], keys)
