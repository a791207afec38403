"""Grouping new observations into incidents in the background, beside the web processes.

Inline (the default; tests, the CLI, scenario loads) the ingest groups its
observations in its own transaction. In the background (TRUCE_GROUPING, or
under `truce serve`, which runs a grouper) the ingest stores observations
without an incident, checks the threshold rules, and commits: an OP's report
is durable and counted at once, and grouping, the costliest part of an
ingest, no longer holds the single write lock. A round of the grouper:

1. notes the ledger's last incident entry (its type head);
2. reads the pending observations (no incident yet, oldest first, at most a
   round's worth) and plans their incidents (joining.plan_join): reads only,
   so ingests go on meanwhile;
3. takes the write lock; if an incident was written since step 1 (a merge,
   a split, a regroup, a verification) or a pending observation changed, it
   plans again under the lock, so nothing is decided from a stale view;
4. writes the incidents, links the observations, chains the incidents'
   ledger entries and raises the casualty and proximity alerts (one per
   event, so they wait for the incidents).

A grouper that stops loses nothing: observations stay pending until one runs
again (`truce grouper` groups them, once or in a loop).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import close_old_connections, connection, transaction

from truce.alerts import hooks, proximity
from truce.alerts.models import RuleKind
from truce.ledger.selectors import type_heads
from truce.ledger.services import ledger_append_many, ledger_lock
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services import joining
from truce.monitoring.services.places import PLACE_TYPES, places_now
from truce.monitoring.services.table import CHUNK_IDS, member_rows

logger = logging.getLogger("truce.grouper")

INCIDENT_TYPE = Incident.ledger_type()
ROUND_LIMIT = 5_000
POLL_SECONDS = 0.05
EVENT_KINDS = (RuleKind.CASUALTY, RuleKind.PROXIMITY)

_background = False


def enable_background() -> None:
    """This process's ingests leave grouping to a grouper (truce serve runs one)."""
    global _background
    _background = True


def in_background() -> bool:
    return _background or settings.TRUCE_GROUPING == "background"


# --- one round ------------------------------------------------------------------------


def pending_exist() -> bool:
    """Whether any live observation waits for its incident (one indexed query)."""
    return Observation.objects.filter(incident__isnull=True, is_deleted=False).exists()


@dataclass
class _Round:
    ids: list[int]
    plan: joining.JoinPlan
    # Observations the event rules may concern, and the row of each in the plan.
    alerts: list[Observation]
    alert_rows: list[int]
    alert_plan: hooks.ObservationAlertPlan | None


def _pending(limit: int) -> tuple[list[int], list[Any]]:
    """Ids and observed_at of the oldest pending observations."""
    rows = list(
        Observation.objects.filter(incident__isnull=True, is_deleted=False)
        .order_by("observed_at", "id")
        .values_list("id", "observed_at")[:limit]
    )
    return [r[0] for r in rows], [r[1] for r in rows]


def _fresh_rows(ids: list[int]) -> list[tuple[Any, ...]]:
    by_id: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(ids), CHUNK_IDS):
        chunk = ids[start : start + CHUNK_IDS]
        for row in member_rows(Observation.objects.filter(id__in=chunk)):
            by_id[row[0]] = row
    return [by_id[i] for i in ids]


def _plan(limit: int) -> _Round | None:
    ids, times = _pending(limit)
    if not ids:
        return None
    heads = type_heads([*PLACE_TYPES, *hooks.PLAN_TYPES])
    plan = joining.plan_join(None, _fresh_rows(ids), times, places_now(heads))
    alerts, rows, alert_plan = _plan_alerts(plan, ids, heads)
    return _Round(ids, plan, alerts, rows, alert_plan)


def _plan_alerts(
    plan: joining.JoinPlan, ids: list[int], heads: dict[str, Any]
) -> tuple[list[Observation], list[int], hooks.ObservationAlertPlan | None]:
    """The casualty and proximity rules, and the few observations they may concern.

    Only observations with casualties, or with a position near one of the
    rules' targets, can raise such an alert: those are loaded as objects (the
    alerts name them); the round's other rows stay columns.
    """
    rules = hooks.services.active_rules(EVENT_KINDS, heads)
    if not rules:
        return [], [], None
    fresh = plan.fresh
    maybe = np.zeros(len(fresh), bool)
    if any(r.kind == RuleKind.CASUALTY for r in rules):
        maybe |= (fresh.killed + fresh.injured) > 0
    located = np.isfinite(fresh.lon) & np.isfinite(fresh.lat)
    for rule in rules:
        if rule.kind != RuleKind.PROXIMITY or not located.any():
            continue
        index = proximity.target_index(*hooks.target_key(rule.params), heads=heads)
        if index is None:
            continue
        where = np.flatnonzero(located)
        positions = list(zip(fresh.lon[where].tolist(), fresh.lat[where].tolist(), strict=True))
        distance_m = float(rule.params["distance_km"]) * 1000.0
        hits = index.nearest_within(positions, distance_m)
        maybe[where[[h is not None for h in hits]]] = True
    rows = np.flatnonzero(maybe).tolist()
    if not rows:
        return [], [], None
    loaded = Observation.objects.select_related("observer_post", "zone").defer(
        "zone__geometry", "observer_post__geometry"
    )
    by_id = {o.pk: o for o in loaded.filter(id__in=[ids[r] for r in rows])}
    observations = [by_id[ids[r]] for r in rows]
    return (
        observations,
        rows,
        hooks.plan_observation_alerts(observations, heads, kinds=EVENT_KINDS),
    )


def _unchanged(ids: Sequence[int], incidents_before: Any) -> bool:
    """Nothing that the plan read has been written since (checked under the lock)."""
    if type_heads([INCIDENT_TYPE])[INCIDENT_TYPE] != incidents_before:
        return False
    still = 0
    for start in range(0, len(ids), CHUNK_IDS):
        chunk = list(ids[start : start + CHUNK_IDS])
        still += Observation.objects.filter(
            id__in=chunk, incident__isnull=True, is_deleted=False
        ).count()
    return still == len(ids)


def _link(ids: Sequence[int], incidents: Sequence[Incident]) -> None:
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {q(Observation._meta.db_table)} SET {q('incident_id')} = %s "  # noqa: S608
        f"WHERE {q('id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(i.pk, o) for o, i in zip(ids, incidents, strict=True)])


def group_pending(*, limit: int = ROUND_LIMIT) -> int:
    """Group up to `limit` pending observations into incidents; returns how many.

    Plans outside the write lock and writes under it, planning again there if
    anything the plan read was written in between (see the module's notes).
    """
    before = type_heads([INCIDENT_TYPE])[INCIDENT_TYPE]
    planned = _plan(limit)
    if planned is None:
        return 0
    with transaction.atomic():
        head = ledger_lock()
        if not _unchanged(planned.ids, before):
            planned = _plan(limit)
            if planned is None:
                return 0
        joined = joining.apply_join(planned.plan)
        _link(planned.ids, joined.incident_of_fresh)
        ledger_append_many(actor=None, entries=joined.entries, head=head)
        for observation, row in zip(planned.alerts, planned.alert_rows, strict=True):
            observation.incident = joined.incident_of_fresh[row]
        if planned.alert_plan is not None:
            hooks.observations_recorded(
                planned.alerts, actor=None, plan=planned.alert_plan, kinds=EVENT_KINDS
            )
        for incident, previous in joined.changed:
            hooks.incident_changed(incident, actor=None, previous_status=previous)
    return len(planned.ids)


def group_all_pending(*, limit: int = ROUND_LIMIT) -> int:
    """Round after round until nothing is pending; returns how many were grouped."""
    total = 0
    while True:
        grouped = group_pending(limit=limit)
        if not grouped:
            return total
        total += grouped


# --- running beside the web processes ---------------------------------------------------


class Grouper:
    """Rounds whenever observations are pending: woken by this process's ingests,
    and polling for other processes' every POLL_SECONDS."""

    def __init__(self, *, poll: float = POLL_SECONDS, log: Callable[[str], None] | None = None):
        self.poll = poll
        self.log = log or logger.info
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Until stop(): a failed round is logged and tried again, never fatal."""
        while not self._stop.is_set():
            self._wake.clear()
            try:
                grouped = group_pending() if pending_exist() else 0
            except Exception:
                logger.exception("grouping round failed; trying again")
                grouped = 0
                time.sleep(1.0)
            finally:
                close_old_connections()
            if not grouped:
                self._wake.wait(self.poll)


_local: Grouper | None = None


def wake_local() -> None:
    """After an ingest's commit: a grouper in this process need not wait for its poll."""
    if _local is not None:
        _local.wake()


def start_thread(poll: float = POLL_SECONDS) -> Grouper:
    """A grouper on a daemon thread of this process (woken by its ingests)."""
    global _local
    grouper = Grouper(poll=poll)
    _local = grouper
    threading.Thread(target=grouper.run, name="truce-grouper", daemon=True).start()
    return grouper
