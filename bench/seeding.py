"""Seeding millions of observations and incidents for bench.counts_at_scale, and the rollups.

Rows go in with raw executemany, a mission day at a time in time order, as
the services would have stored them in shape (every column filled), but
without the services: no ledger entries, no grouping, for time. While
loading, synchronous and the journal are off and the secondary indexes are
dropped; they are rebuilt afterwards and WAL is restored. The count rollups
are then rebuilt with one INSERT ... SELECT ... GROUP BY, checked against
the rollups the ingest service writes by rollup_sql_matches_service.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import SIM_START, columns_of, log, timed

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
ROLLUP_KEYS = '"audience", "dimension", "window", key_id, key_type'
# Who may see an observation (truce.monitoring.services.rollups.audiences), over the
# columns of FINE below: a side flag (a, b, g) or the public flag (u).
AUDIENCES = {
    "mission": "1",
    "side_a": "a OR u",
    "side_b": "b OR u",
    "agencies": "g OR u",
    "public": "u",
}
# Each dimension's key columns (key_id, key_type) over FINE.
DIMENSIONS = {
    "post": "p AS key_id, '' AS key_type",
    "zone": "z AS key_id, '' AS key_type",
    "type": "0 AS key_id, t AS key_type",
}
# One pass over the raw table to its distinct observation keys, then spread over the
# audiences and dimensions (fifteen passes over some 1,500 rows a day, not 10 million).
FINE = """
    SELECT "window" AS w, coalesce(observer_post_id, 0) AS p, coalesce(zone_id, 0) AS z,
           type AS t, share_side_a AS a, share_side_b AS b, share_agencies AS g,
           share_public AS u, count(*) AS n, sum("count") AS e,
           sum(killed_military + killed_civilian) AS k,
           sum(injured_military + injured_civilian) AS i
    FROM monitoring_observation WHERE is_deleted = 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""
SPREAD = " UNION ALL ".join(
    f"SELECT '{audience}' AS audience, '{dimension}' AS dimension, w, {keys}, n, e, k, i "
    f"FROM fine WHERE {rule}"
    for audience, rule in AUDIENCES.items()
    for dimension, keys in DIMENSIONS.items()
)
ROLLUP_SELECT = f"""
    WITH fine AS MATERIALIZED ({FINE})
    SELECT audience, dimension, w, key_id, key_type, sum(n), sum(e), sum(k), sum(i)
    FROM ({SPREAD})
    GROUP BY 1, 2, 3, 4, 5
"""


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
                "resolution": "",
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
