"""Appending to the ledger and checking it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from truce.ledger.chain import GENESIS_HASH, entry_hash
from truce.ledger.models import LedgerEntry, LedgerHead, LedgerTypeHead
from truce.lib.canonical import canonical_json
from truce.lib.time import iso_utc, utcnow

SYSTEM_ACTOR = "system"


def _actor_name(actor: Model | str | None) -> str:
    if actor is None:
        return SYSTEM_ACTOR
    if isinstance(actor, str):
        return actor
    return str(getattr(actor, "username", actor))


def ledger_append(
    *,
    actor: Model | str | None,
    action: str,
    record_type: str,
    record_id: str,
    record_version: int,
    payload: dict[str, Any],
) -> LedgerEntry:
    """Append one entry; must run inside the caller's transaction.

    The head row is locked first, so concurrent writers chain one after
    another instead of forking the chain.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_append must run inside the write's transaction")
    head = ledger_lock()
    seq = head.seq + 1
    recorded_at = utcnow()
    payload_text = canonical_json(payload)
    actor_name = _actor_name(actor)
    digest = entry_hash(
        seq=seq,
        recorded_at=iso_utc(recorded_at),
        actor=actor_name,
        action=action,
        record_type=record_type,
        record_id=record_id,
        record_version=record_version,
        payload=payload_text,
        prev_hash=head.entry_hash,
    )
    entry = LedgerEntry.objects.create(
        seq=seq,
        recorded_at=recorded_at,
        actor=actor_name,
        action=action,
        record_type=record_type,
        record_id=record_id,
        record_version=record_version,
        payload=payload_text,
        prev_hash=head.entry_hash,
        entry_hash=digest,
    )
    _move_head(seq, digest)
    _advance_type_heads({record_type: (seq, digest)})
    return entry


def _advance_type_heads(last: dict[str, tuple[int, str]]) -> None:
    """Record the last entry written for each type (one upsert per type, same transaction)."""
    q = connection.ops.quote_name
    table = q(LedgerTypeHead._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({q('record_type')}, {q('seq')}, {q('entry_hash')}) "  # noqa: S608
        f"VALUES (%s, %s, %s) ON CONFLICT ({q('record_type')}) DO UPDATE SET "
        f"{q('seq')} = excluded.{q('seq')}, {q('entry_hash')} = excluded.{q('entry_hash')}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(t, seq, digest) for t, (seq, digest) in sorted(last.items())])


def ledger_lock() -> LedgerHead:
    """Lock the chain's head for the rest of the transaction and return it.

    A service that writes many rows takes it first, so that concurrent
    writers queue at one place (and idempotency checks made after it see
    every earlier commit) instead of meeting half-way. (SQLite's writers
    already hold the database's write lock from BEGIN IMMEDIATE; PostgreSQL's
    wait here on the row.) Plain SQL: every write comes here first.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_lock must run inside the write's transaction")
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql())
        row = cursor.fetchone()
    if row is None:
        return LedgerHead.objects.create(id=1, seq=0, entry_hash=GENESIS_HASH)
    head = LedgerHead(id=1, seq=int(row[0]), entry_hash=row[1])
    head._state.adding = False
    return head


def _lock_sql() -> str:
    """The head's SELECT, with FOR UPDATE where the database locks rows (not SQLite)."""
    q = connection.ops.quote_name
    sql = (
        f"SELECT {q('seq')}, {q('entry_hash')} FROM {q(LedgerHead._meta.db_table)} "  # noqa: S608
        f"WHERE {q('id')} = 1"
    )
    return sql + " FOR UPDATE" if connection.features.has_select_for_update else sql


def _move_head(seq: int, entry_hash: str) -> None:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(LedgerHead._meta.db_table)} SET {q('seq')} = %s, "  # noqa: S608
            f"{q('entry_hash')} = %s WHERE {q('id')} = 1",
            [seq, entry_hash],
        )


@dataclass(frozen=True)
class PendingEntry:
    """One entry for ledger_append_many; payload may already be canonical JSON text."""

    action: str
    record_type: str
    record_id: str
    record_version: int
    payload: dict[str, Any] | str


def ledger_append_many(
    *,
    actor: Model | str | None,
    entries: Sequence[PendingEntry],
    head: LedgerHead | None = None,
) -> int:
    """Append entries in order, chained exactly as ledger_append would chain them.

    For bulk writes: the hashes are computed in Python under the head's lock
    and the rows inserted with one executemany (no model instances: a batch
    of a thousand entries is on the ingest's hot path). Returns the last seq.
    A caller that took ledger_lock() earlier in the transaction may pass the
    head it got, saving the second look-up.
    """
    if head is None or not connection.in_atomic_block:
        head = ledger_lock()
    if not entries:
        return head.seq
    recorded_at = utcnow()
    recorded_text = iso_utc(recorded_at)
    recorded_db = LedgerEntry._meta.get_field("recorded_at").get_db_prep_save(
        recorded_at, connection
    )
    actor_name = _actor_name(actor)
    prev = head.entry_hash
    seq = head.seq
    rows: list[tuple[Any, ...]] = []
    for item in entries:
        seq += 1
        payload_text = (
            item.payload if isinstance(item.payload, str) else canonical_json(item.payload)
        )
        digest = entry_hash(
            seq=seq,
            recorded_at=recorded_text,
            actor=actor_name,
            action=item.action,
            record_type=item.record_type,
            record_id=item.record_id,
            record_version=item.record_version,
            payload=payload_text,
            prev_hash=prev,
        )
        rows.append(
            (
                seq,
                recorded_db,
                actor_name,
                item.action,
                item.record_type,
                item.record_id,
                item.record_version,
                payload_text,
                prev,
                digest,
            )
        )
        prev = digest
    q = connection.ops.quote_name
    columns = (
        "seq",
        "recorded_at",
        "actor",
        "action",
        "record_type",
        "record_id",
        "record_version",
        "payload",
        "prev_hash",
        "entry_hash",
    )
    names = ", ".join(q(c) for c in columns)  # plain fields: column = name
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {q(LedgerEntry._meta.db_table)} ({names}) VALUES ({marks})",  # noqa: S608
            rows,
        )
    _move_head(seq, prev)
    # The caller's head stays true, so a later append in this transaction chains on.
    head.seq, head.entry_hash = seq, prev
    # rows are in seq order: each type's last row wins.
    _advance_type_heads({row[4]: (row[0], row[9]) for row in rows})
    return seq


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str = ""


def _entries(batch: int = 2000) -> Iterator[LedgerEntry]:
    last = 0
    while True:
        chunk = list(LedgerEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def ledger_verify() -> VerifyResult:
    """Recompute every link; report the first entry whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    with transaction.atomic():
        for entry in _entries():
            if entry.seq != expected_seq:
                return VerifyResult(
                    False,
                    checked,
                    expected_prev,
                    expected_seq,
                    f"entry {expected_seq} is missing (next present is {entry.seq})",
                )
            if entry.prev_hash != expected_prev:
                return VerifyResult(
                    False,
                    checked,
                    expected_prev,
                    entry.seq,
                    "prev_hash does not match the previous entry's hash",
                )
            digest = entry_hash(
                seq=entry.seq,
                recorded_at=iso_utc(entry.recorded_at),
                actor=entry.actor,
                action=entry.action,
                record_type=entry.record_type,
                record_id=entry.record_id,
                record_version=entry.record_version,
                payload=entry.payload,
                prev_hash=entry.prev_hash,
            )
            if digest != entry.entry_hash:
                return VerifyResult(
                    False,
                    checked,
                    expected_prev,
                    entry.seq,
                    "entry_hash does not match the entry's content (altered after writing)",
                )
            expected_prev = entry.entry_hash
            expected_seq += 1
            checked += 1
        head = LedgerHead.objects.filter(id=1).first()
        if head is not None and (head.seq != checked or head.entry_hash != expected_prev):
            return VerifyResult(
                False,
                checked,
                expected_prev,
                checked + 1 if head.seq > checked else checked,
                f"ledger head says seq {head.seq}, chain ends at {checked}: entries were removed",
            )
    return VerifyResult(True, checked, expected_prev)
