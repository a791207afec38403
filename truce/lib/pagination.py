"""Cursor pagination over a queryset, in internal primary-key order.

The cursor names the last row a client has seen by its public id, signed so
it cannot be forged. An internal pk in the cursor would let a party count
the rows hidden from it between two of its own; a public id it has already
seen reveals nothing new. Keyset order (pk > last) means rows added or
removed while a client walks the list never make it see a row twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core import signing
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 50
_SALT = "truce.pagination"


class PageError(ValueError):
    """A limit or cursor the client sent cannot be used; `field` names which."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def page_max() -> int:
    return int(settings.TRUCE_API_PAGE_MAX)


def check_limit(limit: int | None) -> int:
    if limit is None:
        return min(DEFAULT_LIMIT, page_max())
    if not 1 <= limit <= page_max():
        raise PageError(f"limit must be between 1 and {page_max()}", field="limit")
    return limit


def encode_cursor(namespace: str, key: Any) -> str:
    return signing.dumps(str(key), salt=f"{_SALT}:{namespace}", compress=False)


def decode_cursor(namespace: str, cursor: str) -> str:
    try:
        value = signing.loads(cursor, salt=f"{_SALT}:{namespace}")
    except signing.BadSignature:
        raise PageError(
            "cursor is not valid here: pass back next_cursor exactly as received", field="cursor"
        ) from None
    if not isinstance(value, str):
        raise PageError("cursor is not valid here", field="cursor")
    return value


def paginate(
    queryset: QuerySet[M],
    *,
    namespace: str,
    limit: int | None = None,
    cursor: str | None = None,
    key_field: str = "public_id",
) -> Page[M]:
    """One page of `queryset` after `cursor`, ordered by pk.

    `namespace` ties a cursor to one list, so a cursor from another list is
    refused rather than silently starting somewhere odd.
    """
    size = check_limit(limit)
    rows = queryset.order_by("pk")
    if cursor:
        key = decode_cursor(namespace, cursor)
        # Looked up without the caller's filters: the row may since have been
        # hidden or tombstoned, and its position in pk order is still valid.
        last_pk = (
            queryset.model._default_manager.filter(**{key_field: key})
            .values_list("pk", flat=True)
            .first()
        )
        if last_pk is None:
            raise PageError("cursor points at a record that no longer exists", field="cursor")
        rows = rows.filter(pk__gt=last_pk)
    # One row beyond the page says whether another page exists without a count.
    items = list(rows[: size + 1])
    more = len(items) > size
    items = items[:size]
    next_cursor = encode_cursor(namespace, getattr(items[-1], key_field)) if more else None
    return Page(items=items, next_cursor=next_cursor)
