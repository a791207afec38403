"""New observations joining incidents: planned from what is stored, then written.

Shared by the ingest (which groups its observations in its own transaction,
"inline") and the background grouper (which plans outside the write lock and
writes under it, see grouper.py). The plan reads recent grouped observations
and the incidents they may join, groups (grouping.plan_groups) and settles the
touched incidents (settle.settle): nothing is written until apply_join.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection

from truce.core.models import User
from truce.ledger.services import PendingEntry
from truce.monitoring.models import Incident
from truce.monitoring.services.grouping import GroupingParams, plan_groups
from truce.monitoring.services.places import Places
from truce.monitoring.services.related import incidents_for_writing
from truce.monitoring.services.settle import (
    References,
    Settled,
    incident_entries,
    members_by_incident,
    save_settled,
    settle,
)
from truce.monitoring.services.table import (
    ObsTable,
    chunks,
    in_list,
    incident_join,
    leader_rows,
    member_rows_where,
)

IntArray = npt.NDArray[np.int64]


def context_rows(times: Sequence[dt.datetime], window: dt.timedelta) -> list[tuple[Any, ...]]:
    """Grouped observations near these times that new ones may join (incidents not
    grouped by hand), and the leaders of their incidents."""
    q = connection.ops.quote_name
    at = connection.ops.adapt_datetimefield_value
    rows = member_rows_where(
        f"o.{q('observed_at')} >= %s AND o.{q('observed_at')} <= %s AND NOT o.{q('is_deleted')} "
        f"AND NOT i.{q('is_deleted')} AND NOT i.{q('grouped_by_hand')}",
        [at(min(times) - window), at(max(times) + window)],
        join=incident_join(),
    )
    incidents = sorted({r[-1] for r in rows})
    return rows + leader_rows(incidents, {r[0] for r in rows})


def _members_of(incident_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    q = connection.ops.quote_name
    rows = []
    for part in chunks(incident_ids):
        rows += member_rows_where(f"o.{q('incident_id')} IN ({in_list(len(part))})", part)
    return rows


@dataclass
class JoinPlan:
    """Where each new observation goes, and the incidents as they will be."""

    fresh: ObsTable
    members: ObsTable  # the earlier observations of the touched incidents
    group_members: IntArray  # target of each members row
    group_fresh: IntArray  # target of each fresh row
    settled: Settled
    touched: list[int]  # ids of existing incidents new observations join

    @property
    def targets(self) -> int:
        return len(self.settled.incidents)


def plan_join(
    actor: User | None,
    fresh_rows: Sequence[Sequence[Any]],
    times: Sequence[dt.datetime],
    places: Places,
) -> JoinPlan:
    """Group observations not yet in an incident with each other and with recent ones.

    fresh_rows are their MEMBER_FIELDS rows (table.rows_of for unsaved ones,
    table.member_rows for stored ones), times their observed_at. Reads only:
    safe outside the write lock, to be applied if nothing about incidents was
    written meanwhile.
    """
    params = GroupingParams.from_settings()
    # One numbering of observers for the context and the new rows alike.
    keys: dict[Any, int] = {}
    margin = dt.timedelta(seconds=params.window_s)
    context = ObsTable.from_rows(context_rows(times, margin), keys)
    fresh = ObsTable.from_rows(fresh_rows, keys)
    table = ObsTable.concat([context, fresh])
    assignable = np.concatenate([np.zeros(len(context), bool), np.ones(len(fresh), bool)])
    plan = plan_groups(table, assignable, params)
    joined = plan.existing[len(context) :]
    touched = sorted({int(i) for i in joined if i})
    incidents = incidents_for_writing(touched, places)
    slot = {incident.pk: k for k, incident in enumerate(incidents)}
    members = ObsTable.from_rows(_members_of(touched), keys)
    group_members = np.array([slot[int(i)] for i in members.incident], np.int64)
    group_fresh = len(incidents) + plan.new_group[len(context) :]
    for row, incident_id in enumerate(joined.tolist()):
        if incident_id:
            group_fresh[row] = slot[incident_id]
    targets: list[Incident | None] = [*incidents, *([None] * plan.n_new)]
    settled = settle(
        actor=actor,
        members=ObsTable.concat([members, fresh]),
        group=np.concatenate([group_members, group_fresh]),
        targets=targets,
        membership_changed=[True] * len(targets),
        references=References(),
        places=places,
    )
    return JoinPlan(fresh, members, group_members, group_fresh, settled, touched)


@dataclass
class Joined:
    """What apply_join wrote: the incident of each fresh row, ledger entries, changes."""

    incident_of_fresh: list[Incident]
    entries: list[PendingEntry]
    changed: list[tuple[Incident, str | None]]


def apply_join(plan: JoinPlan) -> Joined:
    """Write the plan's incidents; the caller links the observations and chains the entries."""
    settled = plan.settled
    save_settled(settled)
    incident_of_fresh = []
    for k in plan.group_fresh.tolist():
        target = settled.incidents[k]
        assert isinstance(target, Incident)  # every target was given as an object
        incident_of_fresh.append(target)
    groups = np.concatenate([plan.group_members, plan.group_fresh])
    final = np.array([settled.pk(k) for k in range(plan.targets)], np.int64)
    incident_ids = final[groups]
    written = {i.pk for i in [*settled.created, *settled.updated]}
    members_of = members_by_incident(
        incident_ids, plan.members.public_id + plan.fresh.public_id, written
    )
    changed = [(i, None) for i in settled.created] + [
        (i, settled.previous_status.get(i.pk)) for i in settled.updated
    ]
    return Joined(incident_of_fresh, incident_entries(settled, members_of), changed)
