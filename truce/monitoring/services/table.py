"""Observations as columns (numpy arrays), for grouping and incident fixes in bulk.

Grouping a day of 100,000 observations must take well under two seconds, so
the geometry and the per-incident sums run over arrays, never over model
instances. An ObsTable is built from `values_list(*MEMBER_FIELDS)` rows or
from observations not yet written, in the same column order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from truce.lib import bearings
from truce.monitoring.models import Observation, ObservationType, PositionMethod
from truce.monitoring.services.validation import MISSION_OBSERVERS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MEMBER_FIELDS = (
    "id",
    "public_id",
    "observed_at",
    "type",
    "count",
    "killed_military",
    "killed_civilian",
    "injured_military",
    "injured_civilian",
    "share_side_a",
    "share_side_b",
    "share_agencies",
    "share_public",
    "zone_id",
    "observer_post_id",
    "observer_kind",
    "observer_label",
    "reporter_id",
    "observer_lon",
    "observer_lat",
    "bearing_deg",
    "distance_m",
    "position_method",
    "min_lon",
    "min_lat",
    "incident_id",
)
SHARE_FIELDS = ("share_side_a", "share_side_b", "share_agencies", "share_public")

TYPES: tuple[str, ...] = tuple(ObservationType.values)
TYPE_CODE = {name: i for i, name in enumerate(TYPES)}
EXPLOSIONS = frozenset(
    {
        ObservationType.EXPLOSION_IMPACT,
        ObservationType.EXPLOSION_AIRBURST,
        ObservationType.EXPLOSION_OUTGOING,
        ObservationType.EXPLOSION_UNDETERMINED,
    }
)
# The explosion types describe one event seen differently (an impact here is
# an outgoing round there), so they group together; other types only with
# their own kind.
FAMILY = np.array(
    [
        TYPE_CODE[ObservationType.EXPLOSION_UNDETERMINED] if t in EXPLOSIONS else i
        for i, t in enumerate(TYPES)
    ],
    np.int64,
)
# Position methods of observations, as small integers in ObsTable.method.
NO_POSITION, GIVEN, BEARING_DISTANCE = 0, 1, 2
METHOD_CODE = {
    PositionMethod.NONE: NO_POSITION,
    PositionMethod.GIVEN: GIVEN,
    PositionMethod.BEARING_DISTANCE: BEARING_DISTANCE,
}


def _floats(values: Sequence[Any]) -> FloatArray:
    return np.array(values, float)  # None becomes NaN


def _ints(values: Sequence[Any]) -> IntArray:
    """Integers where None is 0 (ids, for example), in one pass in C.

    Through float64 (None becomes NaN): exact for any id below 2**53.
    """
    as_float = np.array(values, float)
    return np.nan_to_num(as_float, nan=0.0).astype(np.int64)


def _codes(values: Sequence[Any], code: dict[Any, int], default: int = 0) -> IntArray:
    """Small integer codes of text values (few distinct ones): one look-up per distinct value."""
    found = dict.fromkeys(values)
    for value in found:
        found[value] = code.get(value, default)
    return np.array([found[v] for v in values], np.int64)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def epoch_us(values: Sequence[dt.datetime | str]) -> IntArray:
    """Exact integer microseconds since 1970 (floats would lose the last digit).

    Also takes naive UTC datetimes or SQLite's stored text ("2020-11-20
    10:00:00.123456"), as rows straight from the database may hold.
    """
    if not values:
        return np.zeros(0, np.int64)
    first = values[0]
    if isinstance(first, str):
        return np.array(values, "datetime64[us]").astype(np.int64)
    # Raw SQLite rows come back naive (UTC); rows from PostgreSQL or the ORM, aware.
    epoch = _EPOCH if first.tzinfo is not None else _EPOCH.replace(tzinfo=None)
    return np.array([(v - epoch) // _MICROSECOND for v in values], np.int64)  # type: ignore[operator]


def uuid_text(value: Any) -> str:
    """A UUID in its usual dashed form, from a UUID or SQLite's 32 stored hex digits."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def member_rows(queryset: QuerySet[Observation], *extra: str) -> list[tuple[Any, ...]]:
    """MEMBER_FIELDS (then the extra fields) of the observations, straight from the database.

    On SQLite the time is read as text: the driver would otherwise call a
    Python converter for every value, which costs more than the query itself
    for a day of observations; numpy parses the text in one go.
    """
    fields = list(MEMBER_FIELDS)
    if connection.vendor == "sqlite":
        queryset = queryset.annotate(observed_text=Cast("observed_at", TextField()))
        fields[fields.index("observed_at")] = "observed_text"
    return fetch_rows(queryset.order_by().values_list(*fields, *extra))


def member_rows_where(
    where: str, params: Sequence[Any], *, join: str = ""
) -> list[tuple[Any, ...]]:
    """MEMBER_FIELDS rows of `monitoring_observation o [join] WHERE where`, as member_rows gives.

    Plain SQL for the reads on every grouping round, where compiling a
    queryset costs more than the read (a round of a few reports makes
    several). The columns and their raw values are member_rows' own.
    """
    from truce.monitoring.services.bulk import fetch_all

    q = connection.ops.quote_name
    columns = ", ".join(
        f"CAST(o.{q(f)} AS text)"
        if f == "observed_at" and connection.vendor == "sqlite"
        else f"o.{q(f)}"
        for f in MEMBER_FIELDS
    )
    table = q(Observation._meta.db_table)
    return fetch_all(f"SELECT {columns} FROM {table} o {join} WHERE {where}", params)  # noqa: S608


def incident_join() -> str:
    """`JOIN monitoring_incident i ON i.id = o.incident_id`, quoted for the database."""
    from truce.monitoring.models import Incident

    q = connection.ops.quote_name
    return f"JOIN {q(Incident._meta.db_table)} i ON i.{q('id')} = o.{q('incident_id')}"


def in_list(n: int) -> str:
    return ", ".join(["%s"] * n)


def fetch_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A values_list queryset's rows as the database gives them, skipping Django's
    per-value converters (which cost more than the query for a day of observations).
    ObsTable.from_rows accepts both forms."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # for example, id__in=[]
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# Ids per IN (...) list: well under SQLite's limit on a statement's parameters.
CHUNK_IDS = 5_000


def chunks(ids: Sequence[int], size: int | None = None) -> list[list[int]]:
    """ids in lists of at most size (CHUNK_IDS), for queries with id IN (...) on any number."""
    size = size or CHUNK_IDS
    values = [int(i) for i in ids]
    return [values[i : i + size] for i in range(0, len(values), size)]


def from_epoch_us(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=int(value))


@dataclass(frozen=True)
class Planar:
    """An ObsTable's coordinates in one local plane (metres); NaN where absent."""

    x: FloatArray
    y: FloatArray
    ox: FloatArray
    oy: FloatArray
    dx: FloatArray
    dy: FloatArray

    def take(self, idx: IntArray) -> Planar:
        return Planar(*(getattr(self, f)[idx] for f in ("x", "y", "ox", "oy", "dx", "dy")))

    @staticmethod
    def concat(parts: Sequence[Planar]) -> Planar:
        names = ("x", "y", "ox", "oy", "dx", "dy")
        return Planar(*(np.concatenate([getattr(p, f) for p in parts]) for f in names))


def _project(
    plane: bearings.LocalPlane, lon: FloatArray, lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    x = np.full(lon.shape, np.nan)
    y = np.full(lon.shape, np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any():
        x[ok], y[ok] = plane.to_xy(lon[ok], lat[ok])
    return x, y


def _project_repeated(
    plane: bearings.LocalPlane, lon: FloatArray, lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """As _project, for points that repeat (observers): each distinct one projected once."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return _project(plane, lon, lat)
    points, inverse = np.unique(lon[ok] + 1j * lat[ok], return_inverse=True)
    px, py = plane.to_xy(points.real, points.imag)
    x = np.full(lon.shape, np.nan)
    y = np.full(lon.shape, np.nan)
    x[ok], y[ok] = px[inverse], py[inverse]
    return x, y


@dataclass
class ObsTable:
    """One row per observation; NaN or 0 where a value is absent."""

    id: IntArray
    public_id: list[Any]  # as stored: a UUID, or 32 hex digits from SQLite (see uuid_text)
    t: IntArray  # microseconds since 1970, UTC
    type: IntArray
    family: IntArray
    count: IntArray
    killed: IntArray
    injured: IntArray
    share: BoolArray  # n x 4, in SHARE_FIELDS order
    zone: IntArray
    observer: IntArray  # the same number for the same observer
    mission_observer: BoolArray
    observer_lon: FloatArray
    observer_lat: FloatArray
    bearing: FloatArray
    distance: FloatArray
    method: IntArray
    lon: FloatArray
    lat: FloatArray
    incident: IntArray

    def __len__(self) -> int:
        return int(self.id.size)

    def planar(self, plane: bearings.LocalPlane) -> Planar:
        """Positions, observers and bearing directions in the plane (computed once per plane)."""
        cache: dict[tuple[float, float], Planar] = self.__dict__.setdefault("_planar", {})
        key = (plane.lon0, plane.lat0)
        if key not in cache:
            x, y = _project(plane, self.lon, self.lat)
            ox, oy = _project_repeated(plane, self.observer_lon, self.observer_lat)
            dx, dy = plane.directions(self.observer_lon, self.observer_lat, self.bearing, (ox, oy))
            cache[key] = Planar(x, y, ox, oy, dx, dy)
        return cache[key]

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]], observer_keys: dict[Any, int]) -> ObsTable:
        """Rows in MEMBER_FIELDS order; observer_keys is shared by tables that meet."""
        if not rows:
            return cls.empty()
        return cls.from_columns(list(zip(*rows, strict=True)), observer_keys)

    @classmethod
    def from_columns(
        cls, columns: Sequence[Sequence[Any]], observer_keys: dict[Any, int]
    ) -> ObsTable:
        """Columns in MEMBER_FIELDS order (rows transposed; extra columns after them are
        ignored). Each is converted whole (numpy, in C), so a day of 100,000 rows costs
        little more than transposing them."""
        if not columns or not len(columns[0]):
            return cls.empty()
        c = dict(zip(MEMBER_FIELDS, columns, strict=False))
        # A post is one observer (its id); a patrol or drone is known by its
        # label, or failing that by who reported it from where (negative codes).
        posts = _ints(c["observer_post_id"])
        keys = posts.copy()
        for i in np.flatnonzero(posts == 0).tolist():
            kind, label = c["observer_kind"][i], c["observer_label"][i]
            olon, olat = c["observer_lon"][i], c["observer_lat"][i]
            key: Any = (
                (kind, label, c["reporter_id"][i])
                if label
                else (
                    kind,
                    c["reporter_id"][i],
                    None if olon is None else round(olon, 3),
                    None if olat is None else round(olat, 3),
                )
            )
            keys[i] = -observer_keys.setdefault(key, len(observer_keys) + 1)
        types = _codes(c["type"], TYPE_CODE)
        kinds = dict.fromkeys(c["observer_kind"])
        mission = {k: k in MISSION_OBSERVERS for k in kinds}
        return cls(
            id=_ints(c["id"]),
            public_id=list(c["public_id"]),
            t=epoch_us(c["observed_at"]),
            type=types,
            family=FAMILY[types],
            count=_ints(c["count"]),
            killed=_ints(c["killed_military"]) + _ints(c["killed_civilian"]),
            injured=_ints(c["injured_military"]) + _ints(c["injured_civilian"]),
            share=np.array([c[f] for f in SHARE_FIELDS], bool).T.reshape(-1, 4),
            zone=_ints(c["zone_id"]),
            observer=keys,
            mission_observer=np.array([mission[k] for k in c["observer_kind"]], bool),
            observer_lon=_floats(c["observer_lon"]),
            observer_lat=_floats(c["observer_lat"]),
            bearing=_floats(c["bearing_deg"]),
            distance=_floats(c["distance_m"]),
            method=_codes(c["position_method"], METHOD_CODE),
            lon=_floats(c["min_lon"]),
            lat=_floats(c["min_lat"]),
            incident=_ints(c["incident_id"]),
        )

    @classmethod
    def empty(cls) -> ObsTable:
        f, i, b = np.zeros(0), np.zeros(0, np.int64), np.zeros(0, bool)
        return cls(i, [], i, i, i, i, i, i, np.zeros((0, 4), bool), i, i, b, f, f, f, f, i, f, f, i)

    def take(self, index: npt.ArrayLike) -> ObsTable:
        idx = np.asarray(index, np.int64)
        values: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            column = getattr(self, name)
            values[name] = [column[i] for i in idx] if isinstance(column, list) else column[idx]
        table = ObsTable(**values)
        cache = self.__dict__.get("_planar", {})
        table.__dict__["_planar"] = {k: v.take(idx) for k, v in cache.items()}
        return table

    @staticmethod
    def concat(tables: Sequence[ObsTable]) -> ObsTable:
        values: dict[str, Any] = {}
        for name in ObsTable.__dataclass_fields__:
            columns = [getattr(t, name) for t in tables]
            if isinstance(columns[0], list):
                values[name] = [v for column in columns for v in column]
            else:
                values[name] = np.concatenate(columns)
        table = ObsTable(**values)
        caches = [t.__dict__.get("_planar", {}) for t in tables if len(t)]
        if caches:
            shared = set(caches[0]).intersection(*caches[1:])
            table.__dict__["_planar"] = {k: Planar.concat([c[k] for c in caches]) for k in shared}
        return table


def leader_rows(
    incident_ids: Sequence[int], loaded: set[int] | None = None
) -> list[tuple[Any, ...]]:
    """The earliest observation(s) of each incident, not already loaded (MEMBER_FIELDS rows).

    Grouping checks new observations against an incident's leader, which may
    lie before the window of rows loaded as partners.
    """
    q = connection.ops.quote_name
    rows = []
    for part in chunks(incident_ids):
        rows += member_rows_where(
            f"o.{q('incident_id')} IN ({in_list(len(part))}) "
            f"AND o.{q('observed_at')} = i.{q('started_at')}",
            part,
            join=incident_join(),
        )
    return [r for r in rows if not loaded or r[0] not in loaded]


def rows_of(observations: Sequence[Observation]) -> list[tuple[Any, ...]]:
    """In-memory observations as MEMBER_FIELDS rows (id -1: not yet written)."""
    return [
        (
            o.pk or -1,
            o.public_id,
            o.observed_at,
            o.type,
            o.count,
            o.killed_military,
            o.killed_civilian,
            o.injured_military,
            o.injured_civilian,
            o.share_side_a,
            o.share_side_b,
            o.share_agencies,
            o.share_public,
            o.zone_id,
            o.observer_post_id,
            o.observer_kind,
            o.observer_label,
            o.reporter_id,
            o.observer_lon,
            o.observer_lat,
            o.bearing_deg,
            o.distance_m,
            o.position_method,
            o.min_lon,
            o.min_lat,
            o.incident_id,
        )
        for o in observations
    ]
