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

from truce.alerts import evaluate, hooks, proximity
from truce.alerts.models import Alert, RuleKind
from truce.ledger.selectors import type_heads
from truce.ledger.services import ledger_append_many, ledger_lock
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services import joining
from truce.monitoring.services.places import PLACE_TYPES, places_now
from truce.monitoring.services.table import TYPE_CODE, chunks, in_list, member_rows_where

logger = logging.getLogger("truce.grouper")

INCIDENT_TYPE = Incident.ledger_type()
ROUND_LIMIT = 5_000
# Rounds no oftener than this: a round has a fixed cost (about 10 ms), so waiting
# a tenth of a second lets a steady stream of reports share it, while an alert
# that waits for its incident still appears well within a second.
POLL_SECONDS = 0.1
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
    # The version of each pending observation the plan read (a correction makes a new one).
    versions: list[int]
    plan: joining.JoinPlan
    # Observations the event rules may concern, and the row of each in the plan.
    alerts: list[Observation]
    alert_rows: list[int]
    alert_plan: hooks.ObservationAlertPlan | None


def _pending(limit: int) -> tuple[list[int], list[Any], list[int]]:
    """Ids, observed_at and versions of the oldest pending observations."""
    rows = list(
        Observation.objects.filter(incident__isnull=True, is_deleted=False)
        .order_by("observed_at", "id")
        .values_list("id", "observed_at", "version")[:limit]
    )
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _fresh_rows(ids: list[int]) -> list[tuple[Any, ...]]:
    q = connection.ops.quote_name
    by_id: dict[int, tuple[Any, ...]] = {}
    for part in chunks(ids):
        for row in member_rows_where(f"o.{q('id')} IN ({in_list(len(part))})", part):
            by_id[row[0]] = row
    return [by_id[i] for i in ids]


def _plan(limit: int) -> _Round | None:
    ids, times, versions = _pending(limit)
    if not ids:
        return None
    heads = type_heads([*PLACE_TYPES, *hooks.PLAN_TYPES])
    plan = joining.plan_join(None, _fresh_rows(ids), times, places_now(heads))
    alerts, rows, alert_plan = _plan_alerts(plan, ids, heads)
    return _Round(ids, versions, plan, alerts, rows, alert_plan)


def _plan_alerts(
    plan: joining.JoinPlan, ids: list[int], heads: dict[str, Any]
) -> tuple[list[Observation], list[int], hooks.ObservationAlertPlan | None]:
    """The casualty and proximity rules, and the few observations that may raise one.

    The rules raise one alert per event: per rule and incident, only the
    report nearest a target (or, for casualties, those reporting any) can
    speak for it, and none once the incident has its alert. That is decided
    on the round's columns; only the surviving rows are loaded as objects (the
    alerts name them) and evaluated by the rules themselves (truce.alerts).
    """
    rules = hooks.services.active_rules(EVENT_KINDS, heads)
    if not rules:
        return [], [], None
    fresh = plan.fresh
    incidents = plan.settled.incidents
    subject = [f"incident:{_public_id(incidents[k])}" for k in plan.group_fresh.tolist()]
    wanted: dict[str, set[int]] = {}  # dedup key -> rows that may speak for it
    distances: dict[int, dict[int, tuple[Any, Any]]] = {}  # rule -> row -> (position, hit)
    for rule in rules:
        rows = np.flatnonzero(_in_zone(rule, fresh.zone))
        if rule.kind == RuleKind.CASUALTY:
            # Every military and civilian casualty: a superset for civilian-only rules.
            least = int(rule.params.get("min_casualties", 1))
            rows = rows[(fresh.killed[rows] + fresh.injured[rows]) >= least]
            for row in rows.tolist():
                wanted.setdefault(evaluate.dedup_key(rule, subject[row]), set()).add(row)
            continue
        nearest = _proximity_hits(rule, fresh, rows, heads)
        distances[rule.pk] = nearest
        best: dict[str, int] = {}
        for row, (_position, hit) in nearest.items():
            held = best.get(subject[row])
            if held is None or hit.distance_m < nearest[held][1].distance_m:
                best[subject[row]] = row
        for key_subject, row in best.items():
            wanted.setdefault(evaluate.dedup_key(rule, key_subject), set()).add(row)
    if not wanted:
        return [], [], None
    raised = set(
        Alert.objects.filter(dedup_key__in=list(wanted)).values_list("dedup_key", flat=True)
    )
    rows_needed = sorted({row for key, rows in wanted.items() if key not in raised for row in rows})
    if not rows_needed:
        return [], [], None
    loaded = Observation.objects.select_related("observer_post", "zone").defer(
        "zone__geometry", "observer_post__geometry"
    )
    by_id = {o.pk: o for o in loaded.filter(id__in=[ids[r] for r in rows_needed])}
    observations = [by_id[ids[r]] for r in rows_needed]
    alert_plan = hooks.ObservationAlertPlan(rules=rules)
    for rule in rules:
        if rule.kind == RuleKind.PROXIMITY:
            nearest = distances[rule.pk]
            alert_plan.hits[rule.pk] = [
                (o, *nearest[r])
                for o, r in zip(observations, rows_needed, strict=True)
                if r in nearest
            ]
    return observations, rows_needed, alert_plan


def _public_id(incident: Incident | int) -> str:
    assert isinstance(incident, Incident)  # joining gives every target as an object
    return str(incident.public_id)


def _in_zone(rule: Any, zones: Any) -> Any:
    return np.ones(len(zones), bool) if rule.zone_id is None else zones == rule.zone_id


def _proximity_hits(
    rule: Any, fresh: Any, rows: Any, heads: dict[str, Any]
) -> dict[int, tuple[Any, Any]]:
    """Row -> ((lon, lat), hit) for the rows within the rule's distance of its targets."""
    index = proximity.target_index(*hooks.target_key(rule.params), heads=heads)
    if index is None:
        return {}
    types = rule.params.get("types") or []
    if types:
        codes = [TYPE_CODE[t] for t in types if t in TYPE_CODE]
        rows = rows[np.isin(fresh.type[rows], codes)]
    rows = rows[np.isfinite(fresh.lon[rows]) & np.isfinite(fresh.lat[rows])]
    positions = list(zip(fresh.lon[rows].tolist(), fresh.lat[rows].tolist(), strict=True))
    hits = index.nearest_within(positions, float(rule.params["distance_km"]) * 1000.0)
    return {
        row: (position, hit)
        for row, position, hit in zip(rows.tolist(), positions, hits, strict=True)
        if hit is not None
    }


class _Stale(Exception):
    """A pending observation was grouped, corrected or withdrawn after the plan read it."""


def _link(ids: Sequence[int], versions: Sequence[int], incidents: Sequence[Incident]) -> None:
    """Point each observation at its incident, if it is still pending and at the version
    the plan read (else _Stale)."""
    q = connection.ops.quote_name
    sql = (
        f"UPDATE {q(Observation._meta.db_table)} SET {q('incident_id')} = %s "  # noqa: S608
        f"WHERE {q('id')} = %s AND {q('version')} = %s AND {q('incident_id')} IS NULL "
        f"AND NOT {q('is_deleted')}"
    )
    params = [(i.pk, o, v) for o, v, i in zip(ids, versions, incidents, strict=True)]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        linked = cursor.rowcount
    if linked != len(ids):
        raise _Stale(f"{len(ids) - linked} of {len(ids)} observations changed meanwhile")


def _apply(planned: _Round, head: Any) -> None:
    joined = joining.apply_join(planned.plan)
    _link(planned.ids, planned.versions, joined.incident_of_fresh)
    ledger_append_many(actor=None, entries=joined.entries, head=head)
    for observation, row in zip(planned.alerts, planned.alert_rows, strict=True):
        observation.incident = joined.incident_of_fresh[row]
    if planned.alert_plan is not None:
        hooks.observations_recorded(
            planned.alerts, actor=None, plan=planned.alert_plan, kinds=EVENT_KINDS
        )
    for incident, previous in joined.changed:
        hooks.incident_changed(incident, actor=None, previous_status=previous)


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
        if type_heads([INCIDENT_TYPE])[INCIDENT_TYPE] == before:
            try:
                with transaction.atomic():  # a savepoint: a stale plan leaves nothing
                    _apply(planned, head)
                return len(planned.ids)
            except _Stale:
                pass
        # Something the plan read has changed: plan again, now under the lock.
        planned = _plan(limit)
        if planned is None:
            return 0
        _apply(planned, ledger_lock())
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

    def __init__(
        self,
        *,
        poll: float = POLL_SECONDS,
        limit: int = ROUND_LIMIT,
        log: Callable[[str], None] | None = None,
    ):
        self.poll = poll
        self.limit = limit
        self.log = log or logger.info
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Until stop(): a failed round is logged and tried again, never fatal.

        After a round the grouper waits out its poll interval (or a wake-up),
        so a steady trickle of reports is grouped a tenth of a second's worth
        at a time; only a full round, a backlog, goes straight on to the next.
        """
        while not self._stop.is_set():
            self._wake.clear()
            started = time.monotonic()
            try:
                grouped = group_pending(limit=self.limit) if pending_exist() else 0
            except Exception:
                logger.exception("grouping round failed; trying again")
                grouped = 0
                time.sleep(1.0)
            finally:
                close_old_connections()
            if grouped < self.limit:
                self._wake.wait(max(0.0, self.poll - (time.monotonic() - started)))


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
