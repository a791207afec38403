"""Rule evaluation: which conditions hold, as candidates for an alert.

Each function reads what it needs in a fixed number of queries per rule (and
per zone for thresholds), whatever the number of observations, and returns
candidates carrying their dedup key. Whether a candidate becomes an alert
(it may exist already) is decided by services.alerts_raise.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max, Q

from truce.alerts.models import Alert, AlertRule, RuleKind
from truce.alerts.proximity import Target, TargetIndex
from truce.core.models import Facility, FacilityKind
from truce.lib.time import iso_utc
from truce.monitoring.models import VIOLATION_TYPES, Incident, IncidentStatus, Observation


@dataclass
class Candidate:
    """A condition that holds, with everything an alert about it needs."""

    rule: AlertRule
    dedup_key: str
    condition_at: dt.datetime
    facts: dict[str, Any]
    zone_id: int | None = None
    incident_id: int | None = None
    observation_id: int | None = None
    facility_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    # Rows the message names, when the evaluation already has them.
    observation: Observation | None = field(default=None, repr=False)
    incident: Incident | None = field(default=None, repr=False)
    facility: Facility | None = field(default=None, repr=False)
    target: Target | None = field(default=None, repr=False)


def _key(rule: AlertRule, *parts: object) -> str:
    return ":".join([rule.kind, str(rule.public_id), *(str(p) for p in parts)])


def dedup_key(rule: AlertRule, subject: str) -> str:
    """The key of a casualty or proximity alert about one subject ("incident:<id>")."""
    return _key(rule, subject)


def _in_zone(rule: AlertRule, zone_id: int | None) -> bool:
    return rule.zone_id is None or rule.zone_id == zone_id


def _types_match(rule: AlertRule, observation_type: str) -> bool:
    types = rule.params.get("types") or []
    return not types or observation_type in types


def _subject_key(observation: Observation, incidents: dict[int, Incident]) -> str:
    """Several observers of one event are one condition: keyed by incident when grouped."""
    incident = incidents.get(observation.incident_id) if observation.incident_id else None
    if incident is not None:
        return f"incident:{incident.public_id}"
    return f"observation:{observation.public_id}"


def _position(observation: Observation) -> tuple[float, float] | None:
    lon, lat = observation.lon, observation.lat
    return None if lon is None or lat is None else (float(lon), float(lat))


# --- verified violation ---------------------------------------------------------------


def verified_violation(rule: AlertRule, incident: Incident) -> Candidate | None:
    """The incident is verified and its type is a ceasefire violation."""
    if incident.status != IncidentStatus.VERIFIED or incident.type not in VIOLATION_TYPES:
        return None
    if not _in_zone(rule, incident.zone_id) or not _types_match(rule, incident.type):
        return None
    return Candidate(
        rule=rule,
        dedup_key=_key(rule, "incident", incident.public_id),
        condition_at=incident.updated_at,
        facts={"incident": incident.reference, "type": incident.type},
        zone_id=incident.zone_id,
        incident_id=incident.pk,
        lon=incident.lon,
        lat=incident.lat,
        incident=incident,
    )


# --- casualties -------------------------------------------------------------------------


def _casualties(observation: Observation, civilian_only: bool) -> int:
    if civilian_only:
        return observation.killed_civilian + observation.injured_civilian
    return observation.casualties


def casualty(
    rule: AlertRule, observations: Sequence[Observation], incidents: dict[int, Incident]
) -> list[Candidate]:
    """Observations reporting killed or injured, one candidate per event."""
    minimum = int(rule.params.get("min_casualties", 1))
    civilian_only = bool(rule.params.get("civilian_only", False))
    best: dict[str, Observation] = {}
    for observation in observations:
        count = _casualties(observation, civilian_only)
        if count < minimum or not _in_zone(rule, observation.zone_id):
            continue
        subject = _subject_key(observation, incidents)
        held = best.get(subject)
        # Observers of one event report it once each: the fullest report speaks for it.
        if held is None or count > _casualties(held, civilian_only):
            best[subject] = observation
    candidates = []
    for subject, observation in best.items():
        position = _position(observation)
        candidates.append(
            Candidate(
                rule=rule,
                dedup_key=_key(rule, subject),
                condition_at=observation.observed_at,
                facts={
                    "killed_military": observation.killed_military,
                    "killed_civilian": observation.killed_civilian,
                    "injured_military": observation.injured_military,
                    "injured_civilian": observation.injured_civilian,
                    "type": observation.type,
                },
                zone_id=observation.zone_id,
                incident_id=observation.incident_id,
                observation_id=observation.pk,
                facility_id=observation.observer_post_id,
                lon=position[0] if position else None,
                lat=position[1] if position else None,
                observation=observation,
                incident=incidents.get(observation.incident_id or 0),
            )
        )
    return candidates


# --- proximity ------------------------------------------------------------------------------


Located = tuple[Observation, tuple[float, float], Any]


def proximity_hits(
    rule: AlertRule, observations: Sequence[Observation], index: TargetIndex | None
) -> list[Located]:
    """(observation, position, nearest target) for each event within the rule's distance.

    Needs only positions and targets, not the database's current state, so
    the ingest runs it before taking the write lock.
    """
    if index is None:
        return []
    distance_m = float(rule.params["distance_km"]) * 1000.0
    located: list[tuple[Observation, tuple[float, float]]] = []
    for observation in observations:
        position = _position(observation)
        if position is None or not _in_zone(rule, observation.zone_id):
            continue
        if _types_match(rule, observation.type):
            located.append((observation, position))
    hits = index.nearest_within([position for _o, position in located], distance_m)
    return [
        (observation, position, hit)
        for (observation, position), hit in zip(located, hits, strict=True)
        if hit is not None
    ]


def proximity(
    rule: AlertRule,
    observations: Sequence[Observation],
    incidents: dict[int, Incident],
    index: TargetIndex | None,
    hits: list[Located] | None = None,
) -> list[Candidate]:
    """Event positions within the rule's distance of a settlement or the corridor.

    One candidate per event (incident), the observation nearest the target
    speaking for it. `hits` may come from proximity_hits run beforehand.
    """
    if hits is None:
        hits = proximity_hits(rule, observations, index)
    nearest: dict[str, Located] = {}
    for observation, position, hit in hits:
        subject = _subject_key(observation, incidents)
        held = nearest.get(subject)
        if held is None or hit.distance_m < held[2].distance_m:
            nearest[subject] = (observation, position, hit)
    candidates = []
    for subject, (observation, position, hit) in nearest.items():
        candidates.append(
            Candidate(
                rule=rule,
                dedup_key=_key(rule, subject),
                condition_at=observation.observed_at,
                facts={
                    "type": observation.type,
                    "target_kind": hit.target.kind,
                    "target_code": hit.target.code,
                    "target_name": hit.target.name,
                    "distance_m": round(hit.distance_m, 1),
                    "limit_km": rule.params["distance_km"],
                },
                zone_id=observation.zone_id,
                incident_id=observation.incident_id,
                observation_id=observation.pk,
                facility_id=observation.observer_post_id,
                lon=position[0],
                lat=position[1],
                observation=observation,
                incident=incidents.get(observation.incident_id or 0),
                target=hit.target,
            )
        )
    return candidates


# --- thresholds ------------------------------------------------------------------------------


def _spans(
    times: Iterable[dt.datetime], width: dt.timedelta
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Merge [t - W, t + W] around each new time into disjoint spans."""
    spans: list[list[dt.datetime]] = []
    for moment in sorted(times):
        low, high = moment - width, moment + width
        if spans and low <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    return [(low, high) for low, high in spans]


def _bursts(
    stamps: list[dt.datetime], new: list[dt.datetime], count: int, width: dt.timedelta
) -> list[tuple[dt.datetime, dt.datetime, int]]:
    """Windows of at most `width` holding `count` or more stamps, one of them new.

    Returns (first, reached_at, observations) for each stamp at which the
    threshold is reached, in time order. `stamps` and `new` are sorted.
    """
    result = []
    start = 0
    for end, moment in enumerate(stamps):
        while moment - stamps[start] > width:
            start += 1
        held = end - start + 1
        if held < count:
            continue
        # The earliest window reaching the threshold at this stamp must hold a new one.
        first = stamps[end - count + 1]
        at = bisect.bisect_left(new, first)
        if at < len(new) and new[at] <= moment:
            result.append((first, moment, held))
    return result


def threshold(rule: AlertRule, observations: Sequence[Observation]) -> list[Candidate]:
    """N observations of the rule's types in one zone within W minutes.

    Counted in the database (the (zone, type, observed_at) index), so the
    observations of this very transaction count alongside earlier ones. A
    burst raises once: a later reach of the threshold within W of an alert
    already raised for the rule and zone is the same burst going on.
    """
    count = int(rule.params["count"])
    width = dt.timedelta(minutes=int(rule.params["window_minutes"]))
    types = list(rule.params["types"])
    by_zone: dict[int | None, list[dt.datetime]] = defaultdict(list)
    for observation in observations:
        if observation.type in types and _in_zone(rule, observation.zone_id):
            by_zone[observation.zone_id].append(observation.observed_at)
    candidates: list[Candidate] = []
    for zone_id, times in by_zone.items():
        new = sorted(times)
        earlier = _earlier_alerts(rule, zone_id, new[0] - 2 * width, new[-1] + 2 * width)
        for low, high in _spans(new, width):
            stamps = _stamps(zone_id, types, low, high)
            for first, reached, held in _bursts(stamps, new, count, width):
                if any(abs(reached - other) < width for other in earlier):
                    continue
                earlier.append(reached)
                bucket = int(reached.timestamp() // width.total_seconds())
                candidates.append(
                    Candidate(
                        rule=rule,
                        dedup_key=_key(rule, "zone", zone_id or "none", "bucket", bucket),
                        condition_at=reached,
                        facts={
                            "observations": held,
                            "count": count,
                            "window_minutes": int(rule.params["window_minutes"]),
                            "types": types,
                            "first": iso_utc(first),
                            "reached": iso_utc(reached),
                        },
                        zone_id=zone_id,
                    )
                )
    return candidates


# Plain SQL for the threshold's two reads: they run on every ingest, where the
# ORM's compiling of a query costs more than the indexed read itself.


def _zone_clause(zone_id: int | None) -> tuple[str, list[Any]]:
    q = connection.ops.quote_name
    if zone_id is None:
        return f"{q('zone_id')} IS NULL", []
    return f"{q('zone_id')} = %s", [zone_id]


def _moments(rows: list[tuple[Any, ...]]) -> list[dt.datetime]:
    # SQLite gives naive UTC text; PostgreSQL aware datetimes.
    out = []
    for (value,) in rows:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        out.append(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return out


def _at(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _earlier_alerts(
    rule: AlertRule, zone_id: int | None, low: dt.datetime, high: dt.datetime
) -> list[dt.datetime]:
    q = connection.ops.quote_name
    zone, params = _zone_clause(zone_id)
    sql = (
        f"SELECT {q('condition_at')} FROM {q(Alert._meta.db_table)} "  # noqa: S608
        f"WHERE {zone} AND {q('rule_id')} = %s AND {q('condition_at')} >= %s "
        f"AND {q('condition_at')} <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, rule.pk, _at(low), _at(high)])
        return sorted(_moments(cursor.fetchall()))


def _stamps(
    zone_id: int | None, types: list[str], low: dt.datetime, high: dt.datetime
) -> list[dt.datetime]:
    q = connection.ops.quote_name
    zone, params = _zone_clause(zone_id)
    marks = ", ".join(["%s"] * len(types))
    sql = (
        f"SELECT {q('observed_at')} FROM {q(Observation._meta.db_table)} "  # noqa: S608
        f"WHERE {zone} AND {q('type')} IN ({marks}) AND {q('observed_at')} >= %s "
        f"AND {q('observed_at')} <= %s AND NOT {q('is_deleted')} ORDER BY {q('observed_at')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *types, _at(low), _at(high)])
        return _moments(cursor.fetchall())


# --- silent observation posts ------------------------------------------------------------------


def silent_posts(rule: AlertRule, now: dt.datetime) -> list[Candidate]:
    """Observation posts that have not checked in for H hours (or ever, since registered)."""
    hours = float(rule.params["hours"])
    limit = now - dt.timedelta(hours=hours)
    posts = Facility.objects.filter(kind=FacilityKind.OBSERVATION_POST, is_deleted=False)
    if rule.zone_id is not None:
        posts = posts.filter(zone_id=rule.zone_id)
    posts = (
        posts.select_related("zone")
        .annotate(last_check=Max("check_ins__checked_in_at", filter=Q(check_ins__is_deleted=False)))
        .filter(Q(last_check__lte=limit) | Q(last_check__isnull=True, created_at__lte=limit))
        .order_by("code")
    )
    candidates = []
    for post in posts:
        last: dt.datetime | None = post.last_check
        reference = last or post.created_at
        period = iso_utc(last) if last else "never"
        candidates.append(
            Candidate(
                rule=rule,
                dedup_key=_key(rule, "post", post.public_id, "since", period),
                condition_at=reference + dt.timedelta(hours=hours),
                facts={
                    "hours": hours,
                    "last_check_in": iso_utc(last) if last else None,
                    "reference_at": iso_utc(reference),
                },
                zone_id=post.zone_id,
                facility_id=post.pk,
                lon=post.lon,
                lat=post.lat,
                facility=post,
            )
        )
    return candidates


OBSERVATION_KINDS = (RuleKind.THRESHOLD, RuleKind.CASUALTY, RuleKind.PROXIMITY)
