"""The words of an alert: a title and a plain-text message saying what, where and when.

Two halves, so an alert can be said again in any language:

- params: what the message says, as plain JSON values and no words (codes,
  counts, UTC times, names that have no translation, a settlement's names in
  each language). Made once, when the alert is raised, from the rows the
  batch already loaded; stored on the alert as `message_key` and
  `message_params`.
- render(key, params): the words, in the active language, reading nothing
  but the params.

The stored title and message are the render in the deployment's language
(LANGUAGE_CODE), made by compose() when the alert is raised and not in the
language of whoever's request happened to raise it: that text is chained in
the ledger, so it must not depend on a stranger's browser. People read
localized(alert): the same render in their own language, or the stored text
for alerts raised before params existed and whenever a render fails. Machine
channels (CAP's first <info>, the webhook, e-mail) carry the stored text.

A change to what a key's params hold needs a new key (`threshold.2`), with
the old renderer kept for the rows that carry the old one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from truce.alerts.evaluate import Candidate
from truce.alerts.models import Alert, RuleKind
from truce.alerts.proximity import place_names
from truce.core.models import Facility, Zone
from truce.lib.time import iso_utc, to_mission_time
from truce.monitoring.models import Incident

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

logger = logging.getLogger("truce.alerts")

Params = dict[str, Any]
# A settlement's names: "display" (the mission's own) and one per language that has one.
Names = Mapping[str, str]

KEYS: dict[str, str] = {
    RuleKind.VERIFIED_VIOLATION: "verified_violation.1",
    RuleKind.THRESHOLD: "threshold.1",
    RuleKind.CASUALTY: "casualty.1",
    RuleKind.PROXIMITY: "proximity.1",
    RuleKind.OP_SILENT: "op_silent.1",
}

# The model's choices carry English labels only; these are their translated faces
# (the same msgids as the monitoring screens'; a test holds them to the model).
TYPE_LABELS: dict[str, _StrPromise] = {
    "explosion_impact": gettext_lazy("Explosion: impact"),
    "explosion_airburst": gettext_lazy("Explosion: airburst"),
    "explosion_outgoing": gettext_lazy("Explosion: outgoing"),
    "explosion_undetermined": gettext_lazy("Explosion: undetermined"),
    "projectile_in_flight": gettext_lazy("Projectile in flight"),
    "muzzle_flash": gettext_lazy("Muzzle flash"),
    "illumination_flare": gettext_lazy("Illumination flare"),
    "bursts_and_shots": gettext_lazy("Bursts and shots"),
    "movement": gettext_lazy("Movement of weapons or troops"),
    "restriction_of_movement": gettext_lazy("Restriction of the mission's movement"),
    "provocation": gettext_lazy("Provocation"),
    "civilian_harm": gettext_lazy("Civilian harm"),
    "damage_to_mission_assets": gettext_lazy("Damage to mission assets"),
    "other": gettext_lazy("Other"),
}


@dataclass
class Refs:
    """Rows a batch of messages names, loaded in one query per model."""

    zones: dict[int, Zone] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)
    facilities: dict[int, Facility] = field(default_factory=dict)


@dataclass(frozen=True)
class Composed:
    """What alerts_raise stores: the key and params, and their render in LANGUAGE_CODE."""

    key: str
    params: Params
    title: str
    message: str


@dataclass(frozen=True)
class Text:
    """An alert's words as someone reads them, and the language they are in."""

    title: str
    message: str
    language: str


def when(value: dt.datetime) -> str:
    """Mission time with its offset, and UTC beside it."""
    local = to_mission_time(value)
    utc = value.astimezone(dt.UTC)
    return f"{local:%Y-%m-%d %H:%M} {local:%Z} ({utc:%Y-%m-%d %H:%M} UTC)"


def type_label(value: str) -> str:
    label = TYPE_LABELS.get(value)
    return str(label) if label is not None else value


def _base(language: str) -> str:
    return language.lower().split("-", 1)[0]


def _reading_language() -> str:
    return _base(translation.get_language() or settings.LANGUAGE_CODE)


def place_name(names: Names) -> str:
    """A settlement in the reader's language.

    In the deployment's own language, and in any language the settlement has
    no name in, the mission's display name: the name its records (and so
    the chained text) use.
    """
    language = _reading_language()
    if language != _base(settings.LANGUAGE_CODE):
        name = names.get(language)
        if name:
            return name
    return names["display"]


def _time(params: Mapping[str, Any], name: str) -> str:
    return when(dt.datetime.fromisoformat(params[name]))


# --- params: what a message says, without words -----------------------------------------------


def _observer(candidate: Candidate, refs: Refs) -> str | None:
    observation = candidate.observation
    if observation is None:
        return None
    post = refs.facilities.get(observation.observer_post_id or 0)
    if post is not None:
        return f"{post.name} ({post.code})"
    return observation.observer_label or None


def _common(candidate: Candidate, refs: Refs) -> Params:
    zone = refs.zones.get(candidate.zone_id or 0)
    return {
        "rule": candidate.rule.name,
        "zone": zone.name if zone is not None else None,
        "lat": None if candidate.lat is None else float(candidate.lat),
        "lon": None if candidate.lon is None else float(candidate.lon),
        "at": iso_utc(candidate.condition_at),
    }


def _verified_violation_params(candidate: Candidate, refs: Refs) -> Params:
    incident = candidate.incident or refs.incidents[candidate.incident_id or 0]
    settlement = incident.nearest_settlement
    near = None
    if settlement is not None and incident.settlement_distance_m is not None:
        near = {
            "names": dict(place_names(settlement)),
            "distance_m": float(incident.settlement_distance_m),
        }
    party = incident.responsible_party
    return {
        "type": incident.type,
        "incident": incident.reference,
        "observations": incident.observation_count,
        "started_at": iso_utc(incident.started_at),
        "near": near,
        "killed": incident.killed,
        "injured": incident.injured,
        "responsible_party": party.name if party is not None else None,
    }


def _threshold_params(candidate: Candidate, refs: Refs) -> Params:
    facts = candidate.facts
    return {
        "observations": facts["observations"],
        "count": facts["count"],
        "window_minutes": facts["window_minutes"],
        "types": list(facts["types"]),
        "first": facts["first"],
    }


def _casualty_params(candidate: Candidate, refs: Refs) -> Params:
    facts = candidate.facts
    incident = candidate.incident
    return {
        "type": facts["type"],
        "incident": incident.reference if incident is not None else None,
        "killed_military": facts["killed_military"],
        "killed_civilian": facts["killed_civilian"],
        "injured_military": facts["injured_military"],
        "injured_civilian": facts["injured_civilian"],
        "observer": _observer(candidate, refs),
    }


def _proximity_params(candidate: Candidate, refs: Refs) -> Params:
    facts = candidate.facts
    target = candidate.target
    names = dict(target.names) if target is not None and target.names else {}
    names.setdefault("display", facts["target_name"])
    return {
        "type": facts["type"],
        "target_kind": facts["target_kind"],
        "target_code": facts["target_code"],
        "target_names": names,
        "distance_m": facts["distance_m"],
        "limit_km": facts["limit_km"],
        "observer": _observer(candidate, refs),
    }


def _op_silent_params(candidate: Candidate, refs: Refs) -> Params:
    facts = candidate.facts
    post = candidate.facility or refs.facilities[candidate.facility_id or 0]
    return {
        "post": post.name,
        "post_code": post.code,
        "battalion": post.battalion or None,
        "hours": facts["hours"],
        "last_check_in": facts["last_check_in"],
        "reference_at": facts["reference_at"],
    }


PARAMS: dict[str, Callable[[Candidate, Refs], Params]] = {
    RuleKind.VERIFIED_VIOLATION: _verified_violation_params,
    RuleKind.THRESHOLD: _threshold_params,
    RuleKind.CASUALTY: _casualty_params,
    RuleKind.PROXIMITY: _proximity_params,
    RuleKind.OP_SILENT: _op_silent_params,
}


# --- render: the words, in the active language ---------------------------------------------------


def _zone_name(p: Mapping[str, Any]) -> str:
    return p["zone"] if p["zone"] is not None else _("no zone")


def _position(p: Mapping[str, Any]) -> str:
    if p["lat"] is None or p["lon"] is None:
        return ""
    return _("position %(lat).5f, %(lon).5f") % {"lat": p["lat"], "lon": p["lon"]}


def _observed_by(p: Mapping[str, Any]) -> str:
    return _("observed by %(post)s") % {"post": p["observer"]} if p["observer"] else ""


def _lines(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def _where(p: Mapping[str, Any], *extra: str) -> str:
    items = [_zone_name(p), *extra, _position(p)]
    return _("Where: %(where)s.") % {"where": "; ".join(i for i in items if i)}


def _verified_violation(p: Mapping[str, Any]) -> tuple[str, str]:
    kind = type_label(p["type"])
    title = _("Verified violation: %(type)s in %(zone)s") % {"type": kind, "zone": _zone_name(p)}
    near = ""
    if p["near"] is not None:
        near = _("%(km).1f km from %(place)s") % {
            "km": p["near"]["distance_m"] / 1000.0,
            "place": place_name(p["near"]["names"]),
        }
    casualties = ""
    if p["killed"] or p["injured"]:
        casualties = _("Casualties: %(killed)d killed, %(injured)d injured.") % {
            "killed": p["killed"],
            "injured": p["injured"],
        }
    responsible = ""
    if p["responsible_party"] is not None:
        responsible = _("Responsible party: %(party)s.") % {"party": p["responsible_party"]}
    message = _lines(
        _("What: verified ceasefire violation, %(type)s (incident %(ref)s, %(n)d observations).")
        % {"type": kind, "ref": p["incident"], "n": p["observations"]},
        _where(p, near),
        _("When: started %(start)s; verified %(verified)s.")
        % {"start": _time(p, "started_at"), "verified": _time(p, "at")},
        casualties,
        responsible,
    )
    return title, message


def _threshold(p: Mapping[str, Any]) -> tuple[str, str]:
    kinds = ", ".join(type_label(t) for t in p["types"])
    title = _("%(n)d observations of %(types)s in %(zone)s within %(minutes)d min") % {
        "n": p["observations"],
        "types": kinds,
        "zone": _zone_name(p),
        "minutes": p["window_minutes"],
    }
    message = _lines(
        _(
            "What: %(n)d observations of %(types)s within %(minutes)d minutes "
            "(the rule's threshold is %(count)d)."
        )
        % {
            "n": p["observations"],
            "types": kinds,
            "minutes": p["window_minutes"],
            "count": p["count"],
        },
        _where(p),
        _("When: from %(first)s to %(last)s.")
        % {"first": _time(p, "first"), "last": _time(p, "at")},
    )
    return title, message


def _casualty(p: Mapping[str, Any]) -> tuple[str, str]:
    killed = p["killed_military"] + p["killed_civilian"]
    injured = p["injured_military"] + p["injured_civilian"]
    kind = type_label(p["type"])
    title = _("Casualties: %(killed)d killed, %(injured)d injured (%(type)s, %(zone)s)") % {
        "killed": killed,
        "injured": injured,
        "type": kind,
        "zone": _zone_name(p),
    }
    reference = _(" (incident %(ref)s)") % {"ref": p["incident"]} if p["incident"] else ""
    message = _lines(
        _(
            "What: %(type)s%(reference)s with casualties: killed %(km)d military, "
            "%(kc)d civilian; injured %(im)d military, %(ic)d civilian."
        )
        % {
            "type": kind,
            "reference": reference,
            "km": p["killed_military"],
            "kc": p["killed_civilian"],
            "im": p["injured_military"],
            "ic": p["injured_civilian"],
        },
        _where(p, _observed_by(p)),
        _("When: %(when)s.") % {"when": _time(p, "at")},
    )
    return title, message


def _proximity(p: Mapping[str, Any]) -> tuple[str, str]:
    kind = type_label(p["type"])
    km = p["distance_m"] / 1000.0
    name = place_name(p["target_names"])
    if p["target_kind"] == "corridor":
        target = _("the corridor (%(name)s)") % {"name": name}
    else:
        target = f"{name} ({p['target_code']})"
    title = _("%(type)s %(km).1f km from %(target)s") % {"type": kind, "km": km, "target": target}
    message = _lines(
        _("What: %(type)s %(km).2f km from %(target)s (the rule's limit is %(limit)s km).")
        % {"type": kind, "km": km, "target": target, "limit": f"{p['limit_km']:g}"},
        _where(p, _observed_by(p)),
        _("When: %(when)s.") % {"when": _time(p, "at")},
    )
    return title, message


def _op_silent(p: Mapping[str, Any]) -> tuple[str, str]:
    hours = f"{p['hours']:g}"
    post = f"{p['post']} ({p['post_code']})"
    title = _("%(post)s silent for over %(hours)s h") % {"post": p["post"], "hours": hours}
    if p["last_check_in"]:
        what = _(
            "What: observation post %(post)s has not checked in since %(last)s "
            "(the rule allows %(hours)s h)."
        ) % {"post": post, "last": _time(p, "last_check_in"), "hours": hours}
    else:
        what = _(
            "What: observation post %(post)s has never checked in since it was registered "
            "on %(since)s (the rule allows %(hours)s h)."
        ) % {"post": post, "since": _time(p, "reference_at"), "hours": hours}
    message = _lines(
        what,
        _where(p, p["battalion"] or ""),
        _("When: silent beyond the limit since %(when)s.") % {"when": _time(p, "at")},
    )
    return title, message


RENDERERS: dict[str, Callable[[Mapping[str, Any]], tuple[str, str]]] = {
    KEYS[RuleKind.VERIFIED_VIOLATION]: _verified_violation,
    KEYS[RuleKind.THRESHOLD]: _threshold,
    KEYS[RuleKind.CASUALTY]: _casualty,
    KEYS[RuleKind.PROXIMITY]: _proximity,
    KEYS[RuleKind.OP_SILENT]: _op_silent,
}


def render(key: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """(title, message) of a message key and its params, in the active language."""
    title, message = RENDERERS[key](params)
    rule_line = _("Rule: %(rule)s.") % {"rule": params["rule"]}
    return title[:300], _lines(message, rule_line)


def compose(candidate: Candidate, refs: Refs) -> Composed:
    """The key, params and stored text (in LANGUAGE_CODE) of the alert a candidate becomes."""
    kind = RuleKind(candidate.rule.kind)
    params = {**_common(candidate, refs), **PARAMS[kind](candidate, refs)}
    key = KEYS[kind]
    with translation.override(settings.LANGUAGE_CODE):
        title, message = render(key, params)
    return Composed(key=key, params=params, title=title, message=message)


# --- reading -----------------------------------------------------------------------------------


def stored_text(alert: Alert) -> Text:
    """The text as raised and chained, in the deployment's language."""
    return Text(alert.title, alert.message, settings.LANGUAGE_CODE)


# Renders by (alert, key, language). The queue re-renders its rows for every
# duty officer's page on every change, and all of them read the same alerts in
# a few languages; an alert's key and params are written once, when it is
# raised (no later version changes them), so a render never goes stale.
_RENDERED_MAX = 4096
_rendered: dict[tuple[str, str, str], Text] = {}


def localized(alert: Alert, language: str | None = None) -> Text:
    """The alert's words in `language`, by default the active one (the reader's).

    Reads only the row's own columns. The deployment's language, an alert
    without params (raised before they were kept), a key this process does
    not know (a newer release wrote it), a language the deployment does not
    offer and a render that fails (a broken translation) all give the stored
    text, so a reader always sees words.
    """
    wanted = _base(language) if language else _reading_language()
    if wanted == _base(settings.LANGUAGE_CODE) or alert.message_key not in RENDERERS:
        return stored_text(alert)
    if wanted not in {_base(code) for code, _name in settings.LANGUAGES}:
        return stored_text(alert)  # no catalogue: its "render" would be LANGUAGE_CODE's words
    cache_key = (str(alert.public_id), alert.message_key, wanted)
    cached = _rendered.get(cache_key)
    if cached is not None:
        return cached
    try:
        if language is None:
            title, message = render(alert.message_key, alert.message_params)
        else:
            with translation.override(wanted):
                title, message = render(alert.message_key, alert.message_params)
    except Exception:
        logger.warning(
            "alert %s: no %s text (%s); showing the stored one",
            alert.public_id,
            wanted,
            alert.message_key,
            exc_info=True,
        )
        return stored_text(alert)
    text = Text(title, message, wanted)
    if len(_rendered) >= _RENDERED_MAX:
        _rendered.clear()
    _rendered[cache_key] = text
    return text
