"""Write the mine action records of the scenario (hazards, tasks, checks).

The briefings give only running totals: on 20 Nov 2020, "the Lachin corridor and
a 28 km section of the road to Stepanakert have been fully cleared of mines"
(civilian traffic open since 17 Nov); at the trilateral meeting of 11 Jan 2021,
"over 479 ha of land have been cleared of mines, and 182 km of roads and 710
buildings have been checked. Over 22,000 explosives were discovered and
destroyed." Everything per record here is the scenario author's illustration,
made deterministically (a fixed seed, no clock), so running this again writes
the same files:

    .venv/bin/python scenarios/briefings-2020/mineaction/make_data.py

It checks, before writing, that the totals reach the briefing's figures and that
every open hazard area stays at least 3 km from the corridor road; the app
computes the figures again from the loaded records (tests/mineaction/test_scenario*).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
from pathlib import Path
from typing import Any

import pyproj
import yaml
from shapely.geometry import LineString, Polygon, shape

HERE = Path(__file__).resolve().parent
GEOD = pyproj.Geod(ellps="WGS84")
RNG = random.Random(2020_11_14)

SOURCE_BRIEFING_1 = (
    "Meeting of 20 Nov 2020: 'The Lachin corridor and a 28 km section of the road to "
    "Stepanakert have been fully cleared of mines'"
)
SOURCE_BRIEFING_2 = (
    "Trilateral meeting, 11 Jan 2021: 'Over 479 ha of land have been cleared of mines, and "
    "182 km of roads and 710 buildings have been checked. Over 22,000 explosives were "
    "discovered and destroyed' (per-task split: scenario illustration)"
)
ILLUSTRATION = "Scenario illustration (per-task split and positions approximate); cf. "

# The corridor road, roughly (the demo's convoy route): every open hazard keeps clear of it.
CORRIDOR = [
    (46.342, 39.511),  # Goris
    (46.431, 39.513),  # Khndzoresk
    (46.530, 39.548),  # Kornidzor
    (46.535, 39.585),  # Aghavno
    (46.550, 39.637),  # Lachin
    (46.643, 39.688),  # Lisagor
    (46.750, 39.760),  # Shushi
    (46.753, 39.818),  # Stepanakert
]
MIN_DISTANCE_M = 3000.0

TARGET_CLEARED_M2 = 4_794_000.0  # "over 479 ha": 479.4 ha
TARGET_ROAD_KM = 182.0
TARGET_BUILDINGS = 710
TARGET_ITEMS = 22_364  # "over 22,000"

# Settlements of the scenario used here (settlements.csv): P-code -> (lon, lat).
PLACES = {
    "AZ-LAC-002": (46.535, 39.585),  # Aghavno
    "AZ-LAC-001": (46.54977, 39.63742),  # Lachin
    "AZ-SUS-003": (46.64306, 39.6875),  # Lisagor
    "AZ-SUS-001": (46.74989, 39.76006),  # Shushi
    "AZ-SUS-002": (46.77, 39.748),  # Karin Tak
    "AZ-XA-001": (46.7528, 39.8177),  # Stepanakert
    "AZ-XA-002": (46.73642, 39.80271),  # Krkzhan
    "AZ-XCI-001": (46.83161, 39.9391),  # Askeran
    "AZ-XCI-002": (46.79213, 39.91361),  # Khojaly
    "AZ-XCI-004": (46.865, 39.735),  # Avetaranots
    "AZ-XVD-001": (47.1117, 39.79496),  # Martuni
    "AZ-XVD-003": (46.971, 39.786),  # Karmir Shuka
    "AZ-XVD-005": (46.95, 39.748),  # Sos
    "AZ-XVD-002": (47.031, 39.52),  # Hadrut
    "AZ-AGM-001": (46.92736, 39.99096),  # Agdam
    "AZ-FUZ-001": (47.14529, 39.60094),  # Fuzuli
    "AZ-CAB-001": (47.02835, 39.39917),  # Jabrayil
    "AZ-QBI-001": (46.58183, 39.34441),  # Qubadli
}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    lon2, lat2, _ = GEOD.fwd(lon, lat, 90.0, east_m)
    lon3, lat3, _ = GEOD.fwd(lon2, lat2, 0.0, north_m)
    return round(lon3, 6), round(lat3, 6)


def rectangle(pcode: str, east_km: float, north_km: float, w_m: float, h_m: float) -> Polygon:
    lon, lat = offset(*PLACES[pcode], east_km * 1000, north_km * 1000)
    corners = [
        offset(lon, lat, -w_m / 2, -h_m / 2),
        offset(lon, lat, w_m / 2, -h_m / 2),
        offset(lon, lat, w_m / 2, h_m / 2),
        offset(lon, lat, -w_m / 2, h_m / 2),
    ]
    return Polygon(corners)


def area_m2(poly: Polygon) -> float:
    return abs(GEOD.geometry_area_perimeter(poly)[0])


def distance_to_corridor_m(poly: Polygon) -> float:
    """Least geodesic distance from the polygon's boundary points to the corridor line."""
    line = LineString(CORRIDOR)
    dense = [line.interpolate(i / 400, normalized=True) for i in range(401)]
    best = math.inf
    for x, y in poly.exterior.coords:
        for p in dense:
            best = min(best, GEOD.inv(x, y, p.x, p.y)[2])
    return best


# Hazards: reference, name, settlement, offset km (east, north), size m (w, h), kind,
# contamination, reported, closed (status, day) or None (open), share of its area
# released as (cancelled, reduced); the rest is cleared when closed.
HAZARDS: list[dict[str, Any]] = [
    # Along the corridor: cleared by the battalion's engineers by 17 Nov.
    dict(
        ref="HA-LAC-001",
        name="Aghavno bridge approaches",
        pc="AZ-LAC-002",
        at=(0.4, 0.0),
        size=(320, 260),
        kind="confirmed",
        cont="at_mines",
        reported="2020-11-14",
        closed=("closed", "2020-11-16"),
        split=(0.0, 0.1),
        org="bn2",
        task=("clearance", "2020-11-14", "2020-11-16"),
    ),
    dict(
        ref="HA-LAC-002",
        name="Lachin south roadside",
        pc="AZ-LAC-001",
        at=(0.5, -0.6),
        size=(420, 300),
        kind="confirmed",
        cont="mixed_mines",
        reported="2020-11-14",
        closed=("closed", "2020-11-17"),
        split=(0.05, 0.1),
        org="bn2",
        task=("clearance", "2020-11-14", "2020-11-17"),
    ),
    dict(
        ref="HA-SUS-001",
        name="Lisagor bends",
        pc="AZ-SUS-003",
        at=(0.3, 0.3),
        size=(380, 300),
        kind="confirmed",
        cont="uxo",
        reported="2020-11-14",
        closed=("closed", "2020-11-17"),
        split=(0.0, 0.15),
        org="bn2",
        task=("bac", "2020-11-15", "2020-11-17"),
    ),
    dict(
        ref="HA-SUS-002",
        name="Shushi descent to Stepanakert",
        pc="AZ-SUS-001",
        at=(0.3, 0.9),
        size=(300, 320),
        kind="confirmed",
        cont="uxo",
        reported="2020-11-14",
        closed=("closed", "2020-11-17"),
        split=(0.0, 0.1),
        org="bn2",
        task=("bac", "2020-11-15", "2020-11-17"),
    ),
    # Elsewhere in the area, cleared and closed (or handed over) by 11 Jan 2021.
    dict(
        ref="HA-XCI-001",
        name="Khojaly airfield surrounds",
        pc="AZ-XCI-002",
        at=(-0.6, 1.8),
        size=(1500, 1000),
        kind="confirmed",
        cont="cluster",
        reported="2020-11-18",
        closed=("closed", "2021-01-08"),
        split=(0.05, 0.1),
        org="bn1",
        task=("bac", "2020-11-23", "2021-01-08"),
    ),
    dict(
        ref="HA-XA-001",
        name="Stepanakert south-east fields",
        pc="AZ-XA-001",
        at=(4.5, -2.5),
        size=(1000, 800),
        kind="suspected",
        cont="uxo",
        reported="2020-11-18",
        closed=("closed", "2020-12-20"),
        split=(0.1, 0.1),
        org="bn1",
        task=("clearance", "2020-11-20", "2020-12-20"),
    ),
    dict(
        ref="HA-SUS-003",
        name="Karin Tak slopes",
        pc="AZ-SUS-002",
        at=(3.5, -1.5),
        size=(900, 700),
        kind="confirmed",
        cont="mixed_mines",
        reported="2020-11-19",
        closed=("closed", "2020-12-28"),
        split=(0.05, 0.15),
        org="bn2",
        task=("clearance", "2020-11-24", "2020-12-28"),
    ),
    dict(
        ref="HA-XCI-002",
        name="Askeran fortress fields",
        pc="AZ-XCI-001",
        at=(1.2, 0.6),
        size=(1100, 750),
        kind="confirmed",
        cont="uxo",
        reported="2020-11-20",
        closed=("closed", "2020-12-30"),
        split=(0.05, 0.1),
        org="bn1",
        task=("bac", "2020-11-26", "2020-12-30"),
    ),
    dict(
        ref="HA-XVD-001",
        name="Martuni road junction",
        pc="AZ-XVD-001",
        at=(-1.2, 0.6),
        size=(1000, 650),
        kind="confirmed",
        cont="cluster",
        reported="2020-11-21",
        closed=("closed", "2021-01-05"),
        split=(0.05, 0.1),
        org="bn2",
        task=("bac", "2020-11-27", "2021-01-05"),
    ),
    dict(
        ref="HA-XVD-002",
        name="Karmir Shuka orchards",
        pc="AZ-XVD-003",
        at=(0.6, -1.0),
        size=(800, 650),
        kind="confirmed",
        cont="ap_mines",
        reported="2020-11-22",
        closed=("handed_over", "2021-01-10"),
        split=(0.05, 0.1),
        org="bn2",
        task=("clearance", "2020-12-01", "2021-01-09"),
    ),
    dict(
        ref="HA-XCI-003",
        name="Avetaranots vineyards",
        pc="AZ-XCI-004",
        at=(0.8, 0.5),
        size=(750, 550),
        kind="suspected",
        cont="uxo",
        reported="2020-11-23",
        closed=("closed", "2021-01-07"),
        split=(0.1, 0.1),
        org="bn1",
        task=("bac", "2020-12-05", "2021-01-07"),
    ),
    dict(
        ref="HA-XA-002",
        name="Krkzhan western fields",
        pc="AZ-XA-002",
        at=(-4.0, 0.3),
        size=(900, 700),
        kind="confirmed",
        cont="uxo",
        reported="2020-11-20",
        closed=("closed", "2021-01-10"),
        split=(0.05, 0.1),
        org="bn1",
        task=("clearance", "2020-12-02", "2021-01-10"),
    ),
    # Open: survey and clearance under way, well away from the corridor road.
    dict(
        ref="HA-AGM-001",
        name="Agdam east fields",
        pc="AZ-AGM-001",
        at=(2.0, 0.0),
        size=(1500, 1000),
        kind="suspected",
        cont="mixed_mines",
        reported="2020-11-21",
        closed=None,
        split=(0.15, 0.05),
        cleared_share=0.1,
        org="bn1",
        task=("nts", "2020-12-01", None),
    ),
    dict(
        ref="HA-FUZ-001",
        name="Fuzuli north approaches",
        pc="AZ-FUZ-001",
        at=(0.0, 2.5),
        size=(1200, 1000),
        kind="suspected",
        cont="at_mines",
        reported="2020-11-25",
        closed=None,
        split=(0.1, 0.0),
        cleared_share=0.08,
        org="bn2",
        task=("ts", "2020-12-10", None),
    ),
    dict(
        ref="HA-CAB-001",
        name="Jabrayil west slopes",
        pc="AZ-CAB-001",
        at=(-2.5, 0.0),
        size=(1000, 800),
        kind="suspected",
        cont="unknown",
        reported="2020-12-03",
        closed=None,
        split=(0.2, 0.0),
        cleared_share=0.0,
        org="bn2",
        task=("nts", "2020-12-15", None),
    ),
    dict(
        ref="HA-QBI-001",
        name="Qubadli north road",
        pc="AZ-QBI-001",
        at=(0.0, 2.0),
        size=(900, 700),
        kind="confirmed",
        cont="at_mines",
        reported="2020-12-05",
        closed=None,
        split=(0.0, 0.1),
        cleared_share=0.05,
        org="bn2",
        task=("clearance", "2020-12-18", None),
    ),
    dict(
        ref="HA-XVD-003",
        name="Hadrut hills",
        pc="AZ-XVD-002",
        at=(1.5, 1.0),
        size=(1100, 900),
        kind="suspected",
        cont="cluster",
        reported="2020-11-24",
        closed=None,
        split=(0.1, 0.05),
        cleared_share=0.1,
        org="bn1",
        task=("ts", "2020-12-08", None),
    ),
]
# The hazard whose cleared share closes the total on 479.4 ha (the largest closed one).
BALANCING = "HA-XCI-001"

DEVICE_MIX = [  # category, types, weight
    ("uxo", ["122 mm rocket", "152 mm shell", "120 mm mortar bomb", "RPG-7 grenade"], 0.52),
    ("cluster_submunition", ["9N210", "9N235", "M095"], 0.22),
    ("abandoned_ordnance", ["small arms ammunition box", "hand grenade F-1"], 0.12),
    ("ap_mine", ["PMN-2", "POM-2", "OZM-72"], 0.07),
    ("at_mine", ["TM-62M", "TM-57"], 0.05),
    ("ied", ["improvised charge"], 0.01),
    ("other", ["fuze", "detonator"], 0.01),
]

# EOD spot tasks in settlements (no hazard area): items and buildings checked.
EOD_TASKS = [
    ("AZ-XA-001", "2020-11-18", "2020-12-30", "bn1"),
    ("AZ-SUS-001", "2020-11-18", "2020-12-25", "bn2"),
    ("AZ-LAC-001", "2020-11-16", "2020-12-10", "bn2"),
    ("AZ-XCI-001", "2020-11-25", "2020-12-31", "bn1"),
    ("AZ-XCI-002", "2020-11-22", "2021-01-06", "bn1"),
    ("AZ-XVD-001", "2020-11-24", "2021-01-08", "bn2"),
    ("AZ-XVD-003", "2020-12-01", "2021-01-09", "bn2"),
    ("AZ-SUS-002", "2020-11-20", "2020-12-18", "bn2"),
    ("AZ-XA-002", "2020-11-21", "2020-12-22", "bn1"),
    ("AZ-XVD-005", "2020-12-03", "2021-01-10", "bn2"),
    ("AZ-LAC-002", "2020-11-15", "2020-11-30", "bn2"),
]

# Road checks: reference, name, organisation, day, via P-codes or points, stated km.
ROADS: list[dict[str, Any]] = [
    dict(
        ref="RC-LAC-001",
        name="Lachin corridor: Kornidzor - Aghavno",
        org="bn2",
        day="2020-11-14",
        line=[(46.530, 39.548), (46.531, 39.566), (46.535, 39.585)],
        pc="AZ-LAC-002",
        stated=None,
        corridor=True,
    ),
    dict(
        ref="RC-LAC-002",
        name="Lachin corridor: Aghavno - Lachin",
        org="bn2",
        day="2020-11-15",
        line=[(46.535, 39.585), (46.543, 39.612), (46.550, 39.637)],
        pc="AZ-LAC-001",
        stated=None,
        corridor=True,
    ),
    dict(
        ref="RC-LAC-003",
        name="Lachin corridor: Lachin - Lisagor",
        org="bn2",
        day="2020-11-16",
        line=[(46.550, 39.637), (46.598, 39.660), (46.643, 39.688)],
        pc="AZ-SUS-003",
        stated=None,
        corridor=True,
    ),
    dict(
        ref="RC-SUS-001",
        name="Road to Stepanakert: Lisagor - Shushi - Stepanakert (28 km)",
        org="bn2",
        day="2020-11-17",
        line=[
            (46.643, 39.688),
            (46.700, 39.725),
            (46.750, 39.760),
            (46.752, 39.790),
            (46.753, 39.818),
        ],
        pc="AZ-XA-001",
        stated=28.0,
        corridor=True,
    ),
]
# Later checks between settlements; stated km is the operator's figure along the road.
LATER_ROADS = [
    ("AZ-XA-001", "AZ-XCI-002", "2020-11-21", "bn1", 9.5),
    ("AZ-XCI-002", "AZ-XCI-001", "2020-11-24", "bn1", 5.5),
    ("AZ-XA-001", "AZ-XA-002", "2020-11-25", "bn1", 4.0),
    ("AZ-SUS-001", "AZ-SUS-002", "2020-11-27", "bn2", 6.5),
    ("AZ-XA-001", "AZ-XVD-003", "2020-12-02", "bn2", 27.0),
    ("AZ-XVD-003", "AZ-XVD-001", "2020-12-06", "bn2", 16.5),
    ("AZ-XA-001", "AZ-XCI-004", "2020-12-09", "bn1", 14.0),
    ("AZ-XVD-003", "AZ-XVD-005", "2020-12-14", "bn2", 7.5),
    ("AZ-XCI-001", "AZ-XCI-004", "2020-12-19", "bn1", 23.0),
    ("AZ-XVD-001", "AZ-XVD-005", "2020-12-27", "bn2", 19.0),
]


def geojson_polygon(poly: Polygon) -> dict[str, Any]:
    ring = [list(p) for p in poly.exterior.coords]
    return {"type": "Polygon", "coordinates": [ring]}


def spread_days(start: dt.date, end: dt.date, n: int) -> list[dt.date]:
    span = (end - start).days
    return sorted({start + dt.timedelta(days=round(span * (i + 1) / n)) for i in range(n)})


def split(total: float, n: int) -> list[float]:
    weights = [RNG.uniform(0.6, 1.4) for _ in range(n)]
    s = sum(weights)
    parts = [math.floor(total * w / s) for w in weights]
    parts[-1] += math.floor(total) - sum(parts)
    return [float(p) for p in parts]


def build() -> dict[str, Any]:
    hazards, activities, changes = [], [], []
    cleared_total = 0.0
    plans = []
    for h in HAZARDS:
        poly = rectangle(h["pc"], *h["at"], *h["size"])
        area = area_m2(poly)
        # Every hazard still open after 17 Nov keeps 3 km from the corridor road, so the
        # convoy route is never blocked, whatever the day of the demo.
        if h["closed"] is None or h["closed"][1] > "2020-11-17":
            dist = distance_to_corridor_m(poly)
            assert dist >= MIN_DISTANCE_M, (h["ref"], dist)
        cancelled = math.floor(area * h["split"][0])
        reduced = math.floor(area * h["split"][1])
        if h["closed"]:
            cleared = math.floor(area) - cancelled - reduced
        else:
            cleared = math.floor(area * h["cleared_share"])
        plans.append((h, poly, area, cancelled, reduced, cleared))
        cleared_total += cleared
    # Close the total on the target with the balancing hazard: what it does not clear
    # it reduces (technical survey), so its release still equals its area.
    delta = TARGET_CLEARED_M2 - cleared_total
    for i, (h, poly, area, cancelled, reduced, cleared) in enumerate(plans):
        if h["ref"] == BALANCING:
            assert reduced - delta >= 0 and cleared + delta > 0, delta
            plans[i] = (h, poly, area, cancelled, reduced - delta, cleared + delta)

    for h, poly, _area, cancelled, reduced, cleared in plans:
        hazards.append(
            {
                "type": "Feature",
                "properties": {
                    "reference": h["ref"],
                    "name": h["name"],
                    "kind": h["kind"],
                    "contamination": h["cont"],
                    "settlement": h["pc"],
                    "reported_on": h["reported"],
                    "evidence": "Scenario illustration: reported by the battalion's engineers "
                    "(non-technical survey, local information)",
                    "location_approximate": True,
                    "source": ILLUSTRATION
                    + (
                        SOURCE_BRIEFING_1
                        if h["closed"] and h["closed"][1] <= "2020-11-17"
                        else SOURCE_BRIEFING_2
                    ),
                    "confidence": "low",
                    "visibility": ["public"],
                },
                "geometry": geojson_polygon(poly),
            }
        )
        kind, start, end = h["task"]
        start_d = d(start)
        end_d = d(end) if end else d("2021-01-11")
        n = 2 if (end_d - start_d).days < 5 else 5
        days = spread_days(start_d, end_d, n)
        results = []
        for day, c, r, x in zip(
            days,
            split(cancelled, len(days)),
            split(reduced, len(days)),
            split(cleared, len(days)),
            strict=True,
        ):
            row = {"reported_on": day.isoformat()}
            for name, value in (("cancelled_m2", c), ("reduced_m2", r), ("cleared_m2", x)):
                if value:
                    row[name] = value
            if len(row) > 1:
                results.append(row)
        ref = "TASK-" + h["ref"].removeprefix("HA-")
        activities.append(
            {
                "reference": ref,
                "kind": kind,
                "organisation": h["org"],
                "hazard": h["ref"],
                "start_date": start,
                "end_date": end,
                "status": "completed" if end else "ongoing",
                "results": results,
                "devices": [],
                "_days": days,
            }
        )
        if h["closed"]:
            changes.append(
                {
                    "hazard": h["ref"],
                    "status": h["closed"][0],
                    "since": h["closed"][1],
                    "activity": ref,
                    "reported_on": results[-1]["reported_on"],
                    "note": "Released in full by the task's last report"
                    + (
                        "; handed over to the local authority"
                        if h["closed"][0] == "handed_over"
                        else ""
                    ),
                }
            )
    for number, (pc, start, end, org) in enumerate(EOD_TASKS, 1):
        days = spread_days(d(start), d(end), 4)
        activities.append(
            {
                "reference": f"TASK-EOD-{number:03d}",
                "kind": "eod",
                "organisation": org,
                "settlement": pc,
                "start_date": start,
                "end_date": end,
                "status": "completed",
                "results": [],
                "devices": [],
                "_days": days,
            }
        )
    _devices(activities)
    for a in activities:
        a.pop("_days")
        if a["end_date"] is None:
            del a["end_date"]
    return {
        "hazards": hazards,
        "activities": activities,
        "changes": changes,
        "roads": _roads(),
        "buildings": _buildings(),
    }


def _devices(activities: list[dict[str, Any]]) -> None:
    """Share TARGET_ITEMS over the activities' report days and the device mix."""
    slots = [(a, day) for a in activities if a["kind"] != "nts" for day in a["_days"]]
    per_slot = split(TARGET_ITEMS, len(slots))
    for (activity, day), n in zip(slots, per_slot, strict=True):
        remaining = int(n)
        for index, (category, types, weight) in enumerate(DEVICE_MIX):
            count = remaining if index == len(DEVICE_MIX) - 1 else round(n * weight)
            count = min(count, remaining)
            remaining -= count
            if count <= 0:
                continue
            activity["devices"].append(
                {
                    "reported_on": day.isoformat(),
                    "category": category,
                    "device_type": RNG.choice(types),
                    "found": count,
                    "destroyed": count,
                }
            )


def _roads() -> list[dict[str, Any]]:
    features = []
    for r in ROADS:
        features.append(
            _road_feature(
                r["ref"],
                r["name"],
                r["org"],
                r["day"],
                r["line"],
                r["pc"],
                r["stated"],
                SOURCE_BRIEFING_1,
            )
        )
    km = sum(r["stated"] or GEOD.geometry_length(LineString(r["line"])) / 1000 for r in ROADS)
    later_stated = sum(k for *_, k in LATER_ROADS)
    # The last later check closes the total on 182 km (its stated km is adjusted).
    last_km = round(TARGET_ROAD_KM - km - later_stated + LATER_ROADS[-1][4], 2)
    for number, (a, b, day, org, stated) in enumerate(LATER_ROADS, 1):
        if number == len(LATER_ROADS):
            stated = last_km
        line = [PLACES[a], _bend(PLACES[a], PLACES[b]), PLACES[b]]
        features.append(
            _road_feature(
                f"RC-{number + 100:03d}",
                f"Road {a} - {b}",
                org,
                day,
                line,
                b,
                stated,
                SOURCE_BRIEFING_2,
            )
        )
    return features


def _bend(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return (round((a[0] + b[0]) / 2 + 0.004, 5), round((a[1] + b[1]) / 2 - 0.003, 5))


def _road_feature(
    ref: str,
    name: str,
    org: str,
    day: str,
    line: list[Any],
    pc: str,
    stated: float | None,
    source: str,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "reference": ref,
        "name": name,
        "organisation": org,
        "settlement": pc,
        "checked_on": day,
        "result": "cleared",
        "location_approximate": True,
        "source": ILLUSTRATION + source,
        "confidence": "low",
        "visibility": ["public"],
    }
    if stated is not None:
        properties["stated_km"] = stated
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "LineString", "coordinates": [list(p) for p in line]},
    }


def _buildings() -> list[dict[str, Any]]:
    """TARGET_BUILDINGS over three checks per EOD spot task, within the task's days."""
    slots = [
        (number, pc, org, day)
        for number, (pc, start, end, org) in enumerate(EOD_TASKS, 1)
        for day in spread_days(d(start), d(end), 3)
    ]
    counts = split(TARGET_BUILDINGS, len(slots))
    return [
        {
            "settlement": pc,
            "organisation": org,
            "activity": f"TASK-EOD-{number:03d}",
            "checked_on": day.isoformat(),
            "buildings": int(n),
            "result": "clear",
            "source": ILLUSTRATION + SOURCE_BRIEFING_2,
            "confidence": "low",
            "visibility": "public",
        }
        for (number, pc, org, day), n in zip(slots, counts, strict=True)
    ]


def main() -> None:
    data = build()
    (HERE / "hazards.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": data["hazards"]}, indent=1) + "\n"
    )
    (HERE / "activities.yaml").write_text(
        "# Mine action tasks with their land release results and devices (make_data.py writes\n"
        "# this file; see README.md). Per-task figures are a scenario illustration.\n"
        + yaml.safe_dump(
            {"source": ILLUSTRATION + SOURCE_BRIEFING_2, "activities": data["activities"]},
            sort_keys=False,
            allow_unicode=True,
            width=110,
            default_flow_style=None,
        )
    )
    (HERE / "hazard_status.yaml").write_text(
        "# Closures and hand-overs of hazard areas, each from the land release behind it.\n"
        + yaml.safe_dump({"changes": data["changes"]}, sort_keys=False, width=100)
    )
    (HERE / "road_checks.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": data["roads"]}, indent=1) + "\n"
    )
    with (HERE / "building_checks.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(data["buildings"][0]))
        writer.writeheader()
        writer.writerows(data["buildings"])
    # The checks the briefing's figures rest on, before anything is written.
    cleared = sum(r.get("cleared_m2", 0) for a in data["activities"] for r in a["results"])
    items = sum(x["destroyed"] for a in data["activities"] for x in a["devices"])
    km = sum(
        f["properties"].get("stated_km") or GEOD.geometry_length(shape(f["geometry"])) / 1000
        for f in data["roads"]
    )
    buildings = sum(r["buildings"] for r in data["buildings"])
    print(
        f"cleared {cleared / 10_000:.2f} ha, road {km:.2f} km, {buildings} buildings, "
        f"{items} items destroyed"
    )
    assert 479 < cleared / 10_000 < 480 and round(km) == 182 and buildings == 710
    assert items > 22_000


if __name__ == "__main__":
    main()
