"""The ledger over HTTP: its head and a full verification, for the mission only.

Other parties get 404, not 403: the head's sequence number counts every
write, including the ones they may not see.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from truce.core.auth import api_user
from truce.core.errors import NotFound
from truce.core.schemas import LedgerHeadOut, LedgerVerifyOut
from truce.ledger import services as ledger_services
from truce.ledger.chain import GENESIS_HASH
from truce.ledger.models import LedgerHead

router = Router(tags=["ledger"])


def _mission_only(request: HttpRequest) -> None:
    if not api_user(request).is_mission:
        raise NotFound("no such endpoint")


@router.get("/head", response=LedgerHeadOut)
def ledger_head(request: HttpRequest) -> dict[str, Any]:
    _mission_only(request)
    head = LedgerHead.objects.filter(id=1).first()
    if head is None:
        return {"seq": 0, "entry_hash": GENESIS_HASH}
    return {"seq": head.seq, "entry_hash": head.entry_hash}


@router.get("/verify", response=LedgerVerifyOut)
def ledger_verify(request: HttpRequest) -> dict[str, Any]:
    """Recompute every link of the chain (reads the whole ledger)."""
    _mission_only(request)
    result = ledger_services.ledger_verify()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head_hash": result.head_hash,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
    }
