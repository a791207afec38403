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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction

from truce.alerts import hooks
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.services import ledger_append_many, ledger_lock
from truce.monitoring.models import IncidentStatus, Observation
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
    epoch_us,
    leader_rows,
    member_rows,
)

IntArray = npt.NDArray[np.int64]
_EXTRA = ("incident__grouped_by_hand", "incident__status", "incident__is_deleted")


def _rows(start: dt.datetime, end: dt.datetime) -> list[tuple[Any, ...]]:
    return member_rows(
        Observation.objects.filter(observed_at__gte=start, observed_at__lt=end, is_deleted=False),
        *_EXTRA,
    )


def _adopt(new_group: IntArray, old: IntArray, n_new: int) -> list[int]:
    """For each new group, the old incident it continues (0: none), most shared rows first."""
    adopted = [0] * n_new
    has = (new_group >= 0) & (old > 0)
    if not has.any():
        return adopted
    pairs, counts = np.unique(
        np.stack([new_group[has], old[has]], axis=1), axis=0, return_counts=True
    )
    used: set[int] = set()
    for row in np.lexsort((pairs[:, 1], -counts)):
        group, incident = int(pairs[row, 0]), int(pairs[row, 1])
        if adopted[group] == 0 and incident not in used:
            adopted[group] = incident
            used.add(incident)
    return adopted


def _update_links(changes: Sequence[tuple[int, int]]) -> None:
    if not changes:
        return
    q = connection.ops.quote_name
    # Identifiers come from the model's meta, quoted; values are parameters.
    sql = f"UPDATE {q(Observation._meta.db_table)} SET {q('incident_id')} = %s WHERE {q('id')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(changes))


@transaction.atomic
def incidents_regroup(*, actor: User | None, start: dt.datetime, end: dt.datetime) -> int:
    """Regroup the observations made in [start, end); returns how many incidents they form.

    actor None is the system (a management command); a person must be a
    mission duty officer, analyst or administrator.
    """
    if actor is not None and not is_reviewer(actor):
        raise PermissionDenied(
            "only the mission's duty officers, analysts and administrators may regroup"
        )
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone", field=name)
    if end <= start:
        raise InvalidInput("end must be after start", field="end")
    ledger_lock()
    params = GroupingParams.from_settings()
    margin = dt.timedelta(seconds=params.window_s)
    raw = _rows(start - margin, end + margin)
    if not raw:
        return 0
    extra = len(MEMBER_FIELDS)
    hand = np.array([bool(r[extra]) for r in raw])
    open_auto = np.array(
        [r[extra + 1] == IncidentStatus.REPORTED and not r[extra + 2] for r in raw]
    )
    keys: dict[Any, int] = {}
    table = ObsTable.from_rows([r[:extra] for r in raw], keys)
    t0, t1 = epoch_us([start, end])
    in_range = (table.t >= t0) & (table.t < t1)
    movable = (table.incident == 0) | (open_auto & ~hand)
    assignable = in_range & movable
    regrouped = {int(i) for i in np.unique(table.incident[assignable]) if i}
    # An incident partly in the range is regrouped whole.
    assignable |= np.isin(table.incident, list(regrouped))
    outside = [
        r
        for r in Observation.objects.filter(incident_id__in=regrouped)
        .exclude(observed_at__gte=start - margin, observed_at__lt=end + margin)
        .values_list(*MEMBER_FIELDS)
    ]
    context = ~assignable & ~hand & (table.incident > 0)
    keep = assignable | context
    # The leaders of the incidents new groups may join, if they lie further back.
    leaders = leader_rows(sorted({int(i) for i in table.incident[context]}), set(table.id.tolist()))
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
    adopted = _adopt(plan.new_group, table.incident * assignable, plan.n_new)
    joined = sorted({int(i) for i in plan.existing[assignable] if i})
    targets: list[int | None] = [i or None for i in adopted]
    slot_of_joined = {}
    for incident_id in joined:
        slot_of_joined[incident_id] = len(targets)
        targets.append(incident_id)
    rows_a = np.flatnonzero(assignable)
    group_a = np.where(
        plan.new_group[rows_a] >= 0,
        plan.new_group[rows_a],
        np.array([slot_of_joined.get(int(i), -1) for i in plan.existing[rows_a]], np.int64),
    )
    others = ObsTable.from_rows(
        member_rows(
            Observation.objects.filter(incident_id__in=joined).exclude(
                pk__in=table.id[rows_a].tolist()
            )
        )
        if joined
        else [],
        keys,
    )
    group_o = np.array([slot_of_joined[int(i)] for i in others.incident], np.int64)
    old_a = table.incident[rows_a]
    # An adopted incident keeps its members unless a row moved in or out of it.
    target_ids = np.array([t or 0 for t in targets], np.int64)
    moved_rows = old_a != target_ids[group_a]
    touched = set(old_a[moved_rows].tolist()) | set(target_ids[group_a][moved_rows].tolist())
    changed = [t is None or t in touched for t in targets]
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
    final = np.array([settled.pk(k) for k in range(len(targets))], np.int64)
    new_a = final[group_a]
    moved = new_a != old_a
    _update_links(list(zip(new_a[moved].tolist(), table.id[rows_a][moved].tolist(), strict=True)))
    written = {i.pk for i in [*settled.created, *settled.updated]}
    members_of = members_by_incident(final[groups], members.public_id, written)
    dissolved = list(incidents_to_write().filter(pk__in=sorted(regrouped - set(adopted))))
    previous = {i.pk: i.status for i in dissolved}
    entries = incident_entries(settled, members_of)
    entries += tombstone(dissolved, actor=actor, reason="regrouped")
    ledger_append_many(actor=actor, entries=entries)
    for incident in settled.created:
        hooks.incident_changed(incident, actor=actor, previous_status=None)
    for incident in settled.updated:
        hooks.incident_changed(
            incident, actor=actor, previous_status=settled.previous_status.get(incident.pk)
        )
    for incident in dissolved:
        hooks.incident_changed(incident, actor=actor, previous_status=previous[incident.pk])
    return int(np.unique(new_a).size)
