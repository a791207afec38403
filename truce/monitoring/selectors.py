"""Reads of monitoring records, always through party visibility (mechanism 3).

Lists start from truce.core.sharing.visible; counts read only the rollup
rows of the reader's audience (each row counts the observations a reader of
that scope may see), so a total is exactly the number of observations the
reader may see. The counts and the incident map are read with raw SQL under
the WHERE Django compiles for the same visibility and filters
(truce.monitoring.rawsql), so they cannot disagree with the lists.
Filters naming another record (a post, a zone, an incident) match only
records the reader may see too, so a filter cannot probe a hidden one.

Related rows are joined for display, but a related record may be hidden
from a reader who sees the row itself (a side's report grouped into a
mission-only incident): serializers pass such references through
truce.core.selectors.visible_reference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, Literal

from django.conf import settings
from django.db import connection
from django.db.models import Field, OuterRef, Q, QuerySet, Subquery

from truce.core.errors import InvalidInput, NotFound
from truce.core.models import Facility, FacilityKind, User, Zone
from truce.core.selectors import BBoxFilter, get_visible, in_bbox, visible_by_key
from truce.core.sharing import viewer_scope, visibility_q, visible
from truce.lib.time import window_bounds, window_of
from truce.monitoring import map_features, rawsql
from truce.monitoring.models import (
    CheckIn,
    Incident,
    Observation,
    ObservationCount,
    ObservationType,
)

Grouping = Literal["post", "zone", "type"]
GROUPINGS: tuple[str, ...] = ("post", "zone", "type")
OTHER_LABEL = "Other"


def _time_range(
    qs: QuerySet[Any],
    column: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    window: dt.date | None,
) -> QuerySet[Any]:
    if since is not None:
        qs = qs.filter(**{f"{column}__gte": since})
    if until is not None:
        qs = qs.filter(**{f"{column}__lt": until})
    if window is not None:
        start, end = window_bounds(window)
        qs = qs.filter(**{f"{column}__gte": start, f"{column}__lt": end})
    return qs


def observations_visible_to(
    user: User | None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    window: dt.date | None = None,
    post: str | None = None,
    zone: str | None = None,
    type: str | None = None,
    incident: Incident | str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Observation]:
    """Observations the user may see, newest first; since/until on observed_at ([since, until))."""
    qs = visible(
        Observation.objects.select_related(
            "observer_post", "zone", "incident", "reporting_party", "reporter"
        ),
        user,
    )
    qs = _time_range(qs, "observed_at", since, until, window)
    if post:
        qs = qs.filter(observer_post__in=visible_by_key(Facility, user, code=post))
    if zone:
        qs = qs.filter(zone__in=visible_by_key(Zone, user, code=zone))
    if type:
        qs = qs.filter(type=type)
    if incident is not None:
        qs = qs.filter(incident__in=_visible_incidents_by_id(user, incident))
    return in_bbox(qs, bbox)


def _visible_incidents_by_id(user: User | None, incident: Incident | str) -> QuerySet[Incident]:
    if isinstance(incident, Incident):
        return visible(Incident.objects.filter(pk=incident.pk), user)
    try:
        key = uuid.UUID(str(incident))
    except ValueError:
        return Incident.objects.none()
    return visible(Incident.objects.filter(public_id=key), user)


@dataclass(frozen=True)
class IncidentFilters:
    """The filters of the incident list and map, defined once.

    incidents_visible_to applies them as ORM lookups; the map (incident_map_rows)
    as SQL on the same columns, each value converted by its field as the ORM
    converts it, so the two select the same incidents (and the map skips the
    ORM's query building: about half a millisecond of a 6-8 ms answer).
    """

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    window: dt.date | None = None
    zone: str | None = None
    status: str | None = None
    type: str | None = None
    bbox: BBoxFilter | None = None

    def conditions(self) -> list[tuple[str, str, Any]]:
        """(field, lookup, value) on Incident's own columns, but for the zone and the bbox."""
        found: list[tuple[str, str, Any]] = []
        # since/until select incidents overlapping [since, until).
        if self.since is not None:
            found.append(("ended_at", "gte", self.since))
        if self.until is not None:
            found.append(("started_at", "lt", self.until))
        if self.window is not None:
            start, end = window_bounds(self.window)
            found += [("started_at", "gte", start), ("started_at", "lt", end)]
        if self.status:
            found.append(("status", "exact", self.status))
        if self.type:
            found.append(("type", "exact", self.type))
        return found

    def bbox_conditions(self) -> list[tuple[str, str, Any]]:
        """The bbox as conditions: boxes that intersect it, the rule of
        truce.core.selectors.in_bbox (which the list applies; the map tests hold
        the two equal)."""
        if self.bbox is None:
            return []
        return [
            ("max_lon", "gte", self.bbox.min_lon),
            ("min_lon", "lte", self.bbox.max_lon),
            ("max_lat", "gte", self.bbox.min_lat),
            ("min_lat", "lte", self.bbox.max_lat),
        ]

    def zone_filter(self, user: User | None) -> QuerySet[Zone] | None:
        """The zone named, only if the user may see it (a hidden one matches nothing)."""
        return visible_by_key(Zone, user, code=self.zone) if self.zone else None


def incidents_visible_to(
    user: User | None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    window: dt.date | None = None,
    zone: str | None = None,
    status: str | None = None,
    type: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Incident]:
    """Incidents the user may see, newest first.

    since/until select incidents overlapping [since, until); window those
    that started in that mission day (see IncidentFilters).
    """
    filters = IncidentFilters(since, until, window, zone, status, type, bbox)
    qs = visible(
        Incident.objects.select_related("zone", "nearest_settlement", "responsible_party"), user
    )
    lookups = [Q(**{f"{name}__{lookup}": value}) for name, lookup, value in filters.conditions()]
    zones = filters.zone_filter(user)
    if zones is not None:
        lookups.append(Q(zone__in=zones))
    return in_bbox(qs.filter(*lookups) if lookups else qs, bbox)


def incident_get(user: User | None, public_id: uuid.UUID | str) -> Incident:
    """One incident by public id; NotFound whether it is absent or hidden."""
    return get_visible(
        Incident.objects.select_related(
            "zone", "nearest_settlement", "responsible_party", "created_by", "updated_by"
        ),
        user,
        public_id,
    )


# --- the incident map --------------------------------------------------------------------
#
# A day on the map is hundreds to thousands of incidents. Building an Incident
# per row (with its zone, settlement and party joined, its geometry decoded)
# cost some 50 us a row, many times the query (bench/BENCHMARKS.md); reading
# the nineteen columns the map draws and writing each feature in Python still
# cost some 6 us. The database keeps each incident's feature as text
# (truce/monitoring/map_features.py), so the map reads one text and the zone
# of each row, selected under incidents_visible_to's own WHERE.


@dataclass(frozen=True)
class IncidentMapRows:
    """The map's incidents as (feature text, zone id) rows, and the zone codes the reader sees.

    rows can be read once: the query runs as they are read, and each row is
    meant to be written out as it comes (see incident_map_rows). The feature
    text is a GeoJSON feature cut short inside its properties (map_features.py
    says what it leaves out). A zone id missing from zone_codes is a zone the
    reader may not see.
    """

    rows: Iterable[tuple[str, int | None]]
    zone_codes: dict[int, str]


@cache
def _map_select(vendor: str) -> tuple[str, str]:
    """SELECT ... FROM, and ORDER BY, of the map's statement (the same on both databases)."""
    incidents = rawsql.table(Incident)
    features = connection.ops.quote_name(map_features.TABLE)
    select = (
        f"SELECT {features}.feature, {rawsql.column(Incident, 'zone_id')} "  # noqa: S608
        f"FROM {incidents} JOIN {features} "
        f"ON {features}.incident_id = {rawsql.column(Incident, 'id')}"
    )
    order = f"{rawsql.column(Incident, 'started_at')} DESC, {rawsql.column(Incident, 'id')} DESC"
    return select, order


def _zone_codes(user: User | None) -> dict[int, str]:
    shown, params = rawsql.visible_where(Zone, user)
    sql = (
        f"SELECT {rawsql.column(Zone, 'id')}, {rawsql.column(Zone, 'code')} "  # noqa: S608
        f"FROM {rawsql.table(Zone)} WHERE {shown}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


_SQL_OPERATORS = {"exact": "=", "gte": ">=", "lt": "<", "lte": "<="}


@cache
def _condition_sql(name: str, lookup: str, vendor: str) -> str:
    return f"{rawsql.column(Incident, name)} {_SQL_OPERATORS[lookup]} %s"


def _map_where(user: User | None, filters: IncidentFilters) -> tuple[str, list[Any]] | None:
    """The WHERE of incidents_visible_to(user, filters) with a position, as SQL (None:
    nothing can match)."""
    vendor = connection.vendor
    visible_sql, params = rawsql.visible_where(Incident, user)
    parts = [visible_sql]
    for name, lookup, value in filters.conditions() + filters.bbox_conditions():
        field = Incident._meta.get_field(name)
        assert isinstance(field, Field)
        parts.append(_condition_sql(name, lookup, vendor))
        params.append(field.get_db_prep_value(value, connection, prepared=False))
    zones = filters.zone_filter(user)
    if zones is not None:
        zone_sql, zone_params = rawsql.where_of(zones)
        if zone_sql == rawsql.NOTHING:
            return None
        parts.append(
            f"{rawsql.column(Incident, 'zone')} IN (SELECT {rawsql.column(Zone, 'id')} "  # noqa: S608
            f"FROM {rawsql.table(Zone)} WHERE {zone_sql})"
        )
        params += zone_params
    parts.append(f"{rawsql.column(Incident, 'min_lon')} IS NOT NULL")
    return " AND ".join(f"({part})" for part in parts), params


def incident_map_rows(
    user: User | None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    window: dt.date | None = None,
    zone: str | None = None,
    status: str | None = None,
    type: str | None = None,
    bbox: BBoxFilter | None = None,
) -> IncidentMapRows:
    """The incidents the map draws for the user: those of incidents_visible_to (same
    filters) that have a position, newest first (ties by id), as plain rows.

    The same visibility (the WHERE of sharing.visible, compiled) and the same
    filters (IncidentFilters) as the list; only the columns the map draws are
    read, and no queryset is built.
    """
    where = _map_where(user, IncidentFilters(since, until, window, zone, status, type, bbox))
    if where is None:
        return IncidentMapRows((), {})
    select, order = _map_select(connection.vendor)
    sql = f"{select} WHERE {where[0]} ORDER BY {order}"
    return IncidentMapRows(_streamed(sql, where[1]), _zone_codes(user))


def _streamed(sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    # Rows one by one off the cursor rather than all fetched first: each row's values
    # are written out and freed while still in the CPU cache, a tenth to a fifth
    # faster over a day's map than a fetchall (measured both ways, same process).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        yield from cursor


# --- counts ------------------------------------------------------------------------------
#
# One raw statement per answer, over the rows of the reader's own audience in
# the rollup (truce.monitoring.services.rollups): a day by post is some 30
# rows, already summed per key, so nearly all the time of an ORM read went
# into building instances and labels (bench/BENCHMARKS.md, counts_at_scale).
# Labels of posts and zones come from the same statement, joined on the post
# or zone only where the reader may see it (the WHERE of sharing.visible), so
# a renamed or hidden post shows correctly on the next read: nothing is cached.

_TYPE_LABELS: dict[str, str] = {str(k): str(v) for k, v in ObservationType.choices}
_LABELLED: dict[str, type[Facility] | type[Zone]] = {"post": Facility, "zone": Zone}
# (SQL, parameters) of a select-list term.
_Term = tuple[str, list[Any]]


def _check_grouping(by: str) -> None:
    if by not in GROUPINGS:
        raise InvalidInput(f"by must be one of {', '.join(GROUPINGS)}", field="by")


def _day(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _rollup_rows(
    user: User | None, by: str, *, sums: list[_Term], days: _Term
) -> list[tuple[Any, ...]]:
    """(raw key, *sums, code, name) per key of the reader's audience; code and name None if
    the post or zone is unknown, hidden from the reader or none (and for types)."""
    q = connection.ops.quote_name
    key = q("key_type" if by == "type" else "key_id")
    terms = ", ".join(sql for sql, _ in sums)
    inner = (
        f"SELECT {key} AS k, {terms} FROM {rawsql.table(ObservationCount)} "  # noqa: S608
        f"WHERE {q('audience')} = %s AND {q('dimension')} = %s AND ({days[0]}) GROUP BY {key}"
    )
    params: list[Any] = [p for _, ps in sums for p in ps]
    params += [viewer_scope(user).value, by, *days[1]]
    if by == "type":
        sql = f"SELECT s.*, NULL, NULL FROM ({inner}) s"  # noqa: S608
    else:
        model = _LABELLED[by]
        shown, shown_params = rawsql.visible_where(model, user)
        sql = (
            f"SELECT s.*, {rawsql.column(model, 'code')}, {rawsql.column(model, 'name')} "  # noqa: S608
            f"FROM ({inner}) s LEFT JOIN {rawsql.table(model)} "
            f"ON {rawsql.column(model, 'id')} = s.k AND {shown}"
        )
        params += shown_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _key_label(by: str, raw: Any, code: str | None, name: str | None) -> tuple[str | None, str]:
    """The row's key and label: records the reader may not see become one "Other" row."""
    if by == "type":
        return raw, _TYPE_LABELS.get(raw, raw)
    if code is None:
        return None, OTHER_LABEL
    return code, str(name)


def _sorted(rows: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows.values(), key=lambda r: (r["key"] is None, str(r["label"])))


def counts_for(user: User | None, *, window: dt.date, by: Grouping) -> list[dict[str, Any]]:
    """Observations and events per post, zone or type in a mission day, and the day before.

    Rows: key (code, or None for "Other": no post/zone, or one the reader may
    not see), label, observations, events, previous_observations,
    previous_events, change (observations minus previous_observations).
    Counted from the rollup rows of the reader's audience: exactly the
    observations the reader may see.
    """
    _check_grouping(by)
    day, previous = _day(window), _day(window - dt.timedelta(days=1))
    w = connection.ops.quote_name("window")
    sums: list[_Term] = [
        (f"SUM(CASE WHEN {w} = %s THEN observations ELSE 0 END)", [day]),
        (f"SUM(CASE WHEN {w} = %s THEN events ELSE 0 END)", [day]),
        (f"SUM(CASE WHEN {w} = %s THEN 0 ELSE observations END)", [day]),
        (f"SUM(CASE WHEN {w} = %s THEN 0 ELSE events END)", [day]),
    ]
    rows = _rollup_rows(user, by, sums=sums, days=(f"{w} IN (%s, %s)", [day, previous]))
    merged: dict[Any, dict[str, Any]] = {}
    for raw, n, e, pn, pe, code, name in rows:
        key, label = _key_label(by, raw, code, name)
        row = merged.get(key)
        if row is None:
            row = merged[key] = {
                "key": key,
                "label": label,
                "observations": 0,
                "events": 0,
                "previous_observations": 0,
                "previous_events": 0,
            }
        row["observations"] += int(n)
        row["events"] += int(e)
        row["previous_observations"] += int(pn)
        row["previous_events"] += int(pe)
    for row in merged.values():
        row["change"] = row["observations"] - row["previous_observations"]
    return _sorted(merged)


def ceasefire_window() -> dt.date:
    return window_of(settings.TRUCE_CEASEFIRE_START)


def running_totals(
    user: User | None, *, until_window: dt.date, by: Grouping
) -> list[dict[str, Any]]:
    """Totals per post, zone or type from the ceasefire's window through until_window.

    Rows: key, label, observations, events, killed, injured.
    """
    _check_grouping(by)
    w = connection.ops.quote_name("window")
    sums: list[_Term] = [
        ("SUM(observations)", []),
        ("SUM(events)", []),
        ("SUM(killed)", []),
        ("SUM(injured)", []),
    ]
    days = (f"{w} >= %s AND {w} <= %s", [_day(ceasefire_window()), _day(until_window)])
    merged: dict[Any, dict[str, Any]] = {}
    for raw, n, e, k, i, code, name in _rollup_rows(user, by, sums=sums, days=days):
        key, label = _key_label(by, raw, code, name)
        row = merged.setdefault(
            key,
            {"key": key, "label": label, "observations": 0, "events": 0, "killed": 0, "injured": 0},
        )
        row["observations"] += int(n)
        row["events"] += int(e)
        row["killed"] += int(k)
        row["injured"] += int(i)
    return _sorted(merged)


def observation_totals(user: User | None, *, window: dt.date) -> dict[str, int]:
    """Observations per type in a mission day, from the rollups (types with none left out)."""
    w = connection.ops.quote_name("window")
    rows = _rollup_rows(
        user, "type", sums=[("SUM(observations)", [])], days=(f"{w} = %s", [_day(window)])
    )
    return {raw: int(n) for raw, n, _, _ in sorted(rows) if n}


# --- check-ins ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LastCheckIn(Mapping[str, Any]):
    """A visible observation post and its last check-in the reader may see (None if none).

    Reads as attributes or as a mapping (dict(row) gives every field).
    """

    post: str
    post_name: str
    checked_in_at: dt.datetime | None
    status: str | None
    note: str | None

    @property
    def post_code(self) -> str:
        return self.post

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def last_check_ins(user: User | None) -> list[LastCheckIn]:
    """Every observation post the user may see, with its latest visible check-in (one query)."""
    latest = visible(CheckIn.objects.filter(post=OuterRef("pk")), user).order_by(
        "-checked_in_at", "-pk"
    )
    posts = (
        visible(Facility.objects.filter(kind=FacilityKind.OBSERVATION_POST), user)
        .annotate(
            last_at=Subquery(latest.values("checked_in_at")[:1]),
            last_status=Subquery(latest.values("status")[:1]),
            last_note=Subquery(latest.values("note")[:1]),
        )
        .order_by("code")
    )
    return [LastCheckIn(p.code, p.name, p.last_at, p.last_status, p.last_note) for p in posts]


def observation_get(user: User | None, public_id: uuid.UUID | str) -> Observation:
    """One observation by public id; NotFound whether it is absent or hidden."""
    try:
        return get_visible(
            Observation.objects.select_related("observer_post", "zone", "incident"),
            user,
            public_id,
        )
    except NotFound:
        raise NotFound("no such observation", field="id") from None


def observation_record_get(user: User | None, public_id: uuid.UUID | str) -> Observation:
    """One observation by public id, a withdrawn one too: its page of versions stays
    readable (to whoever may see it) after it has left every list, count and map.
    NotFound whether it is absent or hidden."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("no such observation", field="id") from None
    row = (
        Observation.objects.select_related("observer_post", "zone", "incident", "reporting_party")
        .filter(visibility_q(user), public_id=key)
        .first()
    )
    if row is None:
        raise NotFound("no such observation", field="id")
    return row
