"""Inserting and updating many rows in few statements.

Django's bulk_create on SQLite splits a batch into statements of at most 999
parameters (about 20 observations each) and prepares every value through the
full expression machinery. The ingest's hot path instead prepares each
column's values once with the field's own get_db_prep_save (so values are
stored exactly as the ORM stores them) and sends as many rows per statement
as the database accepts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.base import ModelState

Prep = Callable[[Any], Any]
# Column types whose Python value the driver cannot take as it is.
_PREPARED = (
    models.DateTimeField,
    models.DateField,
    models.UUIDField,
    models.JSONField,
    models.FileField,
    models.DecimalField,
)


def _sqlite_datetime(value: Any) -> Any:
    # Exactly what Django's SQLite backend stores: naive UTC, str() of the datetime.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))
    return None


def _prep(field: models.Field[Any, Any]) -> Prep | None:
    if not isinstance(field, _PREPARED):
        return None
    real = connections[DEFAULT_DB_ALIAS]
    memo: dict[Any, Any] = {}
    if real.vendor == "sqlite" and isinstance(field, models.DateTimeField):
        # The ORM's path (settings lookups, time zone checks) costs more than the
        # insert itself for a batch of incidents; this gives the same text.
        def fast(value: Any) -> Any:
            text = _sqlite_datetime(value)
            return text if text is not None else field.get_db_prep_save(value, real)

        return fast
    if real.vendor == "sqlite" and isinstance(field, models.UUIDField):
        return lambda value: (
            value.hex if isinstance(value, uuid.UUID) else field.get_db_prep_save(value, real)
        )

    def prep(value: Any) -> Any:
        # A batch shares its timestamps (created_at, window...): prepare each value once.
        try:
            return memo[value]
        except (KeyError, TypeError):
            pass
        prepared = field.get_db_prep_save(value, real)
        if len(memo) < 10_000:
            with contextlib.suppress(TypeError):  # unhashable (a dict for a JSON field)
                memo[value] = prepared
        return prepared

    return prep


def _columns(
    model: type[models.Model], names: Sequence[str] | None
) -> list[tuple[str, str, Prep | None]]:
    return _columns_of(model, None if names is None else tuple(names))


@functools.cache
def _columns_of(
    model: type[models.Model], names: tuple[str, ...] | None
) -> list[tuple[str, str, Prep | None]]:
    # Once per model and column list: a single report's insert used to spend a
    # tenth of its time listing the model's fields.
    fields = [
        f
        for f in model._meta.concrete_fields
        if (names is None and not f.primary_key) or (names is not None and f.name in names)
    ]
    return [(f.attname, str(f.column), _prep(f)) for f in fields]


def _rows(
    objs: Sequence[models.Model], columns: list[tuple[str, str, Prep | None]]
) -> list[list[Any]]:
    """Each object's column values, read from its __dict__ (descriptors are slow in bulk)."""
    names = [attname for attname, _, _ in columns]
    preps = [(i, prep) for i, (_, _, prep) in enumerate(columns) if prep is not None]
    rows = []
    for obj in objs:
        values = obj.__dict__
        row = [values[name] for name in names]
        for i, prep in preps:
            if row[i] is not None:
                row[i] = prep(row[i])
        rows.append(row)
    return rows


def _max_params() -> int:
    if connection.vendor == "sqlite":
        raw = connection.connection
        if raw is not None and hasattr(raw, "getlimit"):
            return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        return 999
    return 65_535  # PostgreSQL's wire protocol limit


class InsertRows:
    """A model's insert rows, built ahead of the INSERT (e.g. before taking a lock).

    rows(objs) gives each object's column values as insert_returning_ids
    would send them; refresh() updates the few columns set after that (an
    observation's incident is known only once it has been grouped).
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.columns = _columns(model, None)
        self._index = {attname: i for i, (attname, _, _) in enumerate(self.columns)}

    def rows(self, objs: Sequence[models.Model]) -> list[list[Any]]:
        return _rows(objs, self.columns)

    def refresh(
        self, rows: list[list[Any]], objs: Sequence[models.Model], attnames: Sequence[str]
    ) -> None:
        for attname in attnames:
            i = self._index[attname]
            prep = self.columns[i][2]
            for row, obj in zip(rows, objs, strict=True):
                value = obj.__dict__[attname]
                row[i] = prep(value) if prep is not None and value is not None else value


def insert_returning_ids(objs: Sequence[models.Model], rows: list[list[Any]] | None = None) -> None:
    """INSERT the objects (new rows, auto ids) and set each one's pk from the database.

    rows, if given, are the objects' values from InsertRows(model).rows(objs).
    Rows are matched to ids by public_id, not by position, so nothing depends
    on the order in which the database reports them.
    """
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model, None)
    if rows is None:
        rows = _rows(objs, columns)
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    names = ", ".join(q(c) for _, c, _ in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, min(1000, _max_params() // len(columns)))
    by_key = {str(getattr(o, "public_id")).replace("-", ""): o for o in objs}  # noqa: B009
    returning = f"RETURNING {q('id')}, {q('public_id')}"
    connection.ensure_connection()
    for start in range(0, len(objs), per_statement):
        chunk = rows[start : start + per_statement]
        params = [v for row in chunk for v in row]
        values = ", ".join([one] * len(chunk))
        sql = f"INSERT INTO {table} ({names}) VALUES {values} {returning}"  # noqa: S608
        for pk, public_id in _execute_returning(sql, params):
            obj = by_key[str(public_id).replace("-", "")]
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run one statement (%s placeholders) on the current connection; all its rows."""
    connection.ensure_connection()
    return _execute_returning(sql, list(params))


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


def insert_many(objs: Sequence[models.Model]) -> None:
    """INSERT objects whose primary key is already set (for example ledger entries)."""
    if not objs:
        return
    model = type(objs[0])
    columns = [(f.attname, str(f.column), _prep(f)) for f in model._meta.concrete_fields]
    q = connection.ops.quote_name
    names = ", ".join(q(c) for _, c, _ in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {q(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, _rows(objs, columns))


def update_many(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """UPDATE the named fields of existing rows, one parameter set per row."""
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model, fields)
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(c)} = %s" for _, c, _ in columns)
    sql = f"UPDATE {q(model._meta.db_table)} SET {sets} WHERE {q('id')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        rows = _rows(objs, columns)
        cursor.executemany(sql, [[*row, o.pk] for row, o in zip(rows, objs, strict=True)])


class Maker:
    """Builds new model instances from {attname: value}, for models without init signals.

    Model(**kwargs) costs some 50 microseconds for a wide model, which a
    batch of thousands feels. This fills the instance's __dict__ directly, as
    Model.__init__ would for positional arguments, with each missing value
    the field's default. Defaults that are plain constants are taken once, into
    a template copied for each instance; callable or mutable ones (a fresh
    uuid4 for public_id, a new dict for a JSON field) are made per instance.
    Related rows go into the instance's cache, so reading obj.zone later
    costs no query. Models whose fields listen to pre_init/post_init (image
    fields, generic relations) must not be built this way.
    """

    _CONSTANT = (str, int, float, bool, bytes, type(None))

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.template: dict[str, Any] = {}
        self.fresh: list[tuple[str, Callable[[], Any]]] = []
        for f in model._meta.concrete_fields:
            make: Callable[[], Any] = f._get_default  # type: ignore[attr-defined]
            # Without a default, a field starts as None or "": constants too.
            dynamic = f.has_default() and callable(f.default)
            if not dynamic and isinstance(make(), self._CONSTANT):
                self.template[f.attname] = make()
            else:
                self.fresh.append((f.attname, make))

    def __call__(
        self, values: dict[str, Any], related: Mapping[str, models.Model | None] | None = None
    ) -> Any:
        obj = self.model.__new__(self.model)
        obj._state = ModelState()
        state = obj.__dict__
        state.update(self.template)
        for attname, make in self.fresh:
            if attname not in values:
                state[attname] = make()
        state.update(values)
        if related:
            obj._state.fields_cache.update(related)
        return obj
