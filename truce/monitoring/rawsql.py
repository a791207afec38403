"""Raw SQL for the hot reads (counts, the incident map), with the ORM's own WHERE.

The counts and the map are read with one hand-written SELECT each, run on
the Django connection, so no model instance is built per row. What a reader
may see is not written again here: the WHERE clause is the one Django
compiles for the selector's queryset (truce.core.sharing.visible and the
selector's filters), taken as SQL with its parameters and placed under the
hand-written column list. A reader's rows are therefore exactly the
selector's rows, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Model, QuerySet

from truce.core.models import User
from truce.core.sharing import Scope, viewer_scope, visible

# A condition no row meets (the WHERE of a queryset that can match nothing).
NOTHING = "1 = 0"


def where_of(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    """The queryset's WHERE as SQL on its model's table name, and its parameters.

    The SQL names columns as "table"."column" (the queryset's base table,
    unaliased), so it fits a SELECT ... FROM "table". It refers to no other
    table of the outer query (filters on related records are subqueries in
    our selectors); if one ever did, the statement would fail, not widen.
    """
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    try:
        sql, params = compiler.compile(query.where)
    except EmptyResultSet:
        return NOTHING, []
    except FullResultSet:
        return "1 = 1", []
    return sql or "1 = 1", list(params)


def visible_where(model: type[Model], user: User | None) -> tuple[str, list[Any]]:
    """The condition of truce.core.sharing.visible on the model's table, for this reader.

    What visible() admits depends on the reader's party scope alone (that is
    the sharing model: truce.core.sharing.visibility_q), so the compiled SQL
    is kept per model, scope and database: compiling it costs about a tenth of
    a millisecond, a good part of a day's count. It is SQL text, not data:
    nothing a write does can make it stale.
    """
    key = (model, connection.vendor, viewer_scope(user))
    found = _VISIBLE_WHERE.get(key)
    if found is None:
        sql, params = where_of(visible(model._default_manager.all(), user))
        found = _VISIBLE_WHERE[key] = (sql, tuple(params))
    return found[0], list(found[1])


_VISIBLE_WHERE: dict[tuple[type[Model], str, Scope], tuple[str, tuple[Any, ...]]] = {}


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    """A column qualified by its (unaliased) table, as where_of writes them."""
    field = model._meta.get_field(name)
    name = getattr(field, "column", None) or name
    return f"{table(model)}.{connection.ops.quote_name(name)}"
