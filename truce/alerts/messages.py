"""The words of an alert: a title and a plain-text message saying what, where and when.

Written once, when the alert is raised, in the deployment's language
(LANGUAGE_CODE), not the language of whoever's request happened to raise
it: the text is stored and chained in the ledger, so it must not depend on
a stranger's browser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from truce.alerts.evaluate import Candidate
from truce.alerts.models import RuleKind
from truce.core.models import Facility, Zone
from truce.lib.time import to_mission_time
from truce.monitoring.models import Incident, ObservationType


@dataclass
class Refs:
    """Rows a batch of messages names, loaded in one query per model."""

    zones: dict[int, Zone] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)
    facilities: dict[int, Facility] = field(default_factory=dict)


def when(value: dt.datetime) -> str:
    """Mission time with its offset, and UTC beside it."""
    local = to_mission_time(value)
    utc = value.astimezone(dt.UTC)
    return f"{local:%Y-%m-%d %H:%M} {local:%Z} ({utc:%Y-%m-%d %H:%M} UTC)"


def type_label(value: str) -> str:
    try:
        return str(ObservationType(value).label)
    except ValueError:
        return value


def _zone_name(candidate: Candidate, refs: Refs) -> str:
    zone = refs.zones.get(candidate.zone_id or 0)
    return zone.name if zone is not None else _("no zone")


def _position(candidate: Candidate) -> str:
    if candidate.lat is None or candidate.lon is None:
        return ""
    return _("position %(lat).5f, %(lon).5f") % {"lat": candidate.lat, "lon": candidate.lon}


def _observer(candidate: Candidate, refs: Refs) -> str:
    observation = candidate.observation
    if observation is None:
        return ""
    post = refs.facilities.get(observation.observer_post_id or 0)
    if post is not None:
        return _("observed by %(post)s") % {"post": f"{post.name} ({post.code})"}
    if observation.observer_label:
        return _("observed by %(post)s") % {"post": observation.observer_label}
    return ""


def _lines(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def _where(candidate: Candidate, refs: Refs, *extra: str) -> str:
    items = [_zone_name(candidate, refs), *extra, _position(candidate)]
    return _("Where: %(where)s.") % {"where": "; ".join(i for i in items if i)}


def _verified_violation(candidate: Candidate, refs: Refs) -> tuple[str, str]:
    incident = candidate.incident or refs.incidents[candidate.incident_id or 0]
    kind = type_label(incident.type)
    zone = _zone_name(candidate, refs)
    title = _("Verified violation: %(type)s in %(zone)s") % {"type": kind, "zone": zone}
    near = ""
    settlement = incident.nearest_settlement
    if settlement is not None and incident.settlement_distance_m is not None:
        near = _("%(km).1f km from %(place)s") % {
            "km": incident.settlement_distance_m / 1000.0,
            "place": settlement.display_name,
        }
    casualties = ""
    if incident.killed or incident.injured:
        casualties = _("Casualties: %(killed)d killed, %(injured)d injured.") % {
            "killed": incident.killed,
            "injured": incident.injured,
        }
    responsible = ""
    if incident.responsible_party is not None:
        responsible = _("Responsible party: %(party)s.") % {
            "party": incident.responsible_party.name
        }
    message = _lines(
        _("What: verified ceasefire violation, %(type)s (incident %(ref)s, %(n)d observations).")
        % {"type": kind, "ref": incident.reference, "n": incident.observation_count},
        _where(candidate, refs, near),
        _("When: started %(start)s; verified %(verified)s.")
        % {"start": when(incident.started_at), "verified": when(candidate.condition_at)},
        casualties,
        responsible,
    )
    return title, message


def _threshold(candidate: Candidate, refs: Refs) -> tuple[str, str]:
    facts = candidate.facts
    kinds = ", ".join(type_label(t) for t in facts["types"])
    zone = _zone_name(candidate, refs)
    first = dt.datetime.fromisoformat(facts["first"])
    title = _("%(n)d observations of %(types)s in %(zone)s within %(minutes)d min") % {
        "n": facts["observations"],
        "types": kinds,
        "zone": zone,
        "minutes": facts["window_minutes"],
    }
    message = _lines(
        _(
            "What: %(n)d observations of %(types)s within %(minutes)d minutes "
            "(the rule's threshold is %(count)d)."
        )
        % {
            "n": facts["observations"],
            "types": kinds,
            "minutes": facts["window_minutes"],
            "count": facts["count"],
        },
        _where(candidate, refs),
        _("When: from %(first)s to %(last)s.")
        % {"first": when(first), "last": when(candidate.condition_at)},
    )
    return title, message


def _casualty(candidate: Candidate, refs: Refs) -> tuple[str, str]:
    facts = candidate.facts
    killed = facts["killed_military"] + facts["killed_civilian"]
    injured = facts["injured_military"] + facts["injured_civilian"]
    kind = type_label(facts["type"])
    zone = _zone_name(candidate, refs)
    title = _("Casualties: %(killed)d killed, %(injured)d injured (%(type)s, %(zone)s)") % {
        "killed": killed,
        "injured": injured,
        "type": kind,
        "zone": zone,
    }
    incident = candidate.incident
    reference = (
        _(" (incident %(ref)s)") % {"ref": incident.reference} if incident is not None else ""
    )
    message = _lines(
        _(
            "What: %(type)s%(reference)s with casualties: killed %(km)d military, "
            "%(kc)d civilian; injured %(im)d military, %(ic)d civilian."
        )
        % {
            "type": kind,
            "reference": reference,
            "km": facts["killed_military"],
            "kc": facts["killed_civilian"],
            "im": facts["injured_military"],
            "ic": facts["injured_civilian"],
        },
        _where(candidate, refs, _observer(candidate, refs)),
        _("When: %(when)s.") % {"when": when(candidate.condition_at)},
    )
    return title, message


def _proximity(candidate: Candidate, refs: Refs) -> tuple[str, str]:
    facts = candidate.facts
    kind = type_label(facts["type"])
    km = facts["distance_m"] / 1000.0
    if facts["target_kind"] == "corridor":
        target = _("the corridor (%(name)s)") % {"name": facts["target_name"]}
    else:
        target = f"{facts['target_name']} ({facts['target_code']})"
    title = _("%(type)s %(km).1f km from %(target)s") % {"type": kind, "km": km, "target": target}
    message = _lines(
        _("What: %(type)s %(km).2f km from %(target)s (the rule's limit is %(limit)s km).")
        % {"type": kind, "km": km, "target": target, "limit": f"{facts['limit_km']:g}"},
        _where(candidate, refs, _observer(candidate, refs)),
        _("When: %(when)s.") % {"when": when(candidate.condition_at)},
    )
    return title, message


def _op_silent(candidate: Candidate, refs: Refs) -> tuple[str, str]:
    facts = candidate.facts
    post = candidate.facility or refs.facilities[candidate.facility_id or 0]
    hours = f"{facts['hours']:g}"
    title = _("%(post)s silent for over %(hours)s h") % {"post": post.name, "hours": hours}
    if facts["last_check_in"]:
        what = _(
            "What: observation post %(post)s has not checked in since %(last)s "
            "(the rule allows %(hours)s h)."
        ) % {
            "post": f"{post.name} ({post.code})",
            "last": when(dt.datetime.fromisoformat(facts["last_check_in"])),
            "hours": hours,
        }
    else:
        what = _(
            "What: observation post %(post)s has never checked in since it was registered "
            "on %(since)s (the rule allows %(hours)s h)."
        ) % {
            "post": f"{post.name} ({post.code})",
            "since": when(dt.datetime.fromisoformat(facts["reference_at"])),
            "hours": hours,
        }
    battalion = post.battalion or ""
    message = _lines(
        what,
        _where(candidate, refs, battalion),
        _("When: silent beyond the limit since %(when)s.") % {"when": when(candidate.condition_at)},
    )
    return title, message


COMPOSERS = {
    RuleKind.VERIFIED_VIOLATION: _verified_violation,
    RuleKind.THRESHOLD: _threshold,
    RuleKind.CASUALTY: _casualty,
    RuleKind.PROXIMITY: _proximity,
    RuleKind.OP_SILENT: _op_silent,
}


def compose(candidate: Candidate, refs: Refs) -> tuple[str, str]:
    """(title, message) of the alert a candidate becomes."""
    title, message = COMPOSERS[RuleKind(candidate.rule.kind)](candidate, refs)
    rule_line = _("Rule: %(rule)s.") % {"rule": candidate.rule.name}
    return title[:300], _lines(message, rule_line)
