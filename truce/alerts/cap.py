"""An alert as a CAP 1.2 message (OASIS Common Alerting Protocol).

Built with xml.etree, which escapes every text node, so a message or a
place name cannot break out of its element. Each version of an alert is one
CAP message: version 1 is an "Alert", later versions (escalated,
acknowledged, resolved) are "Update"s that reference the first. Elements
appear in the order the CAP 1.2 schema requires.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from django.conf import settings

from truce.alerts.models import Alert, AlertStatus, RuleKind

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CONTENT_TYPE = "application/cap+xml"

# CAP severities, from the mission's own scale.
SEVERITY = {"critical": "Extreme", "high": "Severe", "medium": "Moderate", "low": "Minor"}
# Something observed is "Observed"; a post's silence only makes trouble "Likely".
CERTAINTY = {RuleKind.OP_SILENT: "Likely"}
EVENTS = {
    RuleKind.VERIFIED_VIOLATION: "Verified ceasefire violation",
    RuleKind.THRESHOLD: "Observations over threshold",
    RuleKind.CASUALTY: "Casualties reported",
    RuleKind.OP_SILENT: "Observation post silent",
    RuleKind.PROXIMITY: "Event near a settlement or the corridor",
}
# Demo data is an exercise and tests are tests: no one may mistake them for real.
STATUS_BY_MODE = {"production": "Actual", "demo": "Exercise", "test": "Test"}


def cap_time(value: dt.datetime) -> str:
    """CAP dateTime: seconds and an explicit offset ("Z" is not allowed)."""
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def sender() -> str:
    return str(getattr(settings, "TRUCE_CAP_SENDER", "") or "truce@mission.invalid")


def identifier(alert: Alert, version: int | None = None) -> str:
    return f"truce-alert-{alert.public_id}-v{version or alert.version}"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NAMESPACE}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _area(info: ET.Element, alert: Alert) -> None:
    names = []
    if alert.facility is not None:
        names.append(f"{alert.facility.name} ({alert.facility.code})")
    if alert.zone is not None:
        names.append(alert.zone.name)
    area = _sub(info, "area")
    _sub(area, "areaDesc", "; ".join(names) or "Mission area")
    if alert.lat is not None and alert.lon is not None:
        # A point as a circle of radius 0 km: "lat,lon radius".
        _sub(area, "circle", f"{alert.lat:.6f},{alert.lon:.6f} 0")


def _parameters(info: ET.Element, alert: Alert) -> None:
    values = {
        "truceStatus": alert.status,
        "truceEscalationLevel": str(alert.escalation_level),
        "truceWaitingFor": alert.current_role if alert.is_active else "",
        "truceRule": alert.rule.name,
    }
    if alert.incident is not None:
        values["truceIncident"] = alert.incident.reference
    for name, value in values.items():
        if not value:
            continue
        parameter = _sub(info, "parameter")
        _sub(parameter, "valueName", name)
        _sub(parameter, "value", value)


def alert_cap(alert: Alert, *, web_url: str | None = None) -> bytes:
    """The alert's current version as CAP 1.2 XML (UTF-8, with declaration)."""
    root = ET.Element(f"{{{CAP_NAMESPACE}}}alert")
    _sub(root, "identifier", identifier(alert))
    _sub(root, "sender", sender())
    _sub(root, "sent", cap_time(alert.updated_at))
    _sub(root, "status", STATUS_BY_MODE.get(str(settings.TRUCE_MODE), "Actual"))
    _sub(root, "msgType", "Alert" if alert.version == 1 else "Update")
    _sub(root, "source", "Truce")
    # Mission-only: CAP's "Restricted" with the restriction spelled out.
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", "Mission only; not for the parties or the public.")
    if alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by is not None:
        _sub(root, "note", f"Acknowledged by {alert.acknowledged_by.username}")
    elif alert.status in (AlertStatus.RESOLVED, AlertStatus.AUTO_RESOLVED):
        _sub(root, "note", alert.resolution or "Resolved")
    if alert.version > 1:
        first = ",".join([sender(), identifier(alert, 1), cap_time(alert.created_at)])
        _sub(root, "references", first)
    _sub(root, "incidents", str(alert.public_id))

    info = _sub(root, "info")
    _sub(info, "language", settings.LANGUAGE_CODE)
    _sub(info, "category", "Security")
    _sub(info, "event", EVENTS.get(RuleKind(alert.kind), alert.kind))
    _sub(info, "responseType", "Monitor" if alert.is_active else "AllClear")
    _sub(info, "urgency", "Immediate" if alert.is_active else "Past")
    _sub(info, "severity", SEVERITY.get(alert.severity, "Unknown"))
    _sub(info, "certainty", CERTAINTY.get(RuleKind(alert.kind), "Observed"))
    _sub(info, "onset", cap_time(alert.condition_at))
    _sub(info, "senderName", "Truce duty-officer queue")
    _sub(info, "headline", alert.title)
    _sub(info, "description", alert.message)
    if alert.is_active:
        _sub(info, "instruction", "Acknowledge in the duty-officer queue.")
    if web_url:
        _sub(info, "web", web_url)
    _parameters(info, alert)
    _area(info, alert)
    return ET.tostring(
        root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NAMESPACE
    )
