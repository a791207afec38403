"""Simulated observation streams for demos and benchmarks: pure Python, no database.

A Simulator turns a layout (observation posts with their positions and zones, and the
zones' outlines) and a seed into days of *true events* and what the posts would report
of them, as plain dicts in the ingest contract of `observation_record`:

* quiet activity: illumination flares (at night), single shots, movement (by day), the
  odd "other" event;
* exchanges of fire: a series of volleys around one point over up to an hour, the
  explosions reported by every post in sight, often with small-arms bursts nearby;
* every event is seen by each post within its visual (or audible) range: the bearing
  from the post to the true position (pyproj Geod, WGS 84) plus Gaussian noise of a few
  degrees, an estimated distance within 25 % of the truth, and a time off by up to a
  minute;
* party reports, filed by side A or side B: complaints, and casualties after some
  exchanges (with a position, as a party gives one);
* more activity at night than by day (mission time);
* OP check-ins every two hours; one OP goes silent from 8-14 hours into the day to its
  end (its radio is down: no check-ins, no reports): every day in the tense profile,
  some days in the mixed one, so a 6-hour silence rule fires on a tick at the day's end.

Profiles: "quiet" (flares, shots, movement, a rare complaint; no fire exchanges),
"tense" (at least one exchange a day, about three; casualties after a third of them),
"mixed" (quiet days, with an exchange about every other day). `scale` multiplies every
rate, for benchmarks (scale 500 gives some 45,000 observations a day).

The stream is deterministic: each day draws from its own generator seeded by (seed,
profile, the day's start), and each observation's client_uuid is a uuid5 of the same
and its index in the day, so running a day twice gives the same stream and recording it
twice writes nothing the second time. Each observation knows its true event, so tests
can ask whether grouping recovers the events and bearings fix their positions.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from truce.lib.bearings import GEOD

NAMESPACE = uuid.UUID("aa1eb480-16aa-556b-a0cb-61d52756d918")  # uuid5(URL, .../simulate)
DAY = dt.timedelta(days=1)
BEARING_NOISE_DEG = 2.5
DISTANCE_SD = 0.12  # relative error of a distance estimate, cut at DISTANCE_MAX_ERROR
DISTANCE_MAX_ERROR = 0.25
TIME_JITTER_S = 60
CHECK_IN_EVERY = dt.timedelta(hours=2)
# "Near a zone": within about 5 km of its outline (degrees, as the outlines are stored).
NEAR_ZONE_DEG = 0.05
# The mission shares its posts' reports with both sides and the agencies; party
# reports stay with their own side (the service adds it) and the mission.
OP_VISIBILITY = ("side_a", "side_b", "agencies")
SIDES = ("side_a", "side_b")
MISSION = "mission"
NIGHT_WEIGHT = 3.0
WEAPONS = ("mortar", "artillery", "automatic grenade launcher", "anti-tank weapon")
EXPLOSION_TYPES = (
    "explosion_impact",
    "explosion_undetermined",
    "explosion_outgoing",
    "explosion_airburst",
)
EXPLOSION_WEIGHTS = (0.45, 0.35, 0.15, 0.05)


@dataclass(frozen=True)
class Post:
    code: str
    lon: float
    lat: float
    zone: str | None = None
    role: str = "contact_line"


@dataclass(frozen=True)
class Layout:
    """Where the posts stand and what the zones cover (what a stream is drawn on)."""

    posts: tuple[Post, ...]
    zones: tuple[BaseGeometry, ...] = ()

    @classmethod
    def from_geojson(cls, facilities: Mapping[str, Any], zones: Mapping[str, Any]) -> Layout:
        """From a scenario's facilities and zones FeatureCollections."""
        posts = []
        for feature in facilities.get("features", []):
            props = feature.get("properties") or {}
            if props.get("kind") != "observation_post":
                continue
            lon, lat = feature["geometry"]["coordinates"][:2]
            posts.append(
                Post(
                    code=str(props["code"]),
                    lon=float(lon),
                    lat=float(lat),
                    zone=props.get("zone"),
                    role=str(props.get("op_role") or "contact_line"),
                )
            )
        outlines = [shape(f["geometry"]) for f in zones.get("features", []) if f.get("geometry")]
        return cls(tuple(sorted(posts, key=lambda p: p.code)), tuple(outlines))


@dataclass(frozen=True)
class Profile:
    """Expected numbers per day (Poisson means) and chances of each kind of activity."""

    name: str
    flares: float
    shots: float
    movement: float
    other: float
    exchanges: float
    casualty_chance: float  # per exchange
    complaint_chance: float  # per exchange, a side's complaint afterwards
    complaints: float  # complaints per day besides those
    silent_chance: float  # one OP going silent for the rest of the day
    min_exchanges: int = 0


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("quiet", 4, 3, 2, 0.5, 0, 0, 0, 0.3, 0),
        Profile("tense", 8, 8, 3, 0.5, 3, 0.35, 0.6, 1.0, 1.0, min_exchanges=1),
        Profile("mixed", 5, 4, 2, 0.5, 0.8, 0.15, 0.4, 0.5, 0.3),
    )
}


@dataclass(frozen=True)
class Kind:
    """One kind of simple event: what posts report, how far they see it, when it happens."""

    name: str
    type: str
    range_m: float
    near_m: tuple[float, float]  # distance of the true position from the post it is near
    hours: str  # "night", "day" or "any" (any hour, more at night)
    counts: tuple[int, int]
    detect: float  # chance that a post within range reports it


KINDS = {
    k.name: k
    for k in (
        Kind("flare", "illumination_flare", 10_000, (1_000, 6_000), "night", (1, 3), 0.9),
        Kind("shots", "bursts_and_shots", 3_000, (500, 2_500), "any", (1, 5), 0.8),
        Kind("movement", "movement", 4_000, (1_000, 3_500), "day", (1, 3), 0.7),
        Kind("other", "other", 3_000, (500, 2_500), "day", (1, 1), 0.7),
    )
}
# Weapon and words of each simple kind's reports.
KIND_WORDS = {
    "flare": ("", "illumination flare(s)"),
    "shots": ("small arms", "single shots"),
    "movement": ("", "movement of vehicles or troops near the line"),
    "other": ("", "people gathering near the line"),
}
EXPLOSION_RANGE_M = 10_000
SMALL_ARMS_RANGE_M = 4_000


@dataclass(frozen=True)
class TrueEvent:
    """What really happened: its kind, type, time span and position."""

    id: int
    kind: str
    type: str
    started_at: dt.datetime
    ended_at: dt.datetime
    lon: float
    lat: float
    party: str = MISSION  # who reports it: the mission's posts or a side


@dataclass(frozen=True)
class SimObservation:
    """One report: `data` is the ingest dict; `event` the TrueEvent.id it reports."""

    data: dict[str, Any]
    event: int
    party: str  # "mission", "side_a" or "side_b": whose user records it
    at: dt.datetime


@dataclass(frozen=True)
class SimCheckIn:
    post: str
    client_uuid: str
    checked_in_at: dt.datetime
    status: str = "normal"
    note: str = ""

    def data(self) -> dict[str, Any]:
        """Keyword arguments of check_in_record (and the API's check-in body)."""
        return {
            "post": self.post,
            "client_uuid": self.client_uuid,
            "checked_in_at": iso(self.checked_in_at),
            "status": self.status,
            "note": self.note,
        }


@dataclass
class SimDay:
    start: dt.datetime
    end: dt.datetime
    events: list[TrueEvent] = field(default_factory=list)
    observations: list[SimObservation] = field(default_factory=list)
    check_ins: list[SimCheckIn] = field(default_factory=list)
    silent: tuple[str, dt.datetime] | None = None  # post and since when


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


@dataclass
class _Draft:
    """An observation before its time order (and so its client_uuid) is known."""

    at: dt.datetime
    party: str
    post: str
    event: int
    data: dict[str, Any]


Where = tuple[float, float]
Sighting = tuple[Post, float, float, dt.datetime]  # post, bearing, estimated distance, time


@dataclass
class _Drawing:
    """One day being drawn: its random generator, the day, and the reports so far."""

    rng: random.Random
    day: SimDay
    index: int
    drafts: list[_Draft] = field(default_factory=list)

    def event(
        self, kind: str, obs_type: str, times: Sequence[dt.datetime], where: Where, party: str
    ) -> int:
        number = self.index * 1_000_000 + len(self.day.events)
        event = TrueEvent(number, kind, obs_type, times[0], times[-1], *where, party)
        self.day.events.append(event)
        return number

    def silenced(self, post: str, at: dt.datetime) -> bool:
        silent = self.day.silent
        return silent is not None and silent[0] == post and at >= silent[1]


class Simulator:
    """Days of simulated activity on a layout; see the module docstring."""

    def __init__(
        self,
        layout: Layout,
        *,
        start: dt.datetime,
        days: int = 1,
        seed: int = 7,
        profile: str | Profile = "mixed",
        scale: float = 1.0,
        time_zone: str = "Asia/Baku",
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start needs a time zone")
        if not layout.posts:
            raise ValueError("the layout has no observation posts")
        self.layout = layout
        self.start = start.astimezone(dt.UTC)
        self.days = days
        self.seed = seed
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.scale = scale
        self.zone = ZoneInfo(time_zone)
        self._lons = np.array([p.lon for p in layout.posts], float)
        self._lats = np.array([p.lat for p in layout.posts], float)
        near = [z.buffer(NEAR_ZONE_DEG) for z in layout.zones]
        self._near: BaseGeometry | None = shapely.union_all(near) if near else None
        if self._near is not None:
            shapely.prepare(self._near)
        self._anchors = [p for p in layout.posts if p.role == "contact_line"] or list(layout.posts)
        self.source = (
            f"Simulated by truce simulate (seed {seed}, profile {self.profile.name}); "
            "not a real observation"
        )

    # --- the stream ----------------------------------------------------------------------

    def run(self) -> Iterator[SimDay]:
        for index in range(self.days):
            yield self.day(index)

    def observations(self) -> Iterator[SimObservation]:
        for day in self.run():
            yield from day.observations

    def day(self, index: int) -> SimDay:
        start = self.start + index * DAY
        prefix = f"{self.seed}/{self.profile.name}/{iso(start)}"
        d = _Drawing(random.Random(prefix), SimDay(start=start, end=start + DAY), index)
        rng, p, s = d.rng, self.profile, self.scale
        d.day.silent = self._silence(d)
        plan = [("flare", p.flares), ("shots", p.shots), ("movement", p.movement)]
        for name, mean in [*plan, ("other", p.other)]:
            for _ in range(poisson(rng, mean * s)):
                self._simple(d, KINDS[name])
        for _ in range(max(p.min_exchanges, poisson(rng, p.exchanges * s))):
            self._exchange(d)
        for _ in range(poisson(rng, p.complaints * s)):
            where = self._place(rng, rng.choice(self._anchors), (2_000, 8_000))
            self._party_report(d, where, self._moment(d, "any"), casualties=False)
        d.drafts.sort(key=lambda r: (r.at, r.party, r.post, r.event))
        for number, draft in enumerate(d.drafts):
            draft.data["client_uuid"] = str(uuid.uuid5(NAMESPACE, f"{prefix}/{number}"))
            d.day.observations.append(
                SimObservation(draft.data, draft.event, draft.party, draft.at)
            )
        seen = {r.event for r in d.drafts}
        d.day.events = [e for e in d.day.events if e.id in seen]
        d.day.check_ins = self._check_ins(d, prefix)
        return d.day

    # --- time and place --------------------------------------------------------------------

    def _moment(self, d: _Drawing, hours: str) -> dt.datetime:
        """A time in the day, drawn by the hour of mission time the kind favours."""
        weights = []
        for slot in range(24):
            local = (d.day.start + dt.timedelta(hours=slot, minutes=30)).astimezone(self.zone)
            night = local.hour >= 18 or local.hour < 6
            if hours == "night":
                weights.append(1.0 if night else 0.0)
            elif hours == "day":
                weights.append(1.0 if 7 <= local.hour < 17 else 0.0)
            else:
                weights.append(NIGHT_WEIGHT if night else 1.0)
        slot = d.rng.choices(range(24), weights)[0]
        return d.day.start + dt.timedelta(hours=slot, seconds=d.rng.randrange(3_600))

    def _place(self, rng: random.Random, anchor: Post, near_m: tuple[float, float]) -> Where:
        """A true position near a post and inside or near a zone."""
        lon, lat = anchor.lon, anchor.lat
        for _ in range(20):
            azimuth, distance = rng.uniform(0, 360), rng.uniform(*near_m)
            lon, lat, _ = GEOD.fwd(anchor.lon, anchor.lat, azimuth, distance)
            if self._near is None or self._near.contains(shapely.Point(lon, lat)):
                break
        return float(lon), float(lat)

    def _offset(self, rng: random.Random, where: Where, sd_m: float) -> Where:
        lon, lat, _ = GEOD.fwd(where[0], where[1], rng.uniform(0, 360), abs(rng.gauss(0, sd_m)))
        return float(lon), float(lat)

    def _silence(self, d: _Drawing) -> tuple[str, dt.datetime] | None:
        if d.rng.random() >= self.profile.silent_chance:
            return None
        post = d.rng.choice(self._anchors).code
        # From 8 to 14 hours into the day until its end: at the end of the day it has
        # been silent longer than the 6 hours a silence rule usually allows.
        return post, d.day.start + dt.timedelta(seconds=d.rng.randint(8 * 3600, 14 * 3600))

    # --- what posts see ------------------------------------------------------------------------

    def _sightings(
        self, d: _Drawing, where: Where, at: dt.datetime, range_m: float, detect: float
    ) -> list[Sighting]:
        """Each post within range that reports the event, with what it reports."""
        n = len(self.layout.posts)
        azimuth, _, distance = GEOD.inv(
            self._lons, self._lats, np.full(n, where[0]), np.full(n, where[1])
        )
        found = []
        for i in np.flatnonzero(np.asarray(distance) <= range_m).tolist():
            post = self.layout.posts[i]
            jitter = max(-TIME_JITTER_S, min(TIME_JITTER_S, d.rng.gauss(0, TIME_JITTER_S / 2)))
            seen_at = at + dt.timedelta(seconds=round(jitter))
            seen_at = min(max(seen_at, d.day.start), d.day.end - dt.timedelta(seconds=1))
            if d.silenced(post.code, seen_at) or d.rng.random() >= detect:
                continue
            bearing = round((float(azimuth[i]) + d.rng.gauss(0, BEARING_NOISE_DEG)) % 360.0, 1)
            error = max(-DISTANCE_MAX_ERROR, min(DISTANCE_MAX_ERROR, d.rng.gauss(0, DISTANCE_SD)))
            estimate = max(50.0, round(float(distance[i]) * (1 + error) / 50) * 50)
            found.append((post, bearing % 360.0, estimate, seen_at))
        return found

    def _op_report(
        self,
        d: _Drawing,
        event: int,
        sighting: Sighting,
        report: tuple[str, int, str, str],  # type, count, weapon, text
        distance_chance: float,
    ) -> None:
        post, bearing, estimate, at = sighting
        obs_type, count, weapon, text = report
        data: dict[str, Any] = {
            "client_uuid": "",
            "observed_at": iso(at),
            "observer_kind": "op",
            "observer_post": post.code,
            "type": obs_type,
            "count": count,
            "bearing_deg": bearing,
            "text": f"Simulated: {text}",
            "visibility": list(OP_VISIBILITY),
            "source": self.source,
        }
        # Not every report estimates the distance; the bearing is always there.
        if d.rng.random() < distance_chance:
            data["distance_m"] = estimate
        if weapon:
            data["weapon_type"] = weapon
        if obs_type in EXPLOSION_TYPES or obs_type == "bursts_and_shots":
            data["direction_of_fire"] = "unknown"
        d.drafts.append(_Draft(at, MISSION, post.code, event, data))

    def _simple(self, d: _Drawing, kind: Kind) -> None:
        where = self._place(d.rng, d.rng.choice(self._anchors), kind.near_m)
        at = self._moment(d, kind.hours)
        event = d.event(kind.name, kind.type, [at], where, MISSION)
        count = d.rng.randint(*kind.counts)
        weapon, text = KIND_WORDS[kind.name]
        for sighting in self._sightings(d, where, at, kind.range_m, kind.detect):
            self._op_report(d, event, sighting, (kind.type, count, weapon, text), 0.85)

    def _exchange(self, d: _Drawing) -> None:
        """Volleys of explosions around one point, often with small-arms fire nearby."""
        rng = d.rng
        centre = self._place(rng, rng.choice(self._anchors), (2_000, 6_000))
        weapon = rng.choice(WEAPONS)
        at = self._moment(d, "any")
        volleys: list[dt.datetime] = []
        for _ in range(rng.randint(4, 12)):
            if at >= d.day.end:
                break
            volleys.append(at)
            at += dt.timedelta(seconds=rng.randint(60, 360))
        event = d.event("exchange", "explosion_undetermined", volleys, centre, MISSION)
        for moment in volleys:
            where = self._offset(rng, centre, 250)
            for sighting in self._sightings(d, where, moment, EXPLOSION_RANGE_M, 0.9):
                obs_type = rng.choices(EXPLOSION_TYPES, EXPLOSION_WEIGHTS)[0]
                count = rng.randint(1, 3)
                words = f"{count} explosion(s), {weapon}"
                self._op_report(d, event, sighting, (obs_type, count, weapon, words), 0.85)
        if rng.random() < 0.7:
            self._small_arms(d, centre, volleys)
        if rng.random() < self.profile.casualty_chance:
            later = volleys[-1] + dt.timedelta(seconds=rng.randint(30 * 60, 120 * 60))
            self._party_report(d, centre, later, casualties=True)
        if rng.random() < self.profile.complaint_chance:
            later = volleys[-1] + dt.timedelta(seconds=rng.randint(30 * 60, 180 * 60))
            self._party_report(d, centre, later, casualties=False)

    def _small_arms(self, d: _Drawing, centre: Where, volleys: Sequence[dt.datetime]) -> None:
        where = self._offset(d.rng, centre, 400)
        times = [volleys[0]]
        while times[-1] + dt.timedelta(minutes=3) < volleys[-1]:
            times.append(times[-1] + dt.timedelta(seconds=d.rng.randint(180, 480)))
        times = [t for t in times if t < d.day.end]
        event = d.event("small_arms", "bursts_and_shots", times, where, MISSION)
        for moment in times:
            for sighting in self._sightings(d, where, moment, SMALL_ARMS_RANGE_M, 0.8):
                count = d.rng.randint(5, 40)
                report = ("bursts_and_shots", count, "small arms", f"bursts, about {count} rounds")
                self._op_report(d, event, sighting, report, 0.7)

    def _party_report(self, d: _Drawing, near: Where, at: dt.datetime, *, casualties: bool) -> None:
        """A side's report with a position, as a party gives one (roughly placed)."""
        if at >= d.day.end:
            return
        side = d.rng.choice(SIDES)
        where = self._offset(d.rng, near, 800)
        data: dict[str, Any] = {
            "client_uuid": "",
            "observed_at": iso(at),
            "observer_kind": "party_complaint",
            "lon": round(where[0], 5),
            "lat": round(where[1], 5),
            "source": self.source,
        }
        if casualties:
            obs_type = "civilian_harm"
            if d.rng.random() < 0.2:
                data["killed_civilian"] = 1
            data["injured_civilian"] = d.rng.randint(1, 3)
            data["text"] = "Simulated complaint: civilians hurt by fire near the line"
        else:
            obs_type = d.rng.choices(["provocation", "movement", "bursts_and_shots"], [2, 1, 1])[0]
            data["text"] = f"Simulated complaint: {obs_type.replace('_', ' ')} near the line"
        data["type"] = obs_type
        kind = "casualty" if casualties else "complaint"
        d.drafts.append(_Draft(at, side, "", d.event(kind, obs_type, [at], where, side), data))

    # --- check-ins ---------------------------------------------------------------------------

    def _check_ins(self, d: _Drawing, prefix: str) -> list[SimCheckIn]:
        rows = []
        for k in range(int(DAY / CHECK_IN_EVERY)):
            for post in self.layout.posts:
                at = d.day.start + k * CHECK_IN_EVERY + dt.timedelta(seconds=d.rng.randint(0, 600))
                if d.silenced(post.code, at):
                    continue
                key = str(uuid.uuid5(NAMESPACE, f"{prefix}/check-in/{post.code}/{k}"))
                if d.rng.random() < 0.02:
                    rows.append(SimCheckIn(post.code, key, at, "degraded", "Simulated: radio only"))
                else:
                    rows.append(SimCheckIn(post.code, key, at))
        rows.sort(key=lambda c: (c.checked_in_at, c.post))
        return rows


def simulate(layout: Layout, **options: Any) -> Iterator[SimObservation]:
    """The observation stream of Simulator(layout, **options), day after day."""
    return Simulator(layout, **options).observations()


def events_by_id(days: Iterable[SimDay]) -> dict[int, TrueEvent]:
    return {event.id: event for day in days for event in day.events}
