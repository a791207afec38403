"""Hashing rules of the chain, shared by append and verify."""

from __future__ import annotations

from typing import Any

from truce.lib.canonical import canonical_json, sha256_hex

# The first entry links to this instead of a previous hash.
GENESIS_HASH = "0" * 64


def entry_hash(
    *,
    seq: int,
    recorded_at: str,
    actor: str,
    action: str,
    record_type: str,
    record_id: str,
    record_version: int,
    payload: str,
    prev_hash: str,
) -> str:
    body: dict[str, Any] = {
        "seq": seq,
        "recorded_at": recorded_at,
        "actor": actor,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "record_version": record_version,
        "payload_sha256": sha256_hex(payload),
        "prev_hash": prev_hash,
    }
    return sha256_hex(canonical_json(body))
