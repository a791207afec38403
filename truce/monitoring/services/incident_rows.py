"""New incidents in bulk: their values as columns, their INSERT, their ledger payloads.

settle() decides what each incident is; a regroup of a day creates tens of
thousands at once, so the new ones are kept here as columns (one list per
model field) rather than built one by one through the ORM: the INSERT rows
and the ledger payloads are made column by column, and the Incident objects
(which the ingest and the alert hooks receive) are filled from the same
values without Model.__init__.

The payload of an incident is Record.ledger_payload() plus its observations'
public ids; the columns here give the same dictionary (the tests hold the
two together), with foreign keys named by public id or username.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from django.db import connection, models
from django.db.models.base import ModelState

from truce.core.models import Record
from truce.core.sharing import SHARE_COLUMNS
from truce.monitoring.models import Incident

if TYPE_CHECKING:
    from truce.core.models import User

IntArray = npt.NDArray[np.int64]

_FIELDS: list[models.Field[Any, Any]] = [
    f for f in Incident._meta.concrete_fields if not f.primary_key
]
_ATTNAMES = [f.attname for f in _FIELDS]
_PAYLOAD_FIELDS = [f for f in _FIELDS if f.name not in Incident.LEDGER_EXCLUDE]
_SHARES = [(column, scope.value) for scope, column in SHARE_COLUMNS.items()]
# Related objects set on each new incident (for its payload and its readers).
_RELATED = ("zone", "nearest_settlement", "created_by", "updated_by")


def _defaults() -> dict[str, Any]:
    """Each field's default for a new incident (public_id is drawn per incident)."""
    out = {}
    for f in _FIELDS:
        if f.attname != "public_id":
            out[f.attname] = f.get_default()
    return out


@dataclass
class NewIncidents:
    """Incidents to create, as columns: values[attname][i] is field attname of incident i."""

    values: dict[str, list[Any]]
    started_us: IntArray  # microseconds since 1970, for the database's text form
    ended_us: IntArray
    related: dict[str, list[models.Model | None]]
    objects: list[Incident]

    def __len__(self) -> int:
        return len(self.objects)


def _uuid4s(n: int) -> list[uuid.UUID]:
    """n random (version 4) UUIDs from one read of os.urandom, the bits set as uuid4 sets them."""
    raw = np.frombuffer(os.urandom(16 * n), np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # the RFC 4122 variant
    data = raw.tobytes()
    make, to_int = uuid.UUID, int.from_bytes
    return [make(int=to_int(data[i : i + 16], "big")) for i in range(0, 16 * n, 16)]


def _datetimes(us: IntArray) -> list[dt.datetime]:
    """Aware UTC datetimes from microseconds since 1970 (numpy makes the naive ones)."""
    naive = us.astype("datetime64[us]").astype(object).tolist()
    return [value.replace(tzinfo=dt.UTC) for value in naive]


def new_incidents(
    *,
    values: dict[str, list[Any]],
    started_us: IntArray,
    ended_us: IntArray,
    related: dict[str, list[models.Model | None]],
    actor: User | None,
    now: dt.datetime,
) -> NewIncidents:
    """Columns and objects for new incidents; values holds the derived fields by attname
    (started_at and ended_at come from the microseconds), the rest are defaults."""
    n = len(started_us)
    columns: dict[str, list[Any]] = {}
    for attname, default in _defaults().items():
        columns[attname] = values[attname] if attname in values else [default] * n
    columns["public_id"] = _uuid4s(n)
    columns["started_at"] = _datetimes(started_us)
    columns["ended_at"] = _datetimes(ended_us)
    for attname, value in (
        ("created_at", now),
        ("updated_at", now),
        ("created_by_id", actor.pk if actor else None),
        ("updated_by_id", actor.pk if actor else None),
    ):
        columns[attname] = [value] * n
    related = {**related, "created_by": [actor] * n, "updated_by": [actor] * n}
    objects = []
    new = Incident.__new__
    names = [*_ATTNAMES, "id"]
    values_of = [columns[a] for a in _ATTNAMES]
    values_of.append([None] * n)
    for row, cache in zip(
        zip(*values_of, strict=True),
        zip(*(related[name] for name in _RELATED), strict=True),
        strict=True,
    ):
        obj = new(Incident)
        state = ModelState()
        state.fields_cache = dict(zip(_RELATED, cache, strict=True))
        obj._state = state
        obj.__dict__.update(zip(names, row, strict=True))
        objects.append(obj)
    return NewIncidents(columns, started_us, ended_us, related, objects)


def _sqlite_times(us: IntArray) -> list[str]:
    """The text Django's SQLite backend stores for these instants (str of naive UTC)."""
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us").tolist()
    whole = (us % 1_000_000 == 0).tolist()
    return [
        f"{v[:10]} {v[11:19]}" if w else f"{v[:10]} {v[11:]}"
        for v, w in zip(text, whole, strict=True)
    ]


def _point_json(value: Any) -> Any:
    # What JSONField stores for a point (json.dumps with its default separators).
    if isinstance(value, dict) and value.keys() == {"type", "coordinates"}:
        lon, lat = value["coordinates"]
        if type(lon) is float and type(lat) is float and value["type"] == "Point":
            return f'{{"type": "Point", "coordinates": [{lon!r}, {lat!r}]}}'
    return None


def _column(field: models.Field[Any, Any], batch: NewIncidents) -> list[Any]:
    """A column's values as the database takes them (as the field's own preparation)."""
    values = batch.values[field.attname]
    if connection.vendor == "sqlite":
        if field.attname == "started_at":
            return _sqlite_times(batch.started_us)
        if field.attname == "ended_at":
            return _sqlite_times(batch.ended_us)
        if isinstance(field, models.UUIDField):
            return [None if v is None else v.hex for v in values]
        if isinstance(field, models.JSONField):
            texts = [None if v is None else _point_json(v) for v in values]
            return [
                field.get_db_prep_save(v, connection) if t is None and v is not None else t
                for v, t in zip(values, texts, strict=True)
            ]
    if isinstance(field, models.DateTimeField | models.UUIDField | models.JSONField):
        memo: dict[int, Any] = {}
        out: list[Any] = []
        for v in values:
            if v is None:
                out.append(None)
            elif id(v) in memo:  # created_at and updated_at: one object for all
                out.append(memo[id(v)])
            else:
                memo[id(v)] = prepared = field.get_db_prep_save(v, connection)
                out.append(prepared)
        return out
    return values


def _per_statement(n_columns: int) -> int:
    if connection.vendor == "sqlite":
        raw = connection.connection
        limit = 999
        if raw is not None and hasattr(raw, "getlimit"):
            limit = int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        return max(1, min(1000, limit // n_columns))
    return max(1, min(1000, 65_535 // n_columns))


def insert_new(batch: NewIncidents) -> None:
    """INSERT the new incidents, many rows per statement, and give each object its id.

    Rows are matched to the ids the database returns by public_id, not by position.
    """
    if not len(batch):
        return
    q = connection.ops.quote_name
    names = ", ".join(q(str(f.column)) for f in _FIELDS)
    rows = list(zip(*(_column(f, batch) for f in _FIELDS), strict=True))
    per = _per_statement(len(_FIELDS))
    one = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
    by_key = {o.public_id.hex: o for o in batch.objects}
    table = q(Incident._meta.db_table)
    returning = f"RETURNING {q('id')}, {q('public_id')}"
    connection.ensure_connection()
    alias = connection.alias
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        params = [v for row in chunk for v in row]
        sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))} {returning}"  # noqa: S608
        for pk, public_id in _execute_returning(sql, params):
            # SQLite gives the stored hex text, PostgreSQL a UUID.
            obj = by_key[public_id.hex if isinstance(public_id, uuid.UUID) else public_id]
            obj.__dict__["id"] = pk
            obj._state.adding = False
            obj._state.db = alias


def _execute_returning(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if connection.vendor == "sqlite":
        # Django's SQLite cursor rewrites every %s with a regex: slow for a statement
        # with thousands of them. Same connection and transaction, "?" placeholders.
        raw = connection.connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute(sql.replace("%s", "?"), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _isoformats(us: IntArray) -> list[str]:
    """datetime.isoformat() of these instants as aware UTC datetimes."""
    text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us").tolist()
    whole = (us % 1_000_000 == 0).tolist()
    return [f"{v[:19]}+00:00" if w else f"{v}+00:00" for v, w in zip(text, whole, strict=True)]


def _reference(target: Any, raw_id: Any) -> Any:
    if raw_id is None:
        return None
    if isinstance(target, Record):
        return str(target.public_id)
    if hasattr(target, "username"):
        return target.username
    return raw_id


def new_payloads(batch: NewIncidents, members_of: Sequence[list[str]]) -> list[dict[str, Any]]:
    """Each new incident's ledger payload (members_of[i]: its observations' public ids)."""
    n = len(batch)
    keys: list[str] = []
    columns: list[list[Any]] = []
    for f in _PAYLOAD_FIELDS:
        values = batch.values[f.attname]
        keys.append(f.name)
        if f.attname == "started_at":
            columns.append(_isoformats(batch.started_us))
        elif f.attname == "ended_at":
            columns.append(_isoformats(batch.ended_us))
        elif isinstance(f, models.ForeignKey):
            targets = batch.related.get(f.name)
            if targets is None:
                cached = _related_rows(f, values)
                columns.append([_reference(cached.get(v), v) for v in values])
            else:
                refs: dict[int, Any] = {}
                column = []
                for target, v in zip(targets, values, strict=True):
                    key = id(target)
                    if key not in refs:
                        refs[key] = _reference(target, v)
                    column.append(refs[key] if v is not None else None)
                columns.append(column)
        elif isinstance(f, models.DateTimeField | models.DateField):
            memo: dict[int, Any] = {}
            column = []
            for v in values:
                if v is None:
                    column.append(None)
                elif id(v) in memo:
                    column.append(memo[id(v)])
                else:
                    memo[id(v)] = text = v.isoformat()
                    column.append(text)
            columns.append(column)
        elif isinstance(f, models.UUIDField):
            columns.append([None if v is None else str(v) for v in values])
        else:
            columns.append(values)
    keys += ["visibility", "observations"]
    share = [batch.values[column] for column, _ in _SHARES]
    visibility = [
        ["mission"] + [name for (_, name), on in zip(_SHARES, flags, strict=True) if on]
        for flags in zip(*share, strict=True)
    ]
    columns += [visibility, [sorted(m) for m in members_of]]  # short lists: cheap
    assert len(members_of) == n
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def _related_rows(field: models.ForeignKey[Any, Any], ids: list[Any]) -> dict[Any, Any]:
    wanted = {v for v in ids if v is not None}
    if not wanted:
        return {}
    return dict(field.related_model._default_manager.in_bulk(wanted))
