"""Each incident's map feature, kept as GeoJSON text by the database itself.

The incident map sends a day's incidents, hundreds to thousands of features.
Reading nineteen columns per row and writing each feature in Python was most
of the answer's time (bench/BENCHMARKS.md, counts_at_scale). The feature's
text depends only on the incident's own columns, so it is written when the
incident is: triggers on the incident table keep one row per incident in
``monitoring_incident_map_feature`` (incident id, feature text), and the map
reads that one text per row.

Why triggers rather than the services: incidents are written by several
paths (ingest, the background grouper, regrouping, merge and split, status
and notes, corrections), most of them in bulk SQL. A trigger sees every one,
in the same transaction, and no path can forget it.

What the stored text leaves out, because it is not the incident's own: the
zone's code (a reader who may not see the zone gets null) and the page's URL
(it depends on the deployment's script prefix). The map appends both
(serializers.incident_map_text). The text therefore ends inside the
properties object, after "approximate".

SQLite drops a table's triggers when Django rebuilds the table (its way of
altering a column); `ensure_installed` runs after every migrate (apps.py) and
reinstalls them, rebuilding the features if they were missing.

Floats are written in the shortest form that reads back as the same double
where the database's own text form does not (SQLite's has 15 significant
digits; PostgreSQL writes 800.0 as 800), so the features equal, value for
value, what json.dumps writes for the same incident (tests compare them).
"""

# Every statement here is built from this module's constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

TABLE = "monitoring_incident_map_feature"
INCIDENTS = "monitoring_incident"
# The stored text starts with this, then the incident's public id (36 characters).
ID_PREFIX = '{"type": "Feature", "id": "'
ID_SLICE = slice(len(ID_PREFIX), len(ID_PREFIX) + 36)

_SQLITE_TRIGGERS = ("monitoring_incident_map_ai", "monitoring_incident_map_au")
_SQLITE_DELETE_TRIGGER = "monitoring_incident_map_ad"
_PG_FUNCTION = "monitoring_incident_map_feature_keep"
_PG_TRIGGER = "monitoring_incident_map_feature_keep"
# Between the numbers of a bbox, as SQL: the text ", ".
_JOIN = " || ', ' || "


# --- the feature's text as an SQL expression over a row ----------------------------------


def _sqlite_real(c: str) -> str:
    # CAST(real AS TEXT) keeps 15 significant digits: exact for the 7-decimal
    # coordinates and 0.1 m uncertainties the services write; anything else
    # gets the 17 digits that always read back as the same double.
    return (
        f"CASE WHEN {c} IS NULL THEN 'null' "
        f"WHEN CAST(CAST({c} AS TEXT) AS REAL) = {c} THEN CAST({c} AS TEXT) "
        f"ELSE printf('%!.17g', {c}) END"
    )


def _sqlite_feature(row: str) -> str:
    """The feature text of the incident row named row ("NEW" in a trigger)."""

    def c(name: str) -> str:
        return f"{row}.{name}"

    hexid = c("public_id")
    uuid = (
        f"substr({hexid}, 1, 8) || '-' || substr({hexid}, 9, 4) || '-' || "
        f"substr({hexid}, 13, 4) || '-' || substr({hexid}, 17, 4) || '-' || substr({hexid}, 21)"
    )
    box = [c(n) for n in ("min_lon", "min_lat", "max_lon", "max_lat")]
    bbox = (
        f"CASE WHEN {' OR '.join(f'{b} IS NULL' for b in box)} THEN 'null' ELSE "
        f"'[' || {_JOIN.join(_sqlite_real(b) for b in box)} || ']' END"
    )
    return (
        f"'{ID_PREFIX}' || {uuid} || '\", \"geometry\": ' || coalesce({c('geometry')}, 'null')"
        f" || ', \"bbox\": ' || {bbox}"
        f' || \', "properties": {{"layer": "incidents", "name": \''
        f" || json_quote({c('reference')})"
        f" || ', \"reference\": ' || json_quote({c('reference')})"
        f" || ', \"type\": ' || json_quote({c('type')})"
        f" || ', \"status\": ' || json_quote({c('status')})"
        f" || ', \"severity\": ' || json_quote({c('severity')})"
        f" || ', \"started_at\": \"' || replace({c('started_at')}, ' ', 'T') || 'Z\"'"
        f" || ', \"ended_at\": \"' || replace({c('ended_at')}, ' ', 'T') || 'Z\"'"
        f" || ', \"uncertainty_m\": ' || {_sqlite_real(c('uncertainty_m'))}"
        f" || ', \"position_method\": ' || json_quote({c('position_method')})"
        f" || ', \"observation_count\": ' || {c('observation_count')}"
        f" || ', \"killed\": ' || {c('killed')}"
        f" || ', \"injured\": ' || {c('injured')}"
        f" || ', \"approximate\": ' || CASE WHEN {c('location_approximate')} "
        "THEN 'true' ELSE 'false' END"
    )


def _pg_real(c: str) -> str:
    # PostgreSQL writes the shortest exact form already, but 800.0 as "800".
    return (
        f"CASE WHEN {c} IS NULL THEN 'null' "
        f"WHEN {c} = trunc({c}) AND abs({c}) < 1e15 THEN trunc({c})::bigint::text || '.0' "
        f"ELSE {c}::text END"
    )


def _pg_time(c: str) -> str:
    return (
        f"to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"date_trunc('second', {c}) = {c} THEN '' ELSE to_char({c} AT TIME ZONE 'UTC', '.US') END"
    )


def _pg_feature(row: str) -> str:
    def c(name: str) -> str:
        return f"{row}.{name}"

    box = [c(n) for n in ("min_lon", "min_lat", "max_lon", "max_lat")]
    bbox = (
        f"CASE WHEN {' OR '.join(f'{b} IS NULL' for b in box)} THEN 'null' ELSE "
        f"'[' || {_JOIN.join(_pg_real(b) for b in box)} || ']' END"
    )

    def quoted(name: str) -> str:
        return f"coalesce(to_json({c(name)}::text)::text, 'null')"

    return (
        f"'{ID_PREFIX}' || {c('public_id')}::text || '\", \"geometry\": ' "
        f"|| coalesce({c('geometry')}::text, 'null')"
        f" || ', \"bbox\": ' || {bbox}"
        f' || \', "properties": {{"layer": "incidents", "name": \' || {quoted("reference")}'
        f" || ', \"reference\": ' || {quoted('reference')}"
        f" || ', \"type\": ' || {quoted('type')}"
        f" || ', \"status\": ' || {quoted('status')}"
        f" || ', \"severity\": ' || {quoted('severity')}"
        f" || ', \"started_at\": \"' || {_pg_time(c('started_at'))} || 'Z\"'"
        f" || ', \"ended_at\": \"' || {_pg_time(c('ended_at'))} || 'Z\"'"
        f" || ', \"uncertainty_m\": ' || {_pg_real(c('uncertainty_m'))}"
        f" || ', \"position_method\": ' || {quoted('position_method')}"
        f" || ', \"observation_count\": ' || {c('observation_count')}"
        f" || ', \"killed\": ' || {c('killed')}"
        f" || ', \"injured\": ' || {c('injured')}"
        f" || ', \"approximate\": ' || CASE WHEN {c('location_approximate')} "
        "THEN 'true' ELSE 'false' END"
    )


# --- installing -------------------------------------------------------------------------


def _statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        upsert = (
            f"INSERT OR REPLACE INTO {TABLE} (incident_id, feature) "
            f"VALUES (NEW.id, {_sqlite_feature('NEW')})"
        )
        return [
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            "(incident_id INTEGER PRIMARY KEY, feature TEXT NOT NULL)",
            f"CREATE TRIGGER IF NOT EXISTS {_SQLITE_TRIGGERS[0]} AFTER INSERT ON {INCIDENTS} "
            f"BEGIN {upsert}; END",
            f"CREATE TRIGGER IF NOT EXISTS {_SQLITE_TRIGGERS[1]} AFTER UPDATE ON {INCIDENTS} "
            f"BEGIN {upsert}; END",
            f"CREATE TRIGGER IF NOT EXISTS {_SQLITE_DELETE_TRIGGER} AFTER DELETE ON {INCIDENTS} "
            f"BEGIN DELETE FROM {TABLE} WHERE incident_id = OLD.id; END",
        ]
    if vendor == "postgresql":
        return [
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            "(incident_id bigint PRIMARY KEY, feature text NOT NULL)",
            f"CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'DELETE' THEN DELETE FROM {TABLE} WHERE incident_id = OLD.id; "
            "RETURN OLD; END IF; "
            f"INSERT INTO {TABLE} (incident_id, feature) VALUES (NEW.id, {_pg_feature('NEW')}) "
            "ON CONFLICT (incident_id) DO UPDATE SET feature = EXCLUDED.feature; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {_PG_TRIGGER} ON {INCIDENTS}",
            f"CREATE TRIGGER {_PG_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {INCIDENTS} "
            f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
        ]
    raise NotImplementedError(f"map features on {vendor}")


def _rebuild_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        feature = _sqlite_feature(INCIDENTS)
        return [
            f"DELETE FROM {TABLE}",
            f"INSERT INTO {TABLE} (incident_id, feature) SELECT id, {feature} FROM {INCIDENTS}",
        ]
    feature = _pg_feature(INCIDENTS)
    return [
        f"TRUNCATE {TABLE}",
        f"INSERT INTO {TABLE} (incident_id, feature) SELECT id, {feature} FROM {INCIDENTS}",
    ]


def installed(connection: Any) -> bool:
    """Whether the table and every trigger that keeps it are in place."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            names = (*_SQLITE_TRIGGERS, _SQLITE_DELETE_TRIGGER)
            marks = ", ".join(["%s"] * len(names))
            cursor.execute(
                f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
                list(names),
            )
            return bool(cursor.fetchone()[0] == len(names))
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = %s AND NOT tgisinternal",
            [_PG_TRIGGER],
        )
        return bool(cursor.fetchone()[0] == 1)


def install(connection: Any) -> None:
    """Create the table and its triggers, then write every incident's feature."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor) + _rebuild_sql(connection.vendor):
            cursor.execute(sql)


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in (*_SQLITE_TRIGGERS, _SQLITE_DELETE_TRIGGER):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {_PG_TRIGGER} ON {INCIDENTS}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def ensure_installed(connection: Any) -> bool:
    """Reinstall (and rebuild) where a table rebuild dropped the triggers; True if it did."""
    if connection.vendor not in ("sqlite", "postgresql") or installed(connection):
        return False
    if INCIDENTS not in connection.introspection.table_names():
        return False
    install(connection)
    return True
