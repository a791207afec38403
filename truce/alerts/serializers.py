"""Alerts and rules as plain JSON values, for the API and the webhook.

alert_payload is the machine face (the webhook): the stored text only, in
LANGUAGE_CODE, as chained in the ledger. alert_out is the API's: the same
plus the text in the request's language (title_local, message_local and
local_language, which says what language they are in).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from truce.alerts.messages import localized
from truce.alerts.models import Alert, AlertRule, AlertStatus
from truce.lib.time import iso_utc, utcnow


def _time(value: dt.datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def is_overdue(alert: Alert, now: dt.datetime | None = None) -> bool:
    """Open and past the time its current role had to acknowledge it."""
    if alert.status != AlertStatus.OPEN or alert.due_at is None:
        return False
    return alert.due_at <= (now or utcnow())


def alert_payload(alert: Alert) -> dict[str, Any]:
    """An alert with its subjects. Alerts are mission-only, so all subjects are shown."""
    zone = alert.zone
    incident = alert.incident
    observation = alert.observation
    facility = alert.facility
    return {
        "id": str(alert.public_id),
        "version": alert.version,
        "rule": {"id": str(alert.rule.public_id), "name": alert.rule.name},
        "kind": alert.kind,
        "severity": alert.severity,
        "status": alert.status,
        "title": alert.title,
        "message": alert.message,
        "details": alert.details,
        "raised_at": iso_utc(alert.raised_at),
        "condition_at": iso_utc(alert.condition_at),
        "escalation_level": alert.escalation_level,
        "escalated": alert.escalated,
        "current_role": alert.current_role,
        "next_role": alert.next_role or None,
        "due_at": _time(alert.due_at),
        "overdue": is_overdue(alert),
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by else None,
        "acknowledged_at": _time(alert.acknowledged_at),
        "resolved_by": alert.resolved_by.username if alert.resolved_by else None,
        "resolved_at": _time(alert.resolved_at),
        "resolution": alert.resolution,
        "zone": {"code": zone.code, "name": zone.name} if zone else None,
        "incident": (
            {"id": str(incident.public_id), "reference": incident.reference} if incident else None
        ),
        "observation": {"id": str(observation.public_id)} if observation else None,
        "facility": (
            {"id": str(facility.public_id), "code": facility.code, "name": facility.name}
            if facility
            else None
        ),
        "position": (
            {"lon": alert.lon, "lat": alert.lat}
            if alert.lon is not None and alert.lat is not None
            else None
        ),
        "url": alert.get_absolute_url(),
        "cap_url": reverse("api:alert_cap", kwargs={"public_id": alert.public_id}),
    }


def alert_out(alert: Alert) -> dict[str, Any]:
    """An alert for a person's client: alert_payload and its text in the active language.

    The stored title and message stay what they are (the chained text, as in
    CAP and the webhook), so a client that compares or signs them keeps working.
    """
    text = localized(alert)
    return {
        **alert_payload(alert),
        "title_local": text.title,
        "message_local": text.message,
        "local_language": text.language,
    }


def rule_out(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": str(rule.public_id),
        "version": rule.version,
        "name": rule.name,
        "kind": rule.kind,
        "params": rule.params,
        "zone": rule.zone.code if rule.zone else None,
        "severity": rule.severity,
        "escalation": rule.escalation,
        "recipients": rule.recipients,
        "active": rule.active,
        "description": rule.description,
        "created_at": iso_utc(rule.created_at),
        "updated_at": iso_utc(rule.updated_at),
    }
