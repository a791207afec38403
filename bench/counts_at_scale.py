"""Daily counts and the incident map over millions of observations, vs DuckDB on the raw table.

Data. A copy of the demo database (27 posts, 3 zones, the demo's users)
first takes a simulated day through the ingest service, and the rollup SQL
below is checked against the rollups the service wrote: the same rows,
exactly. Then the bulk is seeded with raw executemany for time (bypassing
the services: no ledger entries, no grouping; synchronous=OFF and the
secondary indexes dropped while loading, then rebuilt and WAL restored): by
default 10 million observations over 365 mission days (days of varied
weight), all 27 posts, 3 zones, all types, varied visibility (mission only,
both sides and agencies, public, a side's own reports), and 1 million
incidents. The count rollups are then rebuilt with one INSERT ... SELECT ...
GROUP BY over the raw table, and counts_for is checked against a raw GROUP
BY on a few days, for a mission user and a side A user.

Measured, in the same run, interleaved query by query on the same random days:
* Truce: counts_for(user, window=day, by=post|zone|type), and the incident
  map as the endpoint builds it (incident_map_geojson with a day and a bbox:
  each visible incident's stored feature text, completed per reader);
  the warm-up answers are also checked, value for value, against the
  model-instance serializer (untimed);
* DuckDB: the same answers from the raw observation and incident tables,
  exported once (untimed) into a DuckDB file in id order (DuckDB's SQLite
  scanner is an extension it would download; the run stays offline).
Each DuckDB answer is compared with Truce's (the same rows).

Each map view is measured twice: first on its day (Truce then reads the
day's pages from disk unless the OS still holds them; DuckDB may find them
in its buffer pool, filled by the export in this process) and again right
after, as a refreshing map asks (both from cache). Both are reported, each
with its own targets.

Targets: Truce p95 under 50 ms, and at least 3 times faster than DuckDB.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
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
    fmt_ms,
    fresh_database,
    log,
    setup_django,
    sim_observations,
    summary_ms,
    timed,
)
from bench.seeding import (
    rebuild_rollups,
    rollup_sql_matches_service,
    seed,
)

KEY_SQL = {"post": "coalesce(observer_post_id, 0)", "zone": "coalesce(zone_id, 0)", "type": "type"}


# --- answers -------------------------------------------------------------------------------


class Labels:
    """What counts_for shows for a raw key: (code, name) of a visible post or zone, else Other."""

    def __init__(self, user: Any) -> None:
        from truce.core.models import Facility, Zone
        from truce.core.sharing import visible
        from truce.monitoring.models import ObservationType
        from truce.monitoring.selectors import OTHER_LABEL

        self.other = (None, OTHER_LABEL)
        self.posts = {f.pk: (f.code, f.name) for f in visible(Facility.objects.all(), user)}
        self.zones = {z.pk: (z.code, z.name) for z in visible(Zone.objects.all(), user)}
        self.zone_codes = {pk: code for pk, (code, _) in self.zones.items()}
        self.types = {k: (k, str(v)) for k, v in ObservationType.choices}

    def of(self, by: str, raw: Any) -> tuple[str | None, str]:
        if by == "type":
            return self.types.get(raw, (raw, raw))
        table = self.posts if by == "post" else self.zones
        return table.get(raw, self.other)


def merge(sums: list[tuple[Any, ...]], by: str, window: dt.date, labels: Labels) -> list[dict]:
    """counts_for's rows from (raw key, window, observations, events) sums."""
    merged: dict[Any, dict[str, Any]] = {}
    for raw, day, observations, events in sums:
        key, label = labels.of(by, raw)
        row = merged.setdefault(
            key,
            {
                "key": key,
                "label": label,
                "observations": 0,
                "events": 0,
                "previous_observations": 0,
                "previous_events": 0,
            },
        )
        prefix = "" if str(day) == window.isoformat() else "previous_"
        row[f"{prefix}observations"] += int(observations)
        row[f"{prefix}events"] += int(events)
    for row in merged.values():
        row["change"] = row["observations"] - row["previous_observations"]
    return sorted(merged.values(), key=lambda r: (r["key"] is None, str(r["label"])))


def _visibility_sql(side_a: bool, true: str = "1") -> str:
    return f" AND (share_public = {true} OR share_side_a = {true})" if side_a else ""


def raw_counts(db: Path, by: str, window: dt.date, side_a: bool, labels: Labels) -> list[dict]:
    """The same question straight from the raw table in SQLite (for the correctness check)."""
    previous = window - dt.timedelta(days=1)
    con = sqlite3.connect(db)
    sums = con.execute(
        f'SELECT {KEY_SQL[by]}, "window", count(*), sum("count") FROM monitoring_observation '
        f'WHERE "window" IN (?, ?) AND is_deleted = 0{_visibility_sql(side_a)} GROUP BY 1, 2',
        (window.isoformat(), previous.isoformat()),
    ).fetchall()
    con.close()
    return merge(sums, by, window, labels)


# --- DuckDB --------------------------------------------------------------------------------

OBS_EXPORT = [
    ("id", "BIGINT", "id"),
    ("window", "DATE", '"window"'),
    ("observed_at", "TIMESTAMP", "observed_at"),
    ("observer_post_id", "BIGINT", "coalesce(observer_post_id, -1)"),
    ("zone_id", "BIGINT", "coalesce(zone_id, -1)"),
    ("type", "VARCHAR", "type"),
    ("count", "INTEGER", '"count"'),
    ("killed_military", "INTEGER", "killed_military"),
    ("killed_civilian", "INTEGER", "killed_civilian"),
    ("injured_military", "INTEGER", "injured_military"),
    ("injured_civilian", "INTEGER", "injured_civilian"),
    ("share_side_a", "BOOLEAN", "share_side_a"),
    ("share_side_b", "BOOLEAN", "share_side_b"),
    ("share_agencies", "BOOLEAN", "share_agencies"),
    ("share_public", "BOOLEAN", "share_public"),
    ("is_deleted", "BOOLEAN", "is_deleted"),
]
INC_EXPORT = [
    ("id", "BIGINT", "id"),
    ("public_id", "VARCHAR", "public_id"),
    ("reference", "VARCHAR", "reference"),
    ("type", "VARCHAR", "type"),
    ("status", "VARCHAR", "status"),
    ("severity", "VARCHAR", "severity"),
    ("started_at", "TIMESTAMP", "started_at"),
    ("ended_at", "TIMESTAMP", "ended_at"),
    ("geometry", "VARCHAR", "coalesce(geometry, '')"),
    ("min_lon", "DOUBLE", "coalesce(min_lon, -9999.0)"),
    ("min_lat", "DOUBLE", "coalesce(min_lat, -9999.0)"),
    ("max_lon", "DOUBLE", "coalesce(max_lon, -9999.0)"),
    ("max_lat", "DOUBLE", "coalesce(max_lat, -9999.0)"),
    ("uncertainty_m", "DOUBLE", "coalesce(uncertainty_m, -9999.0)"),
    ("position_method", "VARCHAR", "position_method"),
    ("zone_id", "BIGINT", "coalesce(zone_id, -1)"),
    ("observation_count", "INTEGER", "observation_count"),
    ("killed", "INTEGER", "killed"),
    ("injured", "INTEGER", "injured"),
    ("location_approximate", "BOOLEAN", "location_approximate"),
    ("share_side_a", "BOOLEAN", "share_side_a"),
    ("share_public", "BOOLEAN", "share_public"),
    ("is_deleted", "BOOLEAN", "is_deleted"),
]
# NULL travels as a sentinel through numpy and becomes NULL again in DuckDB.
NULLABLE = {"BIGINT": "-1", "DOUBLE": "-9999.0"}


def _export(con: Any, src: sqlite3.Connection, table: str, name: str, spec: list) -> int:
    """Copy columns of a SQLite table into a DuckDB table, in id order, in chunks."""
    ddl = ", ".join(f'"{c}" {t}' for c, t, _ in spec)
    con.execute(f'CREATE TABLE "{name}" ({ddl})')
    cursor = src.execute(f"SELECT {', '.join(s for _, _, s in spec)} FROM {table} ORDER BY id")
    total = 0
    while rows := cursor.fetchmany(500_000):
        columns = list(zip(*rows, strict=True))
        chunk = {}
        for (column, kind, _), values in zip(spec, columns, strict=True):
            if kind in ("VARCHAR", "DATE", "TIMESTAMP"):
                chunk[column] = np.array(values, dtype=object).astype(str)
            else:
                chunk[column] = np.array(values)
        select = []
        for column, kind, _ in spec:
            value = f'CAST(chunk."{column}" AS {kind})'
            if kind in NULLABLE and column != "id":
                value = f"NULLIF({value}, {NULLABLE[kind]})"
            select.append(value)
        # DuckDB reads the local dict of numpy arrays `chunk` by its name.
        con.execute(f'INSERT INTO "{name}" SELECT {", ".join(select)} FROM chunk')
        total += len(rows)
    return total


def duckdb_available() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def duckdb_export(db: Path, target: Path) -> tuple[Any, float]:
    import duckdb

    if target.exists():
        target.unlink()
    con = duckdb.connect(
        str(target),
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    src = sqlite3.connect(db)
    with timed() as elapsed:
        _export(con, src, "monitoring_observation", "observation", OBS_EXPORT)
        _export(con, src, "monitoring_incident", "incident", INC_EXPORT)
        con.execute("CHECKPOINT")
    src.close()
    return con, elapsed()


def duck_counts(con: Any, by: str, window: dt.date, side_a: bool, labels: Labels) -> list[dict]:
    previous = window - dt.timedelta(days=1)
    sums = con.execute(
        f'SELECT {KEY_SQL[by]}, "window", count(*), sum("count") FROM observation '
        f'WHERE "window" IN (?, ?) AND NOT is_deleted{_visibility_sql(side_a, "true")} '
        "GROUP BY 1, 2",
        [window, previous],
    ).fetchall()
    return merge(sums, by, window, labels)


def duck_map(con: Any, window: dt.date, bbox: Any, side_a: bool, labels: Labels) -> str:
    """The map's GeoJSON from the raw incident table, with the endpoint's properties."""
    from truce.lib.time import window_bounds

    start, end = window_bounds(window)
    rows = con.execute(
        "SELECT public_id, reference, type, status, severity, started_at, ended_at, geometry, "
        "min_lon, min_lat, max_lon, max_lat, uncertainty_m, position_method, zone_id, "
        "observation_count, killed, injured, location_approximate FROM incident "
        "WHERE started_at >= ? AND started_at < ? AND max_lon >= ? AND min_lon <= ? "
        "AND max_lat >= ? AND min_lat <= ? AND NOT is_deleted AND min_lon IS NOT NULL"
        f"{_visibility_sql(side_a, 'true')} ORDER BY started_at DESC, id DESC",
        [
            start.replace(tzinfo=None),
            end.replace(tzinfo=None),
            bbox.min_lon,
            bbox.max_lon,
            bbox.min_lat,
            bbox.max_lat,
        ],
    ).fetchall()
    features = []
    for r in rows:
        public_id = str(r[0])
        features.append(
            {
                "type": "Feature",
                "id": f"{public_id[:8]}-{public_id[8:12]}-{public_id[12:16]}-"
                f"{public_id[16:20]}-{public_id[20:]}",
                "geometry": json.loads(r[7]) if r[7] else None,
                "bbox": [r[8], r[9], r[10], r[11]],
                "properties": {
                    "layer": "incidents",
                    "name": r[1],
                    "reference": r[1],
                    "type": r[2],
                    "status": r[3],
                    "severity": r[4],
                    "started_at": r[5].isoformat() + "Z",
                    "ended_at": r[6].isoformat() + "Z",
                    "uncertainty_m": r[12],
                    "position_method": r[13],
                    "zone": labels.zone_codes.get(r[14]),
                    "observation_count": r[15],
                    "killed": r[16],
                    "injured": r[17],
                    "approximate": r[18],
                    "url": f"/monitoring/incidents/{public_id}/",
                },
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features})


# --- the run -------------------------------------------------------------------------------


def _truce_map(user: Any, window: dt.date, bbox: Any) -> str:
    """The map endpoint's body: the function it calls, with a day and a box."""
    from truce.monitoring.serializers import incident_map_geojson

    return incident_map_geojson(user, window=window, bbox=bbox)


def _reference_map(user: Any, window: dt.date, bbox: Any) -> str:
    """The map as the model-instance serializer builds it (what the endpoint sent before)."""
    from django.core.serializers.json import DjangoJSONEncoder

    from truce.monitoring.selectors import incidents_visible_to
    from truce.monitoring.serializers import incident_collection

    rows = (
        incidents_visible_to(user, window=window, bbox=bbox)
        .filter(min_lon__isnull=False)
        .order_by("-started_at", "-pk")
    )
    return json.dumps(incident_collection(rows, user), cls=DjangoJSONEncoder)


def _same_map(user: Any, window: dt.date, bbox: Any, body: str) -> bool:
    """The text equals, value for value, what the reference serializer builds."""
    canonical = [
        json.dumps(json.loads(text), sort_keys=True)
        for text in (body, _reference_map(user, window, bbox))
    ]
    return canonical[0] == canonical[1]


def _ids(geojson: str) -> list[str]:
    return [f["id"] for f in json.loads(geojson)["features"]]


def _measure(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_args(__doc__ or "")
    parser.add_argument("--rows", type=int, help="observations (default 10,000,000; quick 20,000)")
    parser.add_argument("--days", type=int, help="mission days (default 365; quick 10)")
    parser.add_argument("--incidents", type=int, help="default rows / 10")
    parser.add_argument("--queries", type=int, help="counts queries per user (default 200)")
    parser.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB comparison")
    parser.add_argument("--seed", type=int, default=20201110)
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 10_000_000)
    days = args.days or (10 if args.quick else 365)
    incidents = args.incidents or max(1, rows // 10)
    queries = args.queries or (20 if args.quick else 200)
    use_duckdb = not args.no_duckdb and duckdb_available()

    data_dir = fresh_database(args.template, args.work, "counts")
    db = data_dir / DB_NAME
    setup_django(data_dir)
    from truce.core.models import User
    from truce.core.selectors import BBoxFilter
    from truce.lib.time import window_of
    from truce.monitoring.selectors import counts_for
    from truce.monitoring.services import observations_record_batch

    # 1. The service's rollups for a simulated day, and the rollup SQL against them.
    users = {u.username: u for u in User.objects.select_related("party")}
    sims = sim_observations(
        300 if args.quick else 2_000,
        scale=10 if args.quick else 60,
        parties=("mission", "side_a", "side_b"),
        seed=5,
        start=SIM_START - dt.timedelta(days=1),
    )
    reporters = {"mission": "operator", "side_a": "liaison-a", "side_b": "liaison-b"}
    for party, name in reporters.items():
        items = [o.data for o in sims if o.party == party]
        for i in range(0, len(items), 1000):
            observations_record_batch(actor=users[name], items=items[i : i + 1000])
    close_django()
    checkpoint(db)
    semantics_ok, semantics_keys = rollup_sql_matches_service(db)
    log(f"counts_at_scale: rollup SQL vs service rollups ({semantics_keys} keys): {semantics_ok}")

    # 2. The bulk, then the rollups rebuilt from it.
    log(f"counts_at_scale: seeding {rows:,} observations over {days} days, {incidents:,} incidents")
    stages = seed(db, rows=rows, days=days, incidents=incidents, seed_value=args.seed)
    rollup_rows, rollup_s = rebuild_rollups(db)
    checkpoint(db)
    size_gib = db.stat().st_size / 2**30
    con = sqlite3.connect(db)
    total_obs = con.execute("SELECT count(*) FROM monitoring_observation").fetchone()[0]
    total_inc = con.execute("SELECT count(*) FROM monitoring_incident").fetchone()[0]
    con.close()
    log(
        f"counts_at_scale: {total_obs:,} observations, {total_inc:,} incidents, "
        f"{rollup_rows:,} rollup rows, {size_gib:.1f} GiB; seeding {stages}, "
        f"rollups {rollup_s:.1f} s"
    )

    mission, side_a = users["duty"], users["liaison-a"]
    readers = [("mission", mission, False), ("side A", side_a, True)]
    labels = {name: Labels(user) for name, user, _ in readers}
    windows = [window_of(SIM_START + dt.timedelta(days=d, hours=1)) for d in range(days)]
    rng = random.Random(args.seed)

    # 3. counts_for against a raw GROUP BY on a few days.
    checked = 0
    mismatches = []
    for window in rng.sample(windows[1:], min(4, len(windows) - 1)):
        for name, user, is_side in readers:
            for by in ("post", "zone", "type"):
                truce_rows = [dict(r) for r in counts_for(user, window=window, by=by)]
                if truce_rows != raw_counts(db, by, window, is_side, labels[name]):
                    mismatches.append(f"{window} {name} {by}")
                checked += 1
    log(f"counts_at_scale: counts_for vs raw GROUP BY: {checked - len(mismatches)}/{checked} equal")

    duck = None
    export_s = None
    if use_duckdb:
        log("counts_at_scale: exporting to DuckDB (untimed)")
        duck, export_s = duckdb_export(db, args.work / "counts.duckdb")

    # 4. The measured queries, interleaved, on the same random days.
    # A map view: 60 % of the posts' extent (plus a margin) in each direction, placed at random.
    posts = sqlite3.connect(db).execute(
        "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM core_facility "
        "WHERE kind = 'observation_post'"
    )
    low_lon, low_lat, high_lon, high_lat = posts.fetchone()
    extent = (low_lon - 0.15, low_lat - 0.15, high_lon + 0.15, high_lat + 0.15)
    times: dict[str, list[float]] = {}
    disagree: list[str] = []
    features: list[int] = []
    map_mismatches: list[str] = []
    map_checked = 0

    def record(key: str, seconds: float) -> None:
        times.setdefault(key, []).append(seconds)

    warm = 5
    for name, user, is_side in readers:
        for q in range(queries + warm):
            window = rng.choice(windows[1:])
            by = ("post", "zone", "type")[q % 3]
            truce_rows, t_truce = _measure(
                lambda u=user, w=window, b=by: [dict(r) for r in counts_for(u, window=w, by=b)]
            )
            if duck is not None:
                duck_rows, t_duck = _measure(
                    lambda w=window, b=by, s=is_side, n=name: duck_counts(duck, b, w, s, labels[n])
                )
                if q >= warm:
                    record(f"duckdb counts {name}", t_duck)
                if duck_rows != truce_rows:
                    disagree.append(f"counts {name} {window} {by}")
            if q >= warm:
                record(f"truce counts {name}", t_truce)
        for q in range(queries // 2 + warm):
            window = rng.choice(windows[1:])
            w, h = (extent[2] - extent[0]) * 0.6, (extent[3] - extent[1]) * 0.6
            x, y = rng.uniform(extent[0], extent[0] + w), rng.uniform(extent[1], extent[1] + h)
            bbox = BBoxFilter(x, y, x + w, y + h)
            body, t_truce = _measure(lambda u=user, d=window, b=bbox: _truce_map(u, d, b))
            if q >= warm:
                record(f"truce map {name}", t_truce)
                features.append(len(_ids(body)))
            if q < warm and not _same_map(user, window, bbox, body):  # untimed
                map_mismatches.append(f"{name} {window}")
            map_checked += q < warm
            if duck is not None:
                duck_body, t_duck = _measure(
                    lambda d=window, b=bbox, s=is_side, n=name: duck_map(duck, d, b, s, labels[n])
                )
                if q >= warm:
                    record(f"duckdb map {name}", t_duck)
                if _ids(duck_body) != _ids(body):
                    disagree.append(f"map {name} {window}")
            # The same view again, as a duty officer's map refreshes: each side then
            # reads from its cache (SQLite's pages from the OS, DuckDB's from its own
            # buffer pool, which the first view may have found warm already).
            _, t_again = _measure(lambda u=user, d=window, b=bbox: _truce_map(u, d, b))
            if q >= warm:
                record(f"truce map repeated {name}", t_again)
            if duck is not None:
                _, t_duck_again = _measure(
                    lambda d=window, b=bbox, s=is_side, n=name: duck_map(duck, d, b, s, labels[n])
                )
                if q >= warm:
                    record(f"duckdb map repeated {name}", t_duck_again)

    log(
        f"counts_at_scale: map text vs the reference serializer: "
        f"{map_checked - len(map_mismatches)}/{map_checked} equal"
    )
    stats = {key: summary_ms(values) for key, values in times.items()}
    result = Result(
        "counts_at_scale", "Daily counts and the incident map at scale vs DuckDB", args.quick
    )
    result.sizes = {
        "observations": f"{total_obs:,}",
        "mission days": days,
        "incidents": f"{total_inc:,}",
        "posts / zones": "27 / 3 (the demo scenario's)",
        "rollup rows": f"{rollup_rows:,}",
        "database": f"{size_gib:.2f} GiB",
        "queries": f"{queries} counts + {queries // 2} map per reader (mission, side A), "
        f"after {warm} warm-up each",
        "seeding": f"insert {stages['insert_s']:.0f} s, indexes {stages['indexes_s']:.0f} s, "
        f"rollups {rollup_s:.0f} s (raw executemany, services bypassed)",
    }
    if export_s is not None:
        result.sizes["DuckDB export"] = f"{export_s:.0f} s (untimed), DuckDB file in id order"
    for key in sorted(stats):
        s = stats[key]
        result.figure(
            key, f"p50 {fmt_ms(s['p50'])}, p95 {fmt_ms(s['p95'])}, max {fmt_ms(s['max'])}"
        )
    if features:
        result.figure(
            "map features per answer", f"median {int(np.median(features))}, max {max(features)}"
        )
    for name, _, _ in readers:
        for what in ("counts", "map", "map repeated"):
            truce_s = stats[f"truce {what} {name}"]
            result.target(
                f"{what} p95 < 50 ms ({name})", fmt_ms(truce_s["p95"]), truce_s["p95"] < 50
            )
            if duck is not None:
                duck_s = stats[f"duckdb {what} {name}"]
                ratio = duck_s["p50"] / truce_s["p50"]
                ratio95 = duck_s["p95"] / truce_s["p95"]
                result.figure(
                    f"DuckDB / Truce {what} {name}", f"{ratio:.2f}x at p50, {ratio95:.2f}x at p95"
                )
                result.target(
                    f"{what} >= 3x faster than DuckDB ({name}, p50)", f"{ratio:.2f}x", ratio >= 3
                )
    if duck is None:
        result.notes.append(
            "DuckDB comparison skipped: "
            + (
                "--no-duckdb"
                if args.no_duckdb
                else "duckdb is not installed (pip install 'duckdb>=1.1')"
            )
        )
    result.checks = {
        "rollup_sql_matches_service": semantics_ok,
        "service_rollup_keys": semantics_keys,
        "counts_checked": checked,
        "counts_mismatches": mismatches,
        "map_checked_against_reference": map_checked,
        "map_reference_mismatches": map_mismatches,
        "duckdb": duck is not None,
        "duckdb_disagreements": disagree[:10],
        "observations": total_obs,
        "incidents": total_inc,
    }
    result.raw = {"ms": stats, "stages_s": stages, "rollup_s": rollup_s, "export_s": export_s}
    finish(result, args.out)


if __name__ == "__main__":
    main()
