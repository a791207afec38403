"""Appending to the ledger and checking it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from truce.ledger.chain import GENESIS_HASH, entry_hash
from truce.ledger.models import LedgerEntry, LedgerHead
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
    head = LedgerHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        head = LedgerHead.objects.create(id=1, seq=0, entry_hash=GENESIS_HASH)
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
    LedgerHead.objects.filter(id=1).update(seq=seq, entry_hash=digest)
    return entry


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
