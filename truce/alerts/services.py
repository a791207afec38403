"""Writes of prompt response: rules, and every step of an alert's life.

raise -> (escalate ...) -> acknowledge -> resolve, or auto-resolve: each step
is a new version of the alert written through truce.core.records, so each is
a ledger entry in the same transaction as the change. Views, the API, the
admin, the monitoring hooks and the tick command all come here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import translation
from django.utils.translation import gettext as _

from truce.alerts import channels, evaluate, rules
from truce.alerts.messages import Refs, compose, when
from truce.alerts.models import ACTIVE_STATUSES, CLOSED_STATUSES, Alert, AlertRule, AlertStatus
from truce.alerts.models import RuleKind as Kind
from truce.alerts.permissions import may_manage_rules, may_respond
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import Facility, Zone
from truce.core.records import record_create, record_delete, record_update
from truce.core.sharing import Scope, parse_visibility
from truce.ledger.cache import RecordsCache
from truce.ledger.selectors import TypeHead
from truce.ledger.services import PendingEntry, ledger_append_many, ledger_lock
from truce.lib.time import utcnow
from truce.monitoring.models import Incident
from truce.monitoring.services.bulk import Maker, insert_returning_ids
from truce.monitoring.services.payloads import PayloadBuilder

if TYPE_CHECKING:
    from truce.core.models import User

logger = logging.getLogger("truce.alerts")

Fields = Mapping[str, Any]
DEFAULT_CHAIN: list[list[Any]] = [["duty_officer", 15]]
ALERT_TYPE = Alert.ledger_type()
_make_alert = Maker(Alert)
_alert_payload = PayloadBuilder(Alert)
RULE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "params",
        "zone",
        "severity",
        "escalation",
        "recipients",
        "active",
        "description",
        "source",
        "confidence",
    }
)


# --- rules ---------------------------------------------------------------------------------


def ensure_rule_manager(actor: User | None) -> None:
    """Rules are kept by the mission's administrators and duty officers (None: the system)."""
    if actor is not None and not may_manage_rules(actor):
        raise PermissionDenied("only mission administrators and duty officers may change rules")


def _mission_only(visibility: Iterable[str] | str | None) -> None:
    if visibility is not None and parse_visibility(visibility) != {Scope.MISSION}:
        raise InvalidInput("alert rules are seen by the mission only", field="visibility")


def _clean_rule_fields(fields: Fields, current: AlertRule | None) -> dict[str, Any]:
    unknown = sorted(set(fields) - RULE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
    cleaned = dict(fields)
    if "zone" in cleaned and isinstance(cleaned["zone"], str):
        zone = Zone.objects.filter(code=cleaned["zone"], is_deleted=False).first()
        if zone is None:
            raise InvalidInput(f"unknown zone {cleaned['zone']!r}", field="zone")
        cleaned["zone"] = zone
    if current is None or "kind" in cleaned or "params" in cleaned:
        kind = cleaned.get("kind", current.kind if current else None)
        params = cleaned.get("params", current.params if current else {})
        if not kind:
            raise InvalidInput("a rule needs its kind", field="kind")
        cleaned["params"] = rules.clean_params(kind, params)
    if current is None or "escalation" in cleaned:
        cleaned["escalation"] = rules.clean_escalation(cleaned.get("escalation"))
    if "recipients" in cleaned:
        cleaned["recipients"] = rules.clean_recipients(cleaned["recipients"])
    if "active" in cleaned and not isinstance(cleaned["active"], bool):
        raise InvalidInput("active must be true or false", field="active")
    return cleaned


def alert_rule_create(
    *, actor: User | None, fields: Fields, visibility: Iterable[str] | str | None = None
) -> AlertRule:
    """A rule of one kind with validated parameters and an escalation chain."""
    ensure_rule_manager(actor)
    _mission_only(visibility)
    return record_create(actor=actor, model=AlertRule, fields=_clean_rule_fields(fields, None))


def alert_rule_update(
    *,
    actor: User | None,
    rule: AlertRule,
    expected_version: int | None,
    changes: Fields,
    visibility: Iterable[str] | str | None = None,
) -> AlertRule:
    """Change a rule; alerts already raised keep the chain they were raised with."""
    ensure_rule_manager(actor)
    _mission_only(visibility)
    return record_update(
        actor=actor,
        record=rule,
        expected_version=expected_version,
        changes=_clean_rule_fields(changes, rule),
    )


def alert_rule_delete(
    *, actor: User | None, rule: AlertRule, expected_version: int | None, reason: str = ""
) -> AlertRule:
    """Tombstone a rule: it raises nothing more; its alerts stay."""
    ensure_rule_manager(actor)
    return record_delete(actor=actor, record=rule, expected_version=expected_version, reason=reason)


def _all_active_rules() -> list[AlertRule]:
    return list(AlertRule.objects.filter(active=True, is_deleted=False).order_by("pk"))


# Every ingest asks for the rules; they change when someone edits one (a ledger entry).
RULE_TYPE = AlertRule.ledger_type()
_rules: RecordsCache[list[AlertRule]] = RecordsCache([RULE_TYPE], _all_active_rules)


def active_rules(
    kinds: Iterable[str], heads: Mapping[str, TypeHead] | None = None
) -> list[AlertRule]:
    """Active rules of the given kinds (kept per process until a rule is written)."""
    wanted = set(kinds)
    return [rule for rule in _rules.get(heads) if rule.kind in wanted]


# --- raising -------------------------------------------------------------------------------


def _refs(candidates: Sequence[evaluate.Candidate]) -> Refs:
    """The rows the messages name, one query per model."""
    zone_ids = {c.zone_id for c in candidates if c.zone_id}
    incident_ids = {c.incident_id for c in candidates if c.incident_id and c.incident is None}
    facility_ids = {c.facility_id for c in candidates if c.facility_id and c.facility is None}
    facility_ids |= {
        c.observation.observer_post_id
        for c in candidates
        if c.observation is not None and c.observation.observer_post_id
    }
    return Refs(
        zones=Zone.objects.in_bulk(zone_ids) if zone_ids else {},
        incidents=(
            Incident.objects.select_related("nearest_settlement", "responsible_party").in_bulk(
                incident_ids
            )
            if incident_ids
            else {}
        ),
        facilities=Facility.objects.in_bulk(facility_ids) if facility_ids else {},
    )


def _chain(rule: AlertRule) -> list[list[Any]]:
    return [list(step) for step in (rule.escalation or DEFAULT_CHAIN)]


def _level(chain: list[list[Any]], level: int, now: dt.datetime) -> dict[str, Any]:
    """Who an alert waits for at a level of its chain, and until when."""
    role, minutes = chain[level]
    return {
        "escalation_level": level,
        "current_role": role,
        "next_role": chain[level + 1][0] if level + 1 < len(chain) else "",
        "due_at": now + dt.timedelta(minutes=int(minutes)),
    }


def _build(candidate: evaluate.Candidate, refs: Refs, now: dt.datetime) -> Alert:
    """An unsaved alert for a candidate, its related rows attached (the payload reads them)."""
    rule = candidate.rule
    chain = _chain(rule)
    # The stored text and what renders it again in a reader's language, from one place.
    text = compose(candidate, refs)
    values: dict[str, Any] = {
        "rule_id": rule.pk,
        "kind": rule.kind,
        "severity": rule.severity,
        "title": text.title,
        "message": text.message,
        "message_key": text.key,
        "message_params": text.params,
        "details": candidate.facts,
        "zone_id": candidate.zone_id,
        "incident_id": candidate.incident_id,
        "observation_id": candidate.observation_id,
        "facility_id": candidate.facility_id,
        "lon": candidate.lon,
        "lat": candidate.lat,
        "condition_at": candidate.condition_at,
        "raised_at": now,
        "status": AlertStatus.OPEN,
        "escalation": chain,
        "dedup_key": candidate.dedup_key,
        "created_at": now,
        "updated_at": now,
        "created_by_id": None,
        "updated_by_id": None,
        **_level(chain, 0, now),
    }
    incident = candidate.incident or refs.incidents.get(candidate.incident_id or 0)
    facility = candidate.facility or refs.facilities.get(candidate.facility_id or 0)
    related = {
        "rule": rule,
        "zone": refs.zones.get(candidate.zone_id or 0),
        "incident": incident,
        "observation": candidate.observation,
        "facility": facility,
        "created_by": None,
        "updated_by": None,
        "acknowledged_by": None,
        "resolved_by": None,
    }
    return _make_alert(values, related)


def alerts_raise(
    candidates: Sequence[evaluate.Candidate], *, now: dt.datetime | None = None
) -> list[Alert]:
    """Raise an alert for each candidate whose condition has not raised one already.

    All of them in a few statements: a burst of reports near a village can
    raise dozens at once inside an ingest's transaction. The ledger head is
    locked first (it usually is already, by the ingest), so the check for an
    existing alert sees every earlier commit and no concurrent writer can
    raise the same condition in between: dedup_key's unique index is only
    the last line of defence.
    """
    if not candidates:
        return []
    now = now or utcnow()
    head = ledger_lock()
    keys = {c.dedup_key for c in candidates}
    existing = set(Alert.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    fresh: dict[str, evaluate.Candidate] = {}
    for candidate in candidates:
        if candidate.dedup_key not in existing:
            fresh.setdefault(candidate.dedup_key, candidate)
    if not fresh:
        return []
    refs = _refs(list(fresh.values()))
    # compose() writes the text in the deployment's language, whatever the
    # language of the request that raised it.
    alerts = [_build(candidate, refs, now) for candidate in fresh.values()]
    insert_returning_ids(alerts)
    ledger_append_many(
        actor=None,
        entries=[
            PendingEntry(
                action="raise",
                record_type=ALERT_TYPE,
                record_id=str(alert.public_id),
                record_version=1,
                payload=_alert_payload(alert),
            )
            for alert in alerts
        ],
        head=head,
    )
    for alert in alerts:
        channels.notify(alert, "alert.raised")
    return alerts


# --- answering -------------------------------------------------------------------------------


def _locked(alert: Alert) -> Alert:
    # The ledger head first, as every service does, then the row: one lock
    # order, so an answer and an ingest that resolves alerts cannot deadlock.
    ledger_lock()
    # of=self: answering an alert must not lock its rule against an edit.
    return Alert.objects.select_for_update(of=("self",)).select_related("rule").get(pk=alert.pk)


def _ensure_responder(actor: User | None, alert: Alert) -> None:
    if actor is not None and not may_respond(actor, alert):
        raise PermissionDenied(
            "only duty officers, administrators or the role the alert waits for may answer it"
        )


@transaction.atomic
def alert_acknowledge(*, actor: User | None, alert: Alert, now: dt.datetime | None = None) -> Alert:
    """Someone has it: escalation stops. Acknowledging twice changes nothing."""
    _ensure_responder(actor, alert)
    current = _locked(alert)
    if current.status == AlertStatus.ACKNOWLEDGED:
        return current
    if current.status in CLOSED_STATUSES:
        raise Conflict("the alert is already resolved", field="status")
    now = now or utcnow()
    return record_update(
        actor=actor,
        record=current,
        expected_version=current.version,
        changes={
            "status": AlertStatus.ACKNOWLEDGED,
            "acknowledged_by": actor,
            "acknowledged_at": now,
            "due_at": None,
        },
        action="acknowledge",
    )


@transaction.atomic
def alert_resolve(
    *, actor: User | None, alert: Alert, note: str = "", now: dt.datetime | None = None
) -> Alert:
    """The condition is dealt with. Resolving a resolved alert changes nothing."""
    _ensure_responder(actor, alert)
    current = _locked(alert)
    if current.status in CLOSED_STATUSES:
        return current
    now = now or utcnow()
    return record_update(
        actor=actor,
        record=current,
        expected_version=current.version,
        changes={
            "status": AlertStatus.RESOLVED,
            "resolved_by": actor,
            "resolved_at": now,
            "resolution": note.strip(),
            "due_at": None,
        },
        action="resolve",
    )


@transaction.atomic
def alert_auto_resolve(*, alert: Alert, reason: str, now: dt.datetime | None = None) -> Alert:
    """The condition ended by itself (an OP checked in again)."""
    current = _locked(alert)
    if current.status in CLOSED_STATUSES:
        return current
    return record_update(
        actor=None,
        record=current,
        expected_version=current.version,
        changes={
            "status": AlertStatus.AUTO_RESOLVED,
            "resolved_at": now or utcnow(),
            "resolution": reason,
            "due_at": None,
        },
        action="auto_resolve",
    )


# --- escalation and the tick ------------------------------------------------------------------


@transaction.atomic
def alert_escalate(*, alert: Alert, now: dt.datetime | None = None) -> Alert | None:
    """Pass an unacknowledged alert past its due time to the next role of its chain.

    None if, by the time the row is locked, it was acknowledged, resolved,
    or is no longer due (another tick got there first).
    """
    now = now or utcnow()
    current = _locked(alert)
    if (
        current.status != AlertStatus.OPEN
        or not current.next_role
        or current.due_at is None
        or current.due_at > now
    ):
        return None
    chain = current.escalation or _chain(current.rule)
    level = min(current.escalation_level + 1, len(chain) - 1)
    escalated = record_update(
        actor=None,
        record=current,
        expected_version=current.version,
        changes={**_level(chain, level, now), "escalated_at": now},
        action="escalate",
    )
    channels.notify(escalated, "alert.escalated")
    return escalated


def _due(now: dt.datetime) -> Any:
    return Alert.objects.filter(status=AlertStatus.OPEN, due_at__lte=now, is_deleted=False).exclude(
        next_role=""
    )


def alerts_escalate_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Escalate every open alert past its due time; returns how many moved.

    Cheap when nothing is due (one indexed EXISTS and no transaction), so the
    queue's poll can call it every second.
    """
    now = now or utcnow()
    due = _due(now)
    if not due.exists():
        return 0
    moved = 0
    for alert in list(due.order_by("due_at")[:limit]):
        if alert_escalate(alert=alert, now=now) is not None:
            moved += 1
    return moved


def alerts_check_silence(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Raise op_silent alerts for silent posts; auto-resolve those that checked in since.

    Returns (raised, resolved).
    """
    now = now or utcnow()
    resolved = 0
    active = (
        Alert.objects.filter(kind=Kind.OP_SILENT, status__in=ACTIVE_STATUSES, is_deleted=False)
        .exclude(facility=None)
        .annotate(
            last_check=Max(
                "facility__check_ins__checked_in_at",
                filter=Q(facility__check_ins__is_deleted=False),
            )
        )
    )
    for alert in active:
        last: dt.datetime | None = alert.last_check
        if last is not None and _checked_in_since(alert, last):
            alert_auto_resolve(alert=alert, reason=_checked_in_reason(last), now=now)
            resolved += 1
    candidates: list[evaluate.Candidate] = []
    for rule in active_rules([Kind.OP_SILENT]):
        candidates.extend(evaluate.silent_posts(rule, now))
    if not candidates:
        return 0, resolved
    with transaction.atomic():
        raised = alerts_raise(candidates, now=now)
    return len(raised), resolved


def _checked_in_since(alert: Alert, checked_in_at: dt.datetime) -> bool:
    reference = alert.details.get("last_check_in") or alert.details.get("reference_at")
    if not reference:
        return True
    return checked_in_at > dt.datetime.fromisoformat(reference)


def _checked_in_reason(checked_in_at: dt.datetime) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("The post checked in at %(when)s.") % {"when": when(checked_in_at)}


def resolve_silence(*, post_id: int, checked_in_at: dt.datetime) -> int:
    """A post checked in: its open silence alerts end. Returns how many."""
    resolved = 0
    active = Alert.objects.filter(
        kind=Kind.OP_SILENT, status__in=ACTIVE_STATUSES, facility_id=post_id, is_deleted=False
    )
    for alert in active:
        if _checked_in_since(alert, checked_in_at):
            alert_auto_resolve(alert=alert, reason=_checked_in_reason(checked_in_at))
            resolved += 1
    return resolved


@dataclass(frozen=True)
class TickResult:
    escalated: int
    raised: int
    resolved: int
    ran_at: dt.datetime


def alerts_tick(*, now: dt.datetime | None = None) -> TickResult:
    """What has to happen with time: escalations, and silent posts.

    Run every minute (`truce alerts tick` from cron or a systemd timer, or
    `truce alerts tick --loop`). Each escalation and each alert is its own
    short transaction, so a tick never holds the database for long.
    """
    now = now or utcnow()
    escalated = alerts_escalate_due(now=now)
    raised, resolved = alerts_check_silence(now=now)
    return TickResult(escalated=escalated, raised=raised, resolved=resolved, ran_at=now)
