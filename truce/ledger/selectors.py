"""Reading the ledger: a record's history, filtered by what the reader may see."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection

from truce.core.sharing import scopes_allow
from truce.ledger.models import LedgerEntry, LedgerTypeHead

if TYPE_CHECKING:
    from truce.core.models import Record, User


TypeHead = tuple[int, str]
NO_ENTRY: TypeHead = (0, "")


def type_heads(record_types: Iterable[str]) -> dict[str, TypeHead]:
    """(seq, entry_hash) of the last entry written for each record type, in one query.

    ((0, "") for a type with none yet.) A value read before some work and
    again later tells whether anything of that type was written in between;
    the hash, unlike the seq, never comes back after a rolled-back write.
    """
    wanted = sorted(set(record_types))
    if not wanted:
        return {}
    q = connection.ops.quote_name
    # Plain SQL: asked on every ingest, where the ORM's compiling costs more than the read.
    sql = (
        f"SELECT {q('record_type')}, {q('seq')}, {q('entry_hash')} "  # noqa: S608
        f"FROM {q(LedgerTypeHead._meta.db_table)} "
        f"WHERE {q('record_type')} IN ({', '.join(['%s'] * len(wanted))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, wanted)
        found = {record_type: (int(seq), digest) for record_type, seq, digest in cursor.fetchall()}
    return {record_type: found.get(record_type, NO_ENTRY) for record_type in wanted}


@dataclass(frozen=True)
class HistoryItem:
    entry: LedgerEntry
    data: dict[str, Any]
    changed: list[str]


def record_history(record: Record, user: User | None) -> list[HistoryItem]:
    """Every version of a record the caller may see, oldest first, with changed fields.

    The caller must already have checked that the record itself is visible
    (selectors do); versions that were not shared with the user's party at
    the time are left out, so history cannot reveal what was once hidden.
    """
    entries = LedgerEntry.objects.filter(
        record_type=record.ledger_type(), record_id=str(record.public_id)
    ).order_by("seq")
    items: list[HistoryItem] = []
    # Compared with the previous version *this reader* saw, so the list of
    # changed fields says nothing about versions that were hidden from them.
    previous: dict[str, Any] = {}
    for entry in entries:
        data = json.loads(entry.payload)
        if not scopes_allow(data.get("visibility", []), user):
            continue
        changed = sorted(k for k in data if k not in previous or data[k] != previous[k])
        previous = data
        items.append(HistoryItem(entry=entry, data=data, changed=changed))
    return items
