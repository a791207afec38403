"""An alert as a CAP 1.2 message (OASIS Common Alerting Protocol).

Built with xml.etree, which escapes every text node, so a message or a
place name cannot break out of its element. Each version of an alert is one
CAP message: version 1 is an "Alert", later versions (escalated,
acknowledged, resolved) are "Update"s that reference the first. Elements
appear in the order the CAP 1.2 schema requires.

The first <info> is the stored text in the deployment's language, as chained
in the ledger. CAP carries one <info> per language (3.2.2: "multiple
occurrences are permitted"; each names its own <language>), so one follows
for each other language the deployment offers, rendered from the alert's
params; alerts raised before params were kept have the first one only.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from truce.alerts.messages import Text, localized, stored_text
from truce.alerts.models import Alert, AlertStatus, RuleKind

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CONTENT_TYPE = "application/cap+xml"

# CAP severities, from the mission's own scale.
SEVERITY = {"critical": "Extreme", "high": "Severe", "medium": "Moderate", "low": "Minor"}
# Something observed is "Observed"; a post's silence only makes trouble "Likely".
CERTAINTY = {RuleKind.OP_SILENT: "Likely"}
# Said in each <info>'s own language.
EVENTS: dict[str, _StrPromise] = {
    RuleKind.VERIFIED_VIOLATION: gettext_lazy("Verified ceasefire violation"),
    RuleKind.THRESHOLD: gettext_lazy("Observations over threshold"),
    RuleKind.CASUALTY: gettext_lazy("Casualties reported"),
    RuleKind.OP_SILENT: gettext_lazy("Observation post silent"),
    RuleKind.PROXIMITY: gettext_lazy("Event near a settlement or the corridor"),
}
INSTRUCTION = gettext_lazy("Acknowledge in the duty-officer queue.")
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


def _info(root: ET.Element, alert: Alert, text: Text, web_url: str | None) -> None:
    """One <info>: the alert in one language (the active one, for its event and instruction)."""
    info = _sub(root, "info")
    _sub(info, "language", text.language)
    _sub(info, "category", "Security")
    event = EVENTS.get(RuleKind(alert.kind))
    _sub(info, "event", str(event) if event is not None else alert.kind)
    _sub(info, "responseType", "Monitor" if alert.is_active else "AllClear")
    _sub(info, "urgency", "Immediate" if alert.is_active else "Past")
    _sub(info, "severity", SEVERITY.get(alert.severity, "Unknown"))
    _sub(info, "certainty", CERTAINTY.get(RuleKind(alert.kind), "Observed"))
    _sub(info, "onset", cap_time(alert.condition_at))
    _sub(info, "senderName", "Truce duty-officer queue")
    _sub(info, "headline", text.title)
    _sub(info, "description", text.message)
    if alert.is_active:
        _sub(info, "instruction", str(INSTRUCTION))
    if web_url:
        _sub(info, "web", web_url)
    _parameters(info, alert)
    _area(info, alert)


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

    with translation.override(settings.LANGUAGE_CODE):
        _info(root, alert, stored_text(alert), web_url)
    for language, _name in settings.LANGUAGES:
        if language == settings.LANGUAGE_CODE:
            continue
        text = localized(alert, language)
        # The stored text again (no params, or no render) would only repeat the first.
        if text.language == language:
            with translation.override(language):
                _info(root, alert, text, web_url)
    return ET.tostring(
        root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NAMESPACE
    )
