"""Grouping and position fixes for a day of 100,000 observations, with the regroup service.

The simulator draws one mission day ("tense" profile, scaled up until it
holds at least the asked number of observations): exchanges of fire seen by
several OPs, small-arms bursts, flares, movement, the sides' reports. The day
is recorded through the ingest service (the alert rules switched off first:
they are not what is measured here), so every column is what the service
stores. Then the grouping is undone (the day's observations unlinked, their
incidents deleted) and incidents_regroup(start, end) groups the whole day
afresh and fixes each incident's position: the timed step (target: under
2 s). Two more figures come from the same run: regrouping the day just after
ingest (incremental grouping already done), and a second regroup of the
freshly grouped day (nothing changes).

Correctness against the simulator's truth (each observation knows its true
event): pairwise precision and recall of "same incident" vs "same event",
the share of events recovered exactly (one incident holding exactly its
observations), and the distance from each fixed position to its event's
true position.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sqlite3
from collections import Counter
from typing import Any

import numpy as np

from bench.common import (
    DB_NAME,
    SIM_START,
    Result,
    benchmark_args,
    checkpoint,
    close_django,
    finish,
    fresh_database,
    log,
    percentile,
    setup_django,
    sim_layout,
    timed,
)

TARGET_S = 2.0
REPORTERS = {"mission": "operator", "side_a": "liaison-a", "side_b": "liaison-b"}


def simulated_day(at_least: int, profile: str, seed: int) -> Any:
    """One simulated day of at least this many observations (at most 5 % more).

    The scale is found by trial: the count grows with it, not quite in proportion.
    """
    from truce.monitoring.simulate import Simulator

    layout = sim_layout()

    def day(scale: float) -> Any:
        return Simulator(layout, start=SIM_START, seed=seed, profile=profile, scale=scale).day(0)

    scale = 20.0
    drawn = day(scale)
    for _ in range(12):
        n = max(1, len(drawn.observations))
        if at_least <= n <= at_least * 1.05:
            return drawn
        scale *= (at_least * 1.02 / n) ** (0.8 if n > at_least else 1.0)
        drawn = day(scale)
    if len(drawn.observations) >= at_least:
        return drawn
    raise RuntimeError(f"no simulated day reached {at_least} observations")


def _pairs(counts: np.ndarray) -> int:
    return int((counts * (counts - 1) // 2).sum())


def quality(truth: dict[str, int], assigned: dict[str, int]) -> dict[str, Any]:
    """Pairwise precision/recall and exact recovery of the true events by the incidents."""
    keys = [k for k in truth if k in assigned]
    events = np.array([truth[k] for k in keys])
    incidents = np.array([assigned[k] for k in keys])
    both = Counter(zip(events.tolist(), incidents.tolist(), strict=True))
    same_both = _pairs(np.array(list(both.values())))
    same_event = _pairs(np.array(list(Counter(events.tolist()).values())))
    same_incident = _pairs(np.array(list(Counter(incidents.tolist()).values())))
    by_event: dict[int, set[int]] = {}
    by_incident: dict[int, set[int]] = {}
    for e, i in zip(events.tolist(), incidents.tolist(), strict=True):
        by_event.setdefault(e, set()).add(i)
        by_incident.setdefault(i, set()).add(e)
    exact = sum(
        1 for e, inc in by_event.items() if len(inc) == 1 and by_incident[next(iter(inc))] == {e}
    )
    return {
        "observations": len(keys),
        "events": len(by_event),
        "incidents": len(by_incident),
        "pair_precision": same_both / same_incident if same_incident else 1.0,
        "pair_recall": same_both / same_event if same_event else 1.0,
        "events_recovered_exactly": exact / len(by_event) if by_event else 1.0,
    }


def position_errors(db: Any, sim: Any, start: str, end: str) -> list[float]:
    """Metres from each fixed incident position to the true position of its main event."""
    from truce.lib.bearings import GEOD

    truth = {o.data["client_uuid"].replace("-", ""): o.event for o in sim.observations}
    events = {e.id: e for e in sim.events}
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT o.client_uuid, i.id, i.min_lon, i.min_lat FROM monitoring_observation o "
        "JOIN monitoring_incident i ON i.id = o.incident_id "
        "WHERE o.observed_at >= ? AND o.observed_at < ? AND i.min_lon IS NOT NULL",
        (start, end),
    ).fetchall()
    con.close()
    votes: dict[int, Counter[int]] = {}
    where: dict[int, tuple[float, float]] = {}
    for client_uuid, incident, lon, lat in rows:
        if client_uuid in truth:
            votes.setdefault(incident, Counter())[truth[client_uuid]] += 1
            where[incident] = (lon, lat)
    if not votes:
        return []
    ids = list(votes)
    main = [events[votes[i].most_common(1)[0][0]] for i in ids]
    _, _, metres = GEOD.inv(
        [where[i][0] for i in ids],
        [where[i][1] for i in ids],
        [e.lon for e in main],
        [e.lat for e in main],
    )
    return [float(m) for m in np.atleast_1d(metres)]


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_args(__doc__ or "")
    parser.add_argument("--observations", type=int, help="default 100,000 (quick 2,000)")
    parser.add_argument("--sim-profile", default="tense", choices=("quiet", "tense", "mixed"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile the timed regroup")
    args = parser.parse_args(argv)
    wanted = args.observations or (2_000 if args.quick else 100_000)

    data_dir = fresh_database(args.template, args.work, "grouping")
    db = data_dir / DB_NAME
    con = sqlite3.connect(db)
    con.execute("UPDATE alerts_alertrule SET active = 0")
    con.commit()
    con.close()
    setup_django(data_dir)
    from truce.core.models import User
    from truce.monitoring.services import incidents_regroup, observations_record_batch
    from truce.monitoring.services.grouping import GroupingParams

    params = GroupingParams.from_settings()
    sim = simulated_day(wanted, args.sim_profile, args.seed)
    start, end = sim.start, sim.end
    log(
        f"grouping: {len(sim.observations):,} observations of {len(sim.events):,} true events "
        f"({args.sim_profile} profile), {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    )
    users = {u.username: u for u in User.objects.all()}
    with timed() as ingest_s:
        for party, name in REPORTERS.items():
            items = [o.data for o in sim.observations if o.party == party]
            for i in range(0, len(items), 1000):
                observations_record_batch(actor=users[name], items=items[i : i + 1000])
    log(f"grouping: ingested in {ingest_s():.1f} s")

    with timed() as after_ingest_s:
        after_ingest = incidents_regroup(actor=None, start=start, end=end)
    close_django()

    # Undo the grouping of the day: the next regroup starts from ungrouped observations.
    bounds = (str(start.replace(tzinfo=None)), str(end.replace(tzinfo=None)))
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute(
        "UPDATE monitoring_observation SET incident_id = NULL "
        "WHERE observed_at >= ? AND observed_at < ?",
        bounds,
    )
    con.execute(
        "DELETE FROM monitoring_incident WHERE id NOT IN "
        "(SELECT incident_id FROM monitoring_observation WHERE incident_id IS NOT NULL)"
    )
    con.execute("COMMIT")
    con.close()
    checkpoint(db)

    profiler = cProfile.Profile() if args.profile else None
    with timed() as fresh_s:
        if profiler is not None:
            profiler.enable()
        formed = incidents_regroup(actor=None, start=start, end=end)
        if profiler is not None:
            profiler.disable()
    with timed() as again_s:
        again = incidents_regroup(actor=None, start=start, end=end)
    close_django()

    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT client_uuid, incident_id FROM monitoring_observation "
        "WHERE observed_at >= ? AND observed_at < ?",
        bounds,
    ).fetchall()
    methods = dict(
        con.execute(
            "SELECT i.position_method, count(DISTINCT i.id) FROM monitoring_incident i "
            "JOIN monitoring_observation o ON o.incident_id = i.id "
            "WHERE o.observed_at >= ? AND o.observed_at < ? GROUP BY 1",
            bounds,
        ).fetchall()
    )
    con.close()
    truth = {o.data["client_uuid"].replace("-", ""): o.event for o in sim.observations}
    assigned = {k: i for k, i in rows if i is not None}
    q = quality(truth, assigned)
    errors = position_errors(db, sim, *bounds)

    result = Result(
        "grouping", "Grouping and position fixes for a day (incidents_regroup)", args.quick
    )
    result.sizes = {
        "observations in the day": f"{len(rows):,}",
        "true events": f"{q['events']:,}",
        "simulator": f"profile {args.sim_profile}, seed {args.seed}, one mission day",
        "grouping settings": (
            f"window {params.window_s / 60:g} min, {params.distance_m:g} m, "
            f"range {params.max_range_m:g} m, span {params.max_span_s / 60:g} min"
        ),
    }
    result.figure("regroup from ungrouped", f"{fresh_s():.2f} s -> {formed:,} incidents")
    result.figure(
        "regroup just after ingest", f"{after_ingest_s():.2f} s ({after_ingest:,} incidents)"
    )
    result.figure("regroup again, nothing changed", f"{again_s():.2f} s ({again:,} incidents)")
    result.figure(
        "ingest of the day (service, batches of 1,000)", f"{ingest_s():.1f} s, untimed setup"
    )
    result.figure("observations grouped", f"{len(assigned):,} of {len(rows):,}")
    result.figure(
        "pairwise precision / recall", f"{q['pair_precision']:.3f} / {q['pair_recall']:.3f}"
    )
    result.figure("true events recovered exactly", f"{q['events_recovered_exactly']:.1%}")
    result.figure(
        "incidents by position method",
        ", ".join(f"{m or 'none'} {n:,}" for m, n in sorted(methods.items())),
    )
    if errors:
        result.figure(
            "fixed position to true event",
            f"median {percentile(errors, 50):,.0f} m, p90 {percentile(errors, 90):,.0f} m "
            f"({len(errors):,} incidents with a position)",
        )
    result.target("regroup a day from scratch < 2 s", f"{fresh_s():.2f} s", fresh_s() < TARGET_S)
    result.checks = {
        "observations": len(rows),
        "grouped": len(assigned),
        "incidents": formed,
        "events": q["events"],
        "pair_precision": q["pair_precision"],
        "pair_recall": q["pair_recall"],
    }
    result.raw = {
        "fresh_s": fresh_s(),
        "after_ingest_s": after_ingest_s(),
        "again_s": again_s(),
        "ingest_s": ingest_s(),
        "quality": q,
        "position_error_m": {
            "p50": percentile(errors, 50),
            "p90": percentile(errors, 90),
        },
    }
    if profiler is not None:
        profiler.dump_stats(args.work / "grouping.prof")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_callees("incidents_regroup")
        stats.print_stats(40)
        (args.work / "grouping.cprofile.txt").write_text(out.getvalue(), encoding="utf-8")
        result.notes.append(f"cProfile of the timed regroup: {args.work / 'grouping.cprofile.txt'}")
    finish(result, args.out)


if __name__ == "__main__":
    main()
