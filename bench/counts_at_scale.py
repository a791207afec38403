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
  map as the endpoint builds it (incidents_visible_to with a day and a bbox,
  serialised to GeoJSON);
* DuckDB: the same answers from the raw observation and incident tables,
  exported once (untimed) into a DuckDB file in id order (DuckDB's SQLite
  scanner is an extension it would download; the run stays offline).
Each DuckDB answer is compared with Truce's (the same rows).

Targets: Truce p95 under 50 ms, and at least 3 times faster than DuckDB.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
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
    columns_of,
    finish,
    fmt_ms,
    fresh_database,
    log,
    setup_django,
    sim_observations,
    summary_ms,
    timed,
)

TYPES = [
    ("explosion_impact", 12),
    ("explosion_airburst", 2),
    ("explosion_outgoing", 5),
    ("explosion_undetermined", 10),
    ("projectile_in_flight", 2),
    ("muzzle_flash", 3),
    ("illumination_flare", 25),
    ("bursts_and_shots", 22),
    ("movement", 8),
    ("restriction_of_movement", 1),
    ("provocation", 3),
    ("civilian_harm", 1),
    ("damage_to_mission_assets", 1),
    ("other", 5),
]
STATUSES = [("reported", 70), ("under_review", 5), ("verified", 10), ("unconfirmed", 10)]
STATUSES += [("dismissed", 5)]
# Visibility of the mission's own reports: (side_a, side_b, agencies, public), weight.
MISSION_SHARES = [((1, 1, 1, 0), 70), ((0, 0, 0, 0), 15), ((1, 1, 1, 1), 10), ((1, 0, 1, 0), 5)]
SEED_SOURCE = "Seeded by bench.counts_at_scale (not a real observation)"
TEXTS = ["Seeded: explosions heard", "Seeded: bursts of fire", "Seeded: flare", "Seeded"]
ROLLUP_KEYS = (
    '"window", post_key, zone_key, type, share_side_a, share_side_b, share_agencies, share_public'
)
ROLLUP_SELECT = """
    SELECT "window", coalesce(observer_post_id, 0), coalesce(zone_id, 0), type,
           share_side_a, share_side_b, share_agencies, share_public,
           count(*), sum("count"), sum(killed_military + killed_civilian),
           sum(injured_military + injured_civilian)
    FROM monitoring_observation WHERE is_deleted = 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""
KEY_SQL = {"post": "coalesce(observer_post_id, 0)", "zone": "coalesce(zone_id, 0)", "type": "type"}


# --- seeding -------------------------------------------------------------------------------


class Seeder:
    """Observation and incident rows drawn with numpy, a day at a time, in time order."""

    def __init__(self, con: sqlite3.Connection, *, rows: int, days: int, incidents: int, seed: int):
        from truce.lib.time import window_of

        self.con, self.rows, self.days, self.incidents = con, rows, days, incidents
        self.rng = np.random.default_rng(seed)
        self.window_of = window_of
        posts = con.execute(
            "SELECT id, zone_id, min_lon, min_lat FROM core_facility "
            "WHERE kind = 'observation_post' AND is_deleted = 0 ORDER BY id"
        ).fetchall()
        self.post_id = np.array([p[0] for p in posts])
        self.post_zone = np.array([p[1] or 0 for p in posts])
        self.post_lon = np.array([p[2] for p in posts], float)
        self.post_lat = np.array([p[3] for p in posts], float)
        self.zone_ids = np.array([z[0] for z in con.execute("SELECT id FROM core_zone")])
        users = dict(con.execute("SELECT username, id FROM core_user"))
        parties = dict(con.execute("SELECT scope, id FROM core_party"))
        self.mission = (users["operator"], parties["mission"])
        self.side_a = (users["liaison-a"], parties["side_a"])
        self.side_b = (users["liaison-b"], parties["side_b"])
        self.obs_columns = [c for c in columns_of(con, "monitoring_observation") if c != "id"]
        self.inc_columns = columns_of(con, "monitoring_incident")
        self.next_incident = int(
            con.execute("SELECT coalesce(max(id), 0) FROM monitoring_incident").fetchone()[0]
        )

    def _choice(self, table: list[tuple[Any, int]], n: int) -> np.ndarray:
        weights = np.array([w for _, w in table], float)
        return self.rng.choice(len(table), size=n, p=weights / weights.sum())

    @staticmethod
    def _hex(n: int, nbytes: int) -> list[str]:
        text = os.urandom(n * nbytes).hex()
        width = 2 * nbytes
        return [text[i : i + width] for i in range(0, n * width, width)]

    @staticmethod
    def _times(start: dt.datetime, seconds: np.ndarray) -> list[str]:
        base = np.datetime64(start.replace(tzinfo=None), "s")
        text = np.datetime_as_string(base + seconds.astype("timedelta64[s]"), unit="s")
        return [t.replace("T", " ") for t in text.tolist()]

    def day_sizes(self) -> tuple[np.ndarray, np.ndarray]:
        weights = self.rng.gamma(2.0, 1.0, size=self.days)
        sizes = self.rng.multinomial(self.rows, weights / weights.sum())
        per_incident = self.rows / max(1, self.incidents)
        incidents = np.maximum(1, np.round(sizes / per_incident)).astype(int)
        incidents = np.minimum(incidents, np.maximum(sizes, 1))
        return sizes, incidents

    def day(self, index: int, n: int, k: int) -> tuple[Iterator[tuple[Any, ...]], list[Any]]:
        """Rows of one mission day: its observations and its k incidents."""
        rng = self.rng
        start = SIM_START + dt.timedelta(days=index)
        window = self.window_of(start + dt.timedelta(hours=1)).isoformat()
        seconds = np.sort(rng.integers(0, 86_400, size=n))
        kind = rng.choice(4, size=n, p=[0.85, 0.05, 0.06, 0.04])  # op, patrol, side report, LO
        is_op = kind == 0
        post_slot = rng.integers(0, len(self.post_id), size=n)
        post = np.where(is_op, self.post_id[post_slot], 0)
        free_zone = np.where(
            rng.random(n) < 0.8, self.zone_ids[rng.integers(0, len(self.zone_ids), n)], 0
        )
        zone = np.where(is_op, self.post_zone[post_slot], free_zone)
        types = np.array([t for t, _ in TYPES])[self._choice(TYPES, n)]
        shares = np.array([s for s, _ in MISSION_SHARES])[self._choice(MISSION_SHARES, n)]
        side = rng.random(n) < 0.5
        party_report = kind == 2
        shares[party_report] = 0
        shares[party_report & side, 0] = 1
        shares[party_report & ~side, 1] = 1
        reporter = np.where(
            party_report, np.where(side, self.side_a[0], self.side_b[0]), self.mission[0]
        )
        party = np.where(
            party_report, np.where(side, self.side_a[1], self.side_b[1]), self.mission[1]
        )
        olon = self.post_lon[post_slot] + np.where(is_op, 0.0, rng.normal(0, 0.05, n))
        olat = self.post_lat[post_slot] + np.where(is_op, 0.0, rng.normal(0, 0.05, n))
        lon = np.round(olon + rng.normal(0, 0.03, n), 7)
        lat = np.round(olat + rng.normal(0, 0.03, n), 7)
        hurt = rng.random(n) < 0.01
        killed = np.where(hurt, rng.integers(0, 2, n), 0)
        injured = np.where(hurt, rng.integers(0, 4, n), 0)
        observed = self._times(start, seconds)
        created = self._times(start, seconds + 60)
        lon_l, lat_l = lon.tolist(), lat.tolist()
        kinds = np.array(["op", "patrol", "party_complaint", "liaison_officer"])[kind]
        values: dict[str, Any] = {
            "public_id": self._hex(n, 16),
            "version": itertools.repeat(1),
            "share_side_a": shares[:, 0].tolist(),
            "share_side_b": shares[:, 1].tolist(),
            "share_agencies": shares[:, 2].tolist(),
            "share_public": shares[:, 3].tolist(),
            "created_at": created,
            "updated_at": created,
            "source": itertools.repeat(SEED_SOURCE),
            "confidence": itertools.repeat(""),
            "is_deleted": itertools.repeat(0),
            "deleted_at": itertools.repeat(None),
            "geometry": [
                f'{{"type": "Point", "coordinates": [{x}, {y}]}}'
                for x, y in zip(lon_l, lat_l, strict=True)
            ],
            "min_lon": lon_l,
            "min_lat": lat_l,
            "max_lon": lon_l,
            "max_lat": lat_l,
            "location_approximate": itertools.repeat(0),
            "client_uuid": self._hex(n, 16),
            "content_sha256": self._hex(n, 32),
            "observed_at": observed,
            "window": itertools.repeat(window),
            "observer_kind": kinds.tolist(),
            "observer_label": itertools.repeat(""),
            "observer_lon": np.round(olon, 7).tolist(),
            "observer_lat": np.round(olat, 7).tolist(),
            "type": types.tolist(),
            "count": (1 + rng.poisson(1.0, n)).tolist(),
            "weapon_type": itertools.repeat(""),
            "bearing_deg": np.round(rng.uniform(0, 360, n), 1).tolist(),
            "distance_m": np.round(rng.uniform(500, 8000, n), -1).tolist(),
            "position_method": itertools.repeat("bearing_distance"),
            "direction_of_fire": itertools.repeat(""),
            "direction_place": itertools.repeat(""),
            "killed_military": itertools.repeat(0),
            "killed_civilian": killed.tolist(),
            "injured_military": itertools.repeat(0),
            "injured_civilian": injured.tolist(),
            "text": [TEXTS[i] for i in rng.integers(0, len(TEXTS), n).tolist()],
            "created_by_id": reporter.tolist(),
            "observer_post_id": [p or None for p in post.tolist()],
            "reporter_id": reporter.tolist(),
            "reporting_party_id": party.tolist(),
            "updated_by_id": reporter.tolist(),
            "zone_id": [z or None for z in zone.tolist()],
        }
        # Consecutive observations of the day form its incidents.
        member = (np.arange(n) * k) // max(n, 1)
        first = np.searchsorted(member, np.arange(k))
        last = np.append(first[1:], n) - 1
        ids = self.next_incident + 1 + np.arange(k)
        self.next_incident += k
        values["incident_id"] = ids[member].tolist()
        missing = set(self.obs_columns) - set(values)
        if missing:
            raise RuntimeError(f"seeder does not know observation columns {sorted(missing)}")
        observations = zip(*(values[c] for c in self.obs_columns), strict=False)
        incidents = self._incidents(ids, first, last, values, observed, types, shares, zone, n)
        return observations, incidents

    def _incidents(
        self,
        ids: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        obs: dict[str, Any],
        observed: list[str],
        types: np.ndarray,
        shares: np.ndarray,
        zone: np.ndarray,
        n: int,
    ) -> list[tuple[Any, ...]]:
        k = len(ids)
        status = np.array([s for s, _ in STATUSES])[self._choice(STATUSES, k)]
        f = first.tolist()
        rows = []
        for j, incident_id in enumerate(ids.tolist()):
            i = f[j]
            values = {
                "id": incident_id,
                "public_id": os.urandom(16).hex(),
                "version": 1,
                "share_side_a": int(shares[i, 0]),
                "share_side_b": int(shares[i, 1]),
                "share_agencies": int(shares[i, 2]),
                "share_public": int(shares[i, 3]),
                "created_at": obs["created_at"][i],
                "updated_at": obs["created_at"][i],
                "source": SEED_SOURCE,
                "confidence": "",
                "is_deleted": 0,
                "deleted_at": None,
                "geometry": obs["geometry"][i],
                "min_lon": obs["min_lon"][i],
                "min_lat": obs["min_lat"][i],
                "max_lon": obs["min_lon"][i],
                "max_lat": obs["min_lat"][i],
                "location_approximate": 0,
                "reference": f"S-{incident_id}",
                "type": str(types[i]),
                "started_at": observed[i],
                "ended_at": observed[int(last[j])],
                "position_method": "bearing_distance",
                "uncertainty_m": 800.0,
                "settlement_distance_m": None,
                "severity": "low",
                "status": str(status[j]),
                "grouped_by_hand": 0,
                "notes": "",
                "observation_count": int(last[j] - i + 1),
                "killed": 0,
                "injured": 0,
                "created_by_id": obs["created_by_id"][i],
                "nearest_settlement_id": None,
                "responsible_party_id": None,
                "updated_by_id": obs["created_by_id"][i],
                "zone_id": int(zone[i]) or None,
            }
            rows.append(tuple(values[c] for c in self.inc_columns))
        return rows


def _secondary_indexes(con: sqlite3.Connection, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    marks = ", ".join("?" * len(tables))
    return con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tables,
    ).fetchall()


def seed(db: Path, *, rows: int, days: int, incidents: int, seed_value: int) -> dict[str, float]:
    """Bulk rows into the database (services bypassed, for time); returns the stage times."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA cache_size=-2000000")
    con.execute("PRAGMA threads=4")
    seeder = Seeder(con, rows=rows, days=days, incidents=incidents, seed=seed_value)
    indexes = _secondary_indexes(con, ("monitoring_observation", "monitoring_incident"))
    stages: dict[str, float] = {}
    with timed() as elapsed:
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        obs_names = ", ".join(f'"{c}"' for c in seeder.obs_columns)
        obs_sql = (
            f"INSERT INTO monitoring_observation ({obs_names}) "
            f"VALUES ({', '.join('?' * len(seeder.obs_columns))})"
        )
        inc_names = ", ".join(f'"{c}"' for c in seeder.inc_columns)
        inc_sql = (
            f"INSERT INTO monitoring_incident ({inc_names}) "
            f"VALUES ({', '.join('?' * len(seeder.inc_columns))})"
        )
        sizes, per_day = seeder.day_sizes()
        done = 0
        con.execute("BEGIN")
        for index, (n, k) in enumerate(zip(sizes.tolist(), per_day.tolist(), strict=True)):
            if n == 0:
                continue
            observations, incident_rows = seeder.day(index, n, k)
            con.executemany(inc_sql, incident_rows)
            con.executemany(obs_sql, observations)
            done += n
            if index % 30 == 29:
                con.execute("COMMIT")
                con.execute("BEGIN")
                log(f"  seeded {done:,} observations ({elapsed():.0f} s)")
        con.execute("COMMIT")
    stages["insert_s"] = elapsed()
    with timed() as elapsed:
        for name, sql in indexes:
            log(f"  index {name}")
            con.execute(sql)
    stages["indexes_s"] = elapsed()
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return stages


def rebuild_rollups(db: Path) -> tuple[int, float]:
    """Replace the rollups with one INSERT ... SELECT ... GROUP BY over the raw table."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA cache_size=-2000000")
    with timed() as elapsed:
        con.execute("BEGIN IMMEDIATE")
        con.execute("DELETE FROM monitoring_observationcount")
        con.execute(
            f"INSERT INTO monitoring_observationcount ({ROLLUP_KEYS}, "
            f"observations, events, killed, injured) {ROLLUP_SELECT}"
        )
        con.execute("COMMIT")
    count = con.execute("SELECT count(*) FROM monitoring_observationcount").fetchone()[0]
    con.close()
    return int(count), elapsed()


def rollup_sql_matches_service(db: Path) -> tuple[bool, int]:
    """The GROUP BY gives exactly the rollup rows the ingest service wrote (same keys, sums)."""
    con = sqlite3.connect(db)
    stored = sorted(
        con.execute(
            f"SELECT {ROLLUP_KEYS}, observations, events, "
            "killed, injured FROM monitoring_observationcount"
        ).fetchall()
    )
    computed = sorted(con.execute(ROLLUP_SELECT).fetchall())
    con.close()
    return stored == computed, len(stored)


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
        f"{_visibility_sql(side_a, 'true')} ORDER BY started_at DESC",
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


def _truce_map(user: Any, window: dt.date, bbox: Any) -> tuple[str, float]:
    from django.core.serializers.json import DjangoJSONEncoder

    from truce.monitoring.selectors import incidents_visible_to
    from truce.monitoring.serializers import incident_collection

    t0 = time.perf_counter()
    rows = list(incidents_visible_to(user, window=window, bbox=bbox).filter(min_lon__isnull=False))
    queried = time.perf_counter() - t0
    return json.dumps(incident_collection(rows, user), cls=DjangoJSONEncoder), queried


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
    use_duckdb = not args.no_duckdb and importlib.util.find_spec("duckdb") is not None

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
            (body, t_query), t_truce = _measure(
                lambda u=user, d=window, b=bbox: _truce_map(u, d, b)
            )
            if q >= warm:
                record(f"truce map {name}", t_truce)
                record(f"truce map query {name}", t_query)
                features.append(len(_ids(body)))
            if duck is not None:
                duck_body, t_duck = _measure(
                    lambda d=window, b=bbox, s=is_side, n=name: duck_map(duck, d, b, s, labels[n])
                )
                if q >= warm:
                    record(f"duckdb map {name}", t_duck)
                if _ids(duck_body) != _ids(body):
                    disagree.append(f"map {name} {window}")

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
        for what in ("counts", "map"):
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
        "duckdb": duck is not None,
        "duckdb_disagreements": disagree[:10],
        "observations": total_obs,
        "incidents": total_inc,
    }
    result.raw = {"ms": stats, "stages_s": stages, "rollup_s": rollup_s, "export_s": export_s}
    finish(result, args.out)


if __name__ == "__main__":
    main()
