"""Durable batch ingest through the HTTP API vs a raw sqlite3 executemany of the same rows.

API side: `truce serve` (waitress, --workers processes) on a fresh copy of
the demo database; the simulator's observations (the mission's OP reports)
posted in batches of 1,000 to /api/v1/monitoring/observations/batch with a
bearer token over keep-alive connections: the first half by one client, one
request after the other, the second half by --clients clients at once (as
several OPs or an import tool upload), each one request after the other.
The target is judged on the concurrent half (the server's capacity); the
one-client rate is reported beside it. Each batch is one
transaction: validation, positions, grouping into incidents, the
observations, one ledger entry per observation and per incident, the count
rollups and the alert rules, committed with synchronous=FULL.

Raw side: the observation rows the service stored, read back from the first
database column for column, inserted into another fresh copy of the same
migrated database with sqlite3.executemany, one transaction of 1,000 rows at
a time, under Truce's own PRAGMAs (WAL, synchronous=FULL, foreign keys on).
The incidents those rows point at are copied first, untimed, so the foreign
keys hold. Target: the API's rate is at least 40 % of the raw rate.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from bench.common import (
    DB_NAME,
    Http,
    PySpy,
    Result,
    Server,
    benchmark_args,
    close_django,
    columns_of,
    finish,
    fmt_rate,
    fresh_database,
    log,
    raw_connection,
    setup_django,
    sim_observations,
    summarise_stacks,
    summary_ms,
    token_for,
)

TARGET_RATIO = 0.40
BATCH_PATH = "/api/v1/monitoring/observations/batch"
WARM_UP = 100
# Functions whose share of the server's samples tells where an ingest's time goes.
FOCUS = (
    "observations_batch",
    "_ingest",
    "load",
    "clean_item",
    "_existing",
    "_build",
    "_group",
    "plan_groups",
    "settle",
    "save_settled",
    "insert_returning_ids",
    "ledger_append_many",
    "_payload",
    "rollups_add",
    "observations_recorded",
    "run_idempotent",
    "commit",
)


def _max_id(con: Any, table: str) -> int:
    return int(con.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()[0])


def _count(con: Any, table: str) -> int:
    return int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def _drained(db: Any, timeout: float = 600.0) -> float:
    """Seconds until no observation waits for its incident (the grouper has caught up)."""
    import sqlite3

    started = time.perf_counter()
    con = sqlite3.connect(db, timeout=30)
    try:
        while time.perf_counter() - started < timeout:
            pending = con.execute(
                "SELECT count(*) FROM monitoring_observation "
                "WHERE incident_id IS NULL AND is_deleted = 0"
            ).fetchone()[0]
            if not pending:
                return time.perf_counter() - started
            time.sleep(0.05)
    finally:
        con.close()
    raise RuntimeError(f"the grouper had not caught up after {timeout:.0f} s")


def _post_all(
    port: int, token: str, bodies: list[bytes], clients: int, latencies: list[float]
) -> float:
    """Post the bodies from `clients` keep-alive connections at once; seconds for all."""
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def work() -> None:
        http = Http(port, token)
        try:
            while True:
                with lock:
                    if not queue or failures:
                        return
                    number, payload = queue.pop(0)
                t0 = time.perf_counter()
                status, data = http.request("POST", BATCH_PATH, payload)
                elapsed = time.perf_counter() - t0
                answer = json.loads(data) if status == 201 else None
                with lock:
                    latencies.append(elapsed)
                    if answer is None:
                        failures.append(f"batch {number}: {status} {data[:500]!r}")
                    elif answer["created"] != len(answer["items"]):
                        failures.append(f"batch {number}: {answer['created']} created")
        finally:
            http.close()

    threads = [threading.Thread(target=work) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(failures[0])
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_args(__doc__ or "")
    parser.add_argument("--observations", type=int, help="default 50,000 (quick: 2,000)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per worker")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients, second half")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy")
    args = parser.parse_args(argv)
    total = args.observations or (2_000 if args.quick else 50_000)
    batch = min(args.batch, total)

    api_dir = fresh_database(args.template, args.work, "api")
    setup_django(api_dir)
    import sqlite3

    sims = sim_observations(total + WARM_UP, scale=60 if args.quick else 500)
    items = [o.data for o in sims]
    warm, items = items[:WARM_UP], items[WARM_UP : WARM_UP + total]
    token = token_for("operator")
    close_django()
    bodies = [
        json.dumps({"items": items[i : i + batch]}).encode("utf-8")
        for i in range(0, len(items), batch)
    ]
    log(f"batch_ingest: {len(items):,} observations in {len(bodies)} batches of {batch}")

    # --- API ---------------------------------------------------------------------------------
    latencies: list[float] = []
    profile: dict[str, Any] | None = None
    half = max(1, len(bodies) // 2)
    with Server(api_dir, threads=args.threads, workers=args.workers) as server:
        client = Http(server.port, token)
        status, body = client.json("POST", BATCH_PATH, {"items": warm})
        if status != 201:
            raise RuntimeError(f"warm-up batch: {status} {body}")
        client.close()
        con = sqlite3.connect(api_dir / DB_NAME)
        first_id = _max_id(con, "monitoring_observation")
        before = {
            t: _count(con, t)
            for t in ("monitoring_incident", "ledger_ledgerentry", "monitoring_observationcount")
        }
        con.close()
        spy = PySpy(server.pid, args.work / "batch_ingest.pyspy.txt") if args.profile else None
        one_seconds = _post_all(server.port, token, bodies[:half], 1, latencies)
        one_drain = _drained(api_dir / DB_NAME)
        many_seconds = _post_all(server.port, token, bodies[half:], args.clients, latencies)
        many_drain = _drained(api_dir / DB_NAME)
        if spy is not None:
            stacks = spy.stop()
            if stacks is not None:
                profile = summarise_stacks(stacks, FOCUS)
    api_seconds = one_seconds + many_seconds
    one_rate = half * batch / one_seconds
    many_rate = (len(items) - half * batch) / many_seconds
    api_rate = many_rate

    # --- what the API stored -----------------------------------------------------------------
    src = sqlite3.connect(api_dir / DB_NAME)
    obs_columns = [c for c in columns_of(src, "monitoring_observation") if c != "id"]
    quoted = ", ".join(f'"{c}"' for c in obs_columns)
    rows = src.execute(
        f"SELECT {quoted} FROM monitoring_observation WHERE id > ? ORDER BY id",
        (first_id,),
    ).fetchall()
    written = {t: _count(src, t) - n for t, n in before.items()}
    api_check = src.execute(
        "SELECT count(*), total(count), min(client_uuid), max(client_uuid) "
        "FROM monitoring_observation WHERE id > ?",
        (first_id,),
    ).fetchone()
    src.close()
    if len(rows) != len(items):
        raise RuntimeError(f"the API stored {len(rows)} rows for {len(items)} observations")

    # --- raw executemany ---------------------------------------------------------------------
    raw_dir = fresh_database(args.template, args.work, "raw")
    dst = raw_connection(raw_dir / DB_NAME)
    raw_first = _max_id(dst, "monitoring_observation")
    # Every incident the API created (warm-up included) that the rows may point at.
    src = sqlite3.connect(api_dir / DB_NAME)
    inc_columns = columns_of(src, "monitoring_incident")
    inc_quoted = ", ".join(f'"{c}"' for c in inc_columns)
    incidents = src.execute(
        f"SELECT {inc_quoted} FROM monitoring_incident WHERE id > ? ORDER BY id",
        (_max_id(dst, "monitoring_incident"),),
    ).fetchall()
    src.close()
    dst.execute("BEGIN IMMEDIATE")
    marks = ", ".join(["?"] * len(inc_columns))
    dst.executemany(
        f"INSERT INTO monitoring_incident ({inc_quoted}) VALUES ({marks})",
        incidents,
    )
    dst.execute("COMMIT")
    insert = (
        f"INSERT INTO monitoring_observation ({quoted}) "
        f"VALUES ({', '.join(['?'] * len(obs_columns))})"
    )
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        dst.execute("BEGIN IMMEDIATE")
        dst.executemany(insert, rows[start : start + batch])
        dst.execute("COMMIT")
    raw_seconds = time.perf_counter() - started
    raw_check = dst.execute(
        "SELECT count(*), total(count), min(client_uuid), max(client_uuid) "
        "FROM monitoring_observation WHERE id > ?",
        (raw_first,),
    ).fetchone()
    journal = dst.execute("PRAGMA journal_mode").fetchone()[0]
    synchronous = dst.execute("PRAGMA synchronous").fetchone()[0]
    dst.close()
    raw_rate = len(rows) / raw_seconds
    ratio = api_rate / raw_rate

    result = Result("batch_ingest", "Durable batch ingest: HTTP API vs raw executemany", args.quick)
    result.sizes = {
        "observations": len(items),
        "batch": batch,
        "batches": len(bodies),
        "source": "truce.monitoring.simulate (mixed profile), the mission's OP reports",
        "server": f"truce serve, waitress, {args.workers} workers x {args.threads} threads",
        "clients": f"first {half} batches: 1 client; the other {len(bodies) - half}: "
        f"{args.clients} clients at once",
        "columns per row": len(obs_columns),
    }
    per_batch = summary_ms(latencies)
    result.figure(
        f"API, {args.clients} clients at once",
        f"{fmt_rate(many_rate)} ({many_seconds:.2f} s)",
    )
    result.figure("API, one client", f"{fmt_rate(one_rate)} ({one_seconds:.2f} s)")
    many_end = (len(items) - half * batch) / (many_seconds + many_drain)
    one_end = half * batch / (one_seconds + one_drain)
    result.figure(
        "grouper caught up after the last batch",
        f"{many_drain:.2f} s ({args.clients} clients), {one_drain:.2f} s (one client)",
    )
    result.figure(
        "ingest and grouping, end to end",
        f"{fmt_rate(many_end)} ({args.clients} clients), {fmt_rate(one_end)} (one client): "
        "first post to the last observation in its incident",
    )
    result.figure("raw executemany", f"{fmt_rate(raw_rate)} ({raw_seconds:.2f} s)")
    result.figure(f"ratio API ({args.clients} clients) / raw", f"{ratio:.1%}")
    result.figure("ratio API (one client) / raw", f"{one_rate / raw_rate:.1%}")
    result.figure(
        "API latency per batch",
        f"p50 {per_batch['p50']:.0f} ms, p95 {per_batch['p95']:.0f} ms, "
        f"max {per_batch['max']:.0f} ms",
    )
    result.figure(
        "API also wrote",
        f"{written['monitoring_incident']:,} incidents, "
        f"{written['ledger_ledgerentry']:,} ledger entries, "
        f"{written['monitoring_observationcount']:,} new rollup rows",
    )
    result.figure("raw database", f"journal_mode={journal}, synchronous={synchronous} (2 = FULL)")
    result.target("API rate >= 40% of raw executemany", f"{ratio:.1%}", ratio >= TARGET_RATIO)
    result.checks = {
        "api_rows": len(rows),
        "raw_rows": raw_check[0],
        "same_rows": tuple(api_check) == tuple(raw_check),
        "all_created": True,
    }
    result.raw = {
        "api_rows_per_s": api_rate,
        "api_one_client_rows_per_s": one_rate,
        "grouped_end_to_end_rows_per_s": many_end,
        "grouper_drain_s": many_drain,
        "raw_rows_per_s": raw_rate,
        "ratio": ratio,
        "api_seconds": api_seconds,
        "raw_seconds": raw_seconds,
        "batch_ms": per_batch,
        "profile": profile,
    }
    if profile is not None:
        shares = ", ".join(f"{k} {v}%" for k, v in profile["inclusive_pct"].items() if v)
        result.notes.append(f"py-spy, {profile['samples']} samples, inclusive: {shares}")
    finish(result, args.out)
    if not result.checks["same_rows"]:
        sys.exit("batch_ingest: the raw copy does not hold the rows the API stored")


if __name__ == "__main__":
    main()
