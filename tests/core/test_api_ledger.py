"""The ledger over HTTP: its head and verification, for the mission only."""

from __future__ import annotations

from tests.core.api_client import Api
from truce.ledger.models import LedgerEntry, LedgerHead


def test_the_ledger_head_is_the_chain_tip(mission_user, places):
    head = Api(mission_user).get("/ledger/head").json()
    tip = LedgerHead.objects.get(id=1)
    assert head == {"seq": tip.seq, "entry_hash": tip.entry_hash}
    assert head["seq"] == LedgerEntry.objects.count()


def test_the_ledger_verifies(mission_user, places):
    result = Api(mission_user).get("/ledger/verify").json()
    assert result["ok"] is True
    assert result["checked"] == LedgerEntry.objects.count()
    assert result["first_bad_seq"] is None


def test_the_ledger_head_is_hidden_from_the_parties(side_a_user, side_b_user, agency_user):
    for user in (side_a_user, side_b_user, agency_user):
        assert Api(user).get("/ledger/head").status_code == 404
