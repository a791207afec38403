"""An incident's derived fields, computed from its observations, many incidents at once.

* position, method and uncertainty: see positions.py;
* zone: the zone containing the position, else the zone most of its
  observations were made in;
* nearest settlement and the geodesic distance to it (any settlement: the
  incident is the mission's record; selectors hide what a reader may not see);
* started_at / ended_at: first and last observation;
* killed / injured: the largest figure any one observation reports, since
  several observers of one event report the same casualties;
* type: the type most of its observations report (a tie goes to the more
  severe type);
* visibility: the scopes every one of its observations is shared with, so no
  one learns of an incident through an observation they may not see;
* severity (the rule, highest that applies):
  - critical: anyone killed, or five or more injured;
  - high: anyone injured; civilian harm or damage to mission assets; or ten
    or more events of fire (explosions, projectiles, flashes, shots) in one
    observation;
  - medium: any other ceasefire violation type, or a restriction of the
    mission's movement;
  - low: illumination flares and other reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truce.monitoring.models import ObservationType, Severity
from truce.monitoring.services.places import Places, places_now
from truce.monitoring.services.positions import METHODS, FixParams, incident_fixes
from truce.monitoring.services.table import TYPES, ObsTable

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SEVERITIES: tuple[str, ...] = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
LOW, MEDIUM, HIGH, CRITICAL = range(4)
_HIGH_TYPES = {ObservationType.CIVILIAN_HARM, ObservationType.DAMAGE_TO_MISSION_ASSETS}
_LOW_TYPES = {ObservationType.ILLUMINATION_FLARE, ObservationType.OTHER}
_FIRE_TYPES = {
    ObservationType.EXPLOSION_IMPACT,
    ObservationType.EXPLOSION_AIRBURST,
    ObservationType.EXPLOSION_OUTGOING,
    ObservationType.EXPLOSION_UNDETERMINED,
    ObservationType.PROJECTILE_IN_FLIGHT,
    ObservationType.MUZZLE_FLASH,
    ObservationType.BURSTS_AND_SHOTS,
}
TYPE_SEVERITY = np.array(
    [HIGH if t in _HIGH_TYPES else LOW if t in _LOW_TYPES else MEDIUM for t in TYPES], np.int64
)
TYPE_IS_FIRE = np.array([t in _FIRE_TYPES for t in TYPES], bool)
MANY_EVENTS = 10
MANY_INJURED = 5


@dataclass(frozen=True)
class Derived:
    """Per group: every field of an incident that its observations decide."""

    lon: FloatArray
    lat: FloatArray
    uncertainty: FloatArray
    method: list[str]
    zone: IntArray
    settlement: IntArray
    settlement_distance: FloatArray
    started: IntArray  # microseconds since 1970
    ended: IntArray
    observation_count: IntArray
    killed: IntArray
    injured: IntArray
    severity: list[str]
    type: list[str]
    share: npt.NDArray[np.bool_]


def _group_max(g: IntArray, n: int, values: IntArray) -> IntArray:
    out = np.zeros(n, np.int64)
    np.maximum.at(out, g, values)
    return out


def _mode(g: IntArray, n: int, values: IntArray, weights: IntArray, tie: IntArray) -> IntArray:
    """Per group, the value with the largest weight (ties: larger tie-break, then smaller value)."""
    codes, inverse = np.unique(values, return_inverse=True)
    k = codes.size
    tally = np.bincount(g * k + inverse, weights.astype(float), n * k).reshape(n, k)
    score = tally * (int(tie.max(initial=0)) + 2) + np.where(tally > 0, tie[codes] + 1, 0)
    return np.asarray(codes[np.argmax(score, axis=1)], np.int64)


def derive(
    table: ObsTable,
    group: npt.ArrayLike,
    n_groups: int,
    params: FixParams,
    places: Places | None = None,
) -> Derived:
    """Derived fields of n_groups incidents; group[i] is the incident of row i."""
    g = np.asarray(group, np.int64)
    n = n_groups
    places = places or places_now()
    fixes = incident_fixes(table, g, n, params)
    zones = places.zones.zones_at(fixes.lon, fixes.lat)
    if len(table):
        counted = (table.zone > 0).astype(np.int64)
        majority = _mode(g, n, table.zone, counted, np.zeros(int(table.zone.max()) + 1, np.int64))
        zones = np.where(zones > 0, zones, majority)
    settlement, distance = places.settlements.nearest(fixes.lon, fixes.lat)
    started = np.full(n, np.iinfo(np.int64).max, np.int64)
    ended = np.full(n, np.iinfo(np.int64).min, np.int64)
    np.minimum.at(started, g, table.t)
    np.maximum.at(ended, g, table.t)
    killed = _group_max(g, n, table.killed)
    injured = _group_max(g, n, table.injured)
    fire_events = _group_max(g, n, np.where(TYPE_IS_FIRE[table.type], table.count, 0))
    severity = _group_max(g, n, TYPE_SEVERITY[table.type])
    severity = np.where(
        (injured > 0) | (fire_events >= MANY_EVENTS), np.maximum(severity, HIGH), severity
    )
    severity = np.where((killed > 0) | (injured >= MANY_INJURED), CRITICAL, severity)
    ones = np.ones(len(table), np.int64)
    dominant = _mode(g, n, table.type, ones, TYPE_SEVERITY) if len(table) else np.zeros(n, np.int64)
    hidden = np.zeros((n, 4), bool)
    for col in range(4):
        hidden[:, col] = np.bincount(g, (~table.share[:, col]).astype(float), n) > 0
    return Derived(
        lon=fixes.lon,
        lat=fixes.lat,
        uncertainty=fixes.uncertainty,
        method=[METHODS[m] for m in fixes.method],
        zone=zones,
        settlement=settlement,
        settlement_distance=distance,
        started=started,
        ended=ended,
        observation_count=np.bincount(g, None, n).astype(np.int64),
        killed=killed,
        injured=injured,
        severity=[SEVERITIES[s] for s in severity],
        type=[TYPES[t] for t in dominant],
        share=~hidden,
    )
