"""Write the illustrative data of this folder: returns, flow counts, demo households.

Run from the project root: `.venv/bin/python scenarios/briefings-2020/population/generate.py`.
The output is checked in; this script only says how it was made. The daily split of the
4,436 escorted returns to Stepanakert, the other destinations, the flow counts and every
household are the scenario author's illustration (README.md); the personal data is
fictional by construction ("Demo ..." names, +000 phone numbers, DEMO document numbers).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPANAKERT = "AZ-XA-001"
# People escorted to Stepanakert per day, 14-20 Nov 2020: sums to the briefing's 4,436.
TO_STEPANAKERT = [395, 512, 603, 688, 721, 748, 769]
# Smaller escorted movements to other settlements (illustration only).
OTHER_DESTINATIONS = {"AZ-XCI-001": 38, "AZ-XVD-001": 44, "AZ-TAR-001": 52, "AZ-XA-002": 21}
FROM = ["AM-SU-001", "AM-SU-005", "AM-SU-009", "AM-GR-001"]
FIRST_DAY = dt.date(2020, 11, 14)
POINTS = ["ctp-04", "ctp-03", "ctp-02", "ctp-01"]  # in the order a convoy from Goris meets them
CIVILIAN_TRAFFIC_FROM = dt.date(2020, 11, 17)
SOURCE_RETURNS = (
    "Scenario author's illustration of the daily escorted movements; total to Stepanakert "
    "14-20 Nov from the meeting of 20 Nov 2020 (4,436)"
)
SOURCE_FLOWS = "Scenario author's illustration: corridor post tallies, consistent with returns"


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.sample(range(total // 4, 3 * total // 4), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(bounds)]


def returns(rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for offset, total in enumerate(TO_STEPANAKERT):
        day = FIRST_DAY + dt.timedelta(days=offset)
        plan = [(STEPANAKERT, n) for n in _split(total, 2 + offset % 2, rng)]
        if offset >= 3:  # other destinations once the road to them was open (illustration)
            for pcode, base in OTHER_DESTINATIONS.items():
                if (offset + len(pcode)) % 2 == 0:
                    plan.append((pcode, base + rng.randint(0, 12)))
        for number, (to, people) in enumerate(plan, 1):
            rows.append(
                {
                    "reference": f"r-{day.isoformat()}-{number:02d}",
                    "date": day.isoformat(),
                    "from_settlement": FROM[(offset + number) % len(FROM)],
                    "to_settlement": to,
                    "people": people,
                    "vehicles": max(1, round(people / 38)),
                    "escort": "2nd Battalion convoy escort",
                    "escort_organisation": "bn2",
                    "checkpoint": "ctp-04",
                }
            )
    return rows


def flow_counts(movements: list[dict[str, object]], rng: random.Random) -> list[list[object]]:
    escorted: dict[str, tuple[int, int]] = {}
    for row in movements:
        people, vehicles = escorted.get(str(row["date"]), (0, 0))
        escorted[str(row["date"])] = (
            people + int(str(row["people"])),
            vehicles + int(str(row["vehicles"])),
        )
    lines: list[list[object]] = []
    for point in POINTS:
        for offset in range(7):
            day = FIRST_DAY + dt.timedelta(days=offset)
            people, vehicles = escorted[day.isoformat()]
            lines.append([point, day, "inbound", "true", people, vehicles, SOURCE_FLOWS])
            if day >= CIVILIAN_TRAFFIC_FROM:
                civ = 60 + 25 * (day - CIVILIAN_TRAFFIC_FROM).days + rng.randint(0, 20)
                lines.append([point, day, "inbound", "false", civ, civ // 3, SOURCE_FLOWS])
                out = 20 + rng.randint(0, 25)
                lines.append([point, day, "outbound", "false", out, out // 3, SOURCE_FLOWS])
            # Empty buses going back for the next convoy carry a few people.
            back = rng.randint(3, 15)
            lines.append([point, day, "outbound", "true", back, max(1, vehicles - 2), SOURCE_FLOWS])
    return lines


ORIGINS = [
    ("AZ-XA-001", 0.45),
    ("AZ-XA-002", 0.06),
    ("AZ-XCI-001", 0.1),
    ("AZ-XVD-001", 0.1),
    ("AZ-TAR-001", 0.1),
    ("AZ-XVD-002", 0.1),
    ("AZ-SUS-001", 0.09),
]
# Places that changed control: their people cannot go home for now (illustration).
NO_RETURN = {"AZ-XVD-002", "AZ-SUS-001"}
CURRENT = ["AM-SU-001", "AM-SU-005", "AM-SU-009", "AM-GR-001", "AM-VD-001"]
VULNERABILITIES = [
    "disability",
    "chronic_illness",
    "older_person",
    "pregnant_or_lactating",
    "single_parent",
    "serious_medical",
]


def households(rng: random.Random, count: int = 320) -> list[str]:
    lines = [
        "# Demo households: every name, phone and document number is fictional by",
        "# construction (generate.py). Visible to the mission and the agencies only.",
        "households:",
    ]
    for number in range(1, count + 1):
        origin = rng.choices([o for o, _ in ORIGINS], [w for _, w in ORIGINS])[0]
        size = rng.choices([1, 2, 3, 4, 5, 6, 7], [8, 14, 20, 24, 18, 10, 6])[0]
        vulns = sorted(rng.sample(VULNERABILITIES, rng.choices([0, 1, 2], [6, 3, 1])[0]))
        if size == 1 and rng.random() < 0.3:
            vulns = sorted({*vulns, "older_person"})
        if origin in NO_RETURN:
            intention = rng.choice(["relocate", "undecided", "stay"])
        else:
            intention = rng.choices(["return", "stay", "undecided"], [7, 1, 2])[0]
        fields = [
            f"code: hh-{number:04d}",
            f"size: {size}",
            f"vulnerabilities: [{', '.join(vulns)}]",
            f"origin_settlement: {origin}",
            f"current_settlement: {rng.choice(CURRENT)}",
            f"intention: {intention}",
        ]
        if intention == "return":
            expected = dt.date(2020, 11, 21) + dt.timedelta(days=rng.randint(0, 29))
            fields += [f"intended_settlement: {origin}", f"expected_on: {expected}"]
        elif intention == "relocate":
            fields.append("intended_settlement: AZ-XA-001")
        registered = dt.date(2020, 11, 14) + dt.timedelta(days=rng.randint(0, 6))
        members = []
        for m in range(1, size + 1):
            sex = rng.choice(["female", "male"])
            year = rng.randint(1940, 2019) if m > 1 else rng.randint(1940, 2000)
            members.append(
                f"{{name: Demo Member {number:04d}-{m}, sex: {sex}, birth_year: {year}}}"
            )
        fields += [
            f"registered_on: {registered}",
            f"head_name: Demo Head {number:04d}",
            f'phone: "+000 00 {number:06d}"',
            f"document_number: DEMO-{number:06d}",
            f"members: [{', '.join(members)}]",
        ]
        if "serious_medical" in vulns:
            fields.append("protection_notes: Needs a referral to a clinic on arrival (demo note).")
        lines.append("  - {" + ", ".join(fields) + "}")
    return lines


def main() -> None:
    rng = random.Random(20201120)
    movements = returns(rng)
    assert (
        sum(int(str(r["people"])) for r in movements if r["to_settlement"] == STEPANAKERT) == 4436
    )
    with (HERE / "returns.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, [*movements[0], "source"], lineterminator="\n")
        writer.writeheader()
        for row in movements:
            writer.writerow({**row, "source": SOURCE_RETURNS})
    with (HERE / "flow_counts.csv").open("w", newline="", encoding="utf-8") as out:
        writer2 = csv.writer(out, lineterminator="\n")
        writer2.writerow(["point", "day", "direction", "escorted", "people", "vehicles", "source"])
        writer2.writerows(flow_counts(movements, rng))
    (HERE / "households.yaml").write_text("\n".join(households(rng)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
