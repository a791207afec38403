"""What the monitoring services tell the alerting side, inside their transaction.

The monitoring app calls these after it has written observations, changed an
incident or recorded a check-in, so an alert is raised in the same
transaction as the write that caused it (and is visible the moment it commits).

Cost: one query for the active rules per call, whatever the batch size; then
a fixed number per rule (per rule and zone for thresholds, one for the
proximity targets' freshness); an alert's own write only when one is raised.

A failure in here is logged and undone (the work runs in a savepoint) rather
than failing the observation: losing a report because alerting broke would
be worse than a missing alert. In test mode it is raised, so bugs surface.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from truce.alerts import evaluate, proximity, services
from truce.alerts.models import AlertRule, RuleKind
from truce.alerts.rules import TARGET_SETTLEMENT
from truce.ledger.selectors import TypeHead, type_heads
from truce.monitoring.models import VIOLATION_TYPES, Incident, IncidentStatus, Observation

if TYPE_CHECKING:
    from truce.core.models import User
    from truce.monitoring.models import CheckIn

logger = logging.getLogger("truce.alerts")


@contextmanager
def _contained(hook: str) -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
    except Exception:
        if settings.TRUCE_MODE == "test":
            raise
        logger.exception("alert hook %s failed; the monitoring write goes on", hook)


def _incidents_of(observations: Sequence[Observation]) -> dict[int, Incident]:
    """The batch's incidents: those the grouping already attached, the rest in one query."""
    found: dict[int, Incident] = {}
    missing: set[int] = set()
    for observation in observations:
        if not observation.incident_id:
            continue
        cached = observation.incident if Observation.incident.is_cached(observation) else None
        if cached is not None:
            found[observation.incident_id] = cached
        else:
            missing.add(observation.incident_id)
    if missing:
        found.update(Incident.objects.in_bulk(missing))
    return found


def target_key(rule_params: dict[str, object]) -> tuple[str, tuple[str, ...] | None]:
    target = str(rule_params.get("target", TARGET_SETTLEMENT))
    pcodes = rule_params.get("settlements")
    return target, tuple(sorted(pcodes)) if isinstance(pcodes, list) and pcodes else None


@dataclass
class ObservationAlertPlan:
    """What the observation rules need that does not depend on the database's state.

    Made by plan_observation_alerts before the ingest takes its write lock:
    the active rules and each proximity rule's hits (the event positions
    within its distance of a target). Grouping, done under the lock, then
    decides which hits are one event.
    """

    rules: list[AlertRule]
    hits: dict[int, list[evaluate.Located]] = field(default_factory=dict)


PLAN_TYPES = (services.RULE_TYPE, *proximity.TARGET_TYPES)


def plan_observation_alerts(
    observations: Sequence[Observation],
    heads: Mapping[str, TypeHead] | None = None,
    kinds: Iterable[str] = evaluate.OBSERVATION_KINDS,
) -> ObservationAlertPlan:
    """The rules (of the given kinds) and proximity hits for observations about to be written.

    `heads` (truce.ledger.selectors.type_heads of PLAN_TYPES, or more) lets
    a caller check every cache it reads with one query.
    """
    if heads is None:
        heads = type_heads(PLAN_TYPES)
    rules = services.active_rules(kinds, heads)
    plan = ObservationAlertPlan(rules=rules)
    indexes: dict[tuple[str, tuple[str, ...] | None], proximity.TargetIndex | None] = {}
    for rule in rules:
        if rule.kind != RuleKind.PROXIMITY:
            continue
        key = target_key(rule.params)
        if key not in indexes:
            indexes[key] = proximity.target_index(*key, heads=heads)
        plan.hits[rule.pk] = evaluate.proximity_hits(rule, observations, indexes[key])
    return plan


def observations_recorded(
    observations: Sequence[Observation],
    *,
    actor: User | None,
    plan: ObservationAlertPlan | None = None,
    kinds: Iterable[str] = evaluate.OBSERVATION_KINDS,
) -> None:
    """New observations were written, or grouped (one request's or round's worth).

    Evaluates the rules of the given kinds (threshold, casualty, proximity by
    default) over the batch; with a plan made beforehand, its rules and
    proximity hits are used. Casualty and proximity alerts are one per event,
    so they need the observations' incidents: where grouping is done in the
    background, the ingest asks for thresholds and the grouper for the rest.
    """
    live = [o for o in observations if not o.is_deleted]
    if not live:
        return
    with _contained("observations_recorded"):
        if plan is None:
            plan = plan_observation_alerts(live, kinds=kinds)
        if not plan.rules:
            return
        incidents: dict[int, Incident] | None = None
        candidates: list[evaluate.Candidate] = []
        written = {id(o) for o in live}
        for rule in plan.rules:
            if rule.kind == RuleKind.THRESHOLD:
                candidates += evaluate.threshold(rule, live)
                continue
            if incidents is None:
                incidents = _incidents_of(live)
            if rule.kind == RuleKind.CASUALTY:
                candidates += evaluate.casualty(rule, live, incidents)
            elif rule.kind == RuleKind.PROXIMITY:
                # A plan may cover items that turned out to be resends: only these count.
                hits = [h for h in plan.hits.get(rule.pk, []) if id(h[0]) in written]
                candidates += evaluate.proximity(rule, live, incidents, None, hits)
        services.alerts_raise(candidates)


def incident_changed(
    incident: Incident, *, actor: User | None, previous_status: str | None
) -> None:
    """An incident was created, regrouped, or changed status (e.g. verified).

    Evaluates the verified_violation rules when the incident has just become
    a verified violation; anything else costs no query.
    """
    if incident.status != IncidentStatus.VERIFIED or incident.type not in VIOLATION_TYPES:
        return
    if previous_status == IncidentStatus.VERIFIED:
        return
    with _contained("incident_changed"):
        candidates = [
            candidate
            for rule in services.active_rules([RuleKind.VERIFIED_VIOLATION])
            if (candidate := evaluate.verified_violation(rule, incident)) is not None
        ]
        services.alerts_raise(candidates)


def check_in_recorded(check_in: CheckIn, *, actor: User | None) -> None:
    """An OP checked in: its open silence alerts are resolved automatically."""
    if check_in.is_deleted:
        return
    with _contained("check_in_recorded"):
        services.resolve_silence(post_id=check_in.post_id, checked_in_at=check_in.checked_in_at)
