"""Write structures.csv: the 284 destroyed structures in 43 settlements of the scenario.

The briefing of 20 Nov 2020 gives only the totals (284 structures totally
destroyed in 43 settlements; glazing and roofing needed). Everything per
structure is the scenario author's illustration, made here deterministically
(a fixed seed, no clock), so running this again writes the same file:

    .venv/bin/python scenarios/briefings-2020/damage/make_structures.py

- which 43 of the 50 scenario settlements: all but the seven listed in LEFT_OUT
  (settlements far from the fighting of autumn 2020);
- how many in each: 284 split in proportion to the square root of the
  settlement's baseline population (at least one each), largest remainder;
- positions: within about 1.5 km of the settlement's point;
- use: mostly housing, a few schools, clinics and others;
- quantities: glazing and roofing in m2 from the size of a typical building of
  that use, rounded to 0.5 m2.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETTLEMENTS = HERE.parent / "settlements.csv"
OUT = HERE / "structures.csv"

TOTAL = 284
SETTLEMENT_COUNT = 43
LEFT_OUT = frozenset(
    {"AM-VD-001", "AM-GR-001", "AM-SU-009", "AM-SU-006", "AM-SU-008", "AM-SU-002", "AM-SU-012"}
)
SEED = 20201120
# (use, weight, glazing m2 range, roofing m2 range)
USES = [
    ("housing", 86, (6, 24), (70, 160)),
    ("school", 4, (40, 120), (300, 700)),
    ("health", 2, (20, 60), (150, 400)),
    ("kindergarten", 2, (20, 50), (150, 300)),
    ("administrative", 2, (20, 60), (150, 400)),
    ("commercial", 3, (10, 40), (80, 250)),
    ("religious", 1, (4, 12), (80, 200)),
]
DATES = ["2020-11-15", "2020-11-16", "2020-11-17", "2020-11-18", "2020-11-19", "2020-11-20"]
SOURCE = (
    "Briefing of 20 Nov 2020: 284 structures totally destroyed in 43 settlements, glazing "
    "and roofing needed; per-structure detail is the scenario author's illustration"
)
COLUMNS = [
    "settlement",
    "reference",
    "use",
    "grade",
    "lon",
    "lat",
    "glazing_m2",
    "roofing_m2",
    "assessed_on",
    "assessor",
    "assessor_organisation",
    "source",
    "confidence",
    "visibility",
]


def shares(weights: dict[str, float], total: int) -> dict[str, int]:
    """`total` split in proportion to the weights, one at least each, largest remainder."""
    counts = dict.fromkeys(weights, 1)
    rest = total - len(weights)
    whole = sum(weights.values())
    exact = {k: rest * w / whole for k, w in weights.items()}
    for k, value in exact.items():
        counts[k] += math.floor(value)
    left = total - sum(counts.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - math.floor(exact[k])), k))[:left]:
        counts[k] += 1
    return counts


def half(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high) * 2) / 2


def main() -> None:
    with SETTLEMENTS.open(encoding="utf-8", newline="") as f:
        places = [row for row in csv.DictReader(f) if row["pcode"] not in LEFT_OUT]
    assert len(places) == SETTLEMENT_COUNT, len(places)
    weights = {p["pcode"]: math.sqrt(float(p["baseline_population"] or 500)) for p in places}
    counts = shares(weights, TOTAL)
    rng = random.Random(SEED)
    rows = []
    for place in places:
        lon0, lat0 = float(place["lon"]), float(place["lat"])
        for n in range(1, counts[place["pcode"]] + 1):
            use, _w, glazing, roofing = rng.choices(USES, weights=[u[1] for u in USES])[0]
            distance = 0.0135 * math.sqrt(rng.random())
            bearing = rng.uniform(0, 2 * math.pi)
            east = distance * math.sin(bearing) / math.cos(math.radians(lat0))
            rows.append(
                {
                    "settlement": place["pcode"],
                    "reference": f"{place['pcode']}-D{n:03d}",
                    "use": use,
                    "grade": "destroyed",
                    "lon": f"{lon0 + east:.5f}",
                    "lat": f"{lat0 + distance * math.cos(bearing):.5f}",
                    "glazing_m2": half(rng, *glazing),
                    "roofing_m2": half(rng, *roofing),
                    "assessed_on": rng.choice(DATES),
                    "assessor": "analyst",
                    "assessor_organisation": "hrc",
                    "source": SOURCE,
                    "confidence": "medium",
                    "visibility": "public",
                }
            )
    assert len(rows) == TOTAL
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
