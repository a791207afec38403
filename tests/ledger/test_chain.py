"""The hash chain: every write appends, any later change is detected."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import DatabaseError, connection, transaction

from truce.core import services
from truce.ledger import triggers
from truce.ledger.chain import GENESIS_HASH
from truce.ledger.models import LedgerEntry, LedgerHead
from truce.ledger.services import ledger_append, ledger_verify


def _disable_append_only_triggers() -> None:
    """Tests tamper on purpose; DDL is transactional, so the test's rollback restores them."""
    triggers.remove(connection)


def test_chain_links_each_entry_to_the_previous(places):
    entries = list(LedgerEntry.objects.order_by("seq"))
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.seq == before.seq + 1
    head = LedgerHead.objects.get(id=1)
    assert (head.seq, head.entry_hash) == (entries[-1].seq, entries[-1].entry_hash)
    assert ledger_verify().ok


def test_database_refuses_to_change_or_delete_an_entry(places):
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(seq=1).update(actor="mallory")
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(seq=1).delete()


def test_verify_names_the_first_altered_entry(places):
    _disable_append_only_triggers()
    LedgerEntry.objects.filter(seq=3).update(payload='{"display_name":"forged"}')
    result = ledger_verify()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "altered" in result.reason


def test_verify_detects_a_rewritten_link(places):
    _disable_append_only_triggers()
    LedgerEntry.objects.filter(seq=4).update(prev_hash="f" * 64)
    result = ledger_verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_verify_detects_removed_entries(places):
    _disable_append_only_triggers()
    last = LedgerEntry.objects.order_by("-seq").first()
    assert last is not None
    LedgerEntry.objects.filter(seq=last.seq).delete()
    result = ledger_verify()
    assert not result.ok
    assert "removed" in result.reason


def test_verify_detects_a_gap(places):
    _disable_append_only_triggers()
    LedgerEntry.objects.filter(seq=2).delete()
    result = ledger_verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        ledger_append(
            actor=None,
            action="x",
            record_type="t",
            record_id="1",
            record_version=1,
            payload={},
        )


def test_failed_write_leaves_no_ledger_entry(parties):
    before = LedgerEntry.objects.count()
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic():
        services.settlement_create(
            actor=None,
            fields={
                "pcode": "P1",
                "display_name": "X",
                "geometry": {"type": "Point", "coordinates": [46, 39]},
            },
        )
        raise RuntimeError("boom after the write")
    assert LedgerEntry.objects.count() == before
    assert ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain(parties):
    """Two threads writing at once must chain one after the other, never fork."""
    errors: list[BaseException] = []

    def write(prefix: str) -> None:
        try:
            for i in range(10):
                services.settlement_create(
                    actor=None,
                    fields={
                        "pcode": f"{prefix}{i}",
                        "display_name": f"{prefix}{i}",
                        "geometry": {"type": "Point", "coordinates": [46, 39]},
                    },
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(p,)) for p in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = ledger_verify()
    assert result.ok
    assert result.checked == LedgerEntry.objects.count()


def test_type_heads_follow_every_append(places):
    from truce.ledger.selectors import type_heads
    from truce.ledger.services import PendingEntry, ledger_append_many

    before = type_heads(["test.thing", "test.other"])
    assert before == {"test.thing": (0, ""), "test.other": (0, "")}
    with transaction.atomic():
        ledger_append(
            actor=None,
            action="create",
            record_type="test.thing",
            record_id="a",
            record_version=1,
            payload={},
        )
        last = ledger_append_many(
            actor=None,
            entries=[
                PendingEntry("create", "test.other", "b", 1, {}),
                PendingEntry("create", "test.thing", "c", 1, {}),
                PendingEntry("create", "test.other", "d", 1, {}),
            ],
        )
    heads = type_heads(["test.thing", "test.other"])
    entries = {
        e.record_id: (e.seq, e.entry_hash) for e in LedgerEntry.objects.filter(seq__gt=last - 4)
    }
    assert heads == {"test.thing": entries["c"], "test.other": entries["d"]}
    assert heads["test.other"][0] == last
    assert ledger_verify().ok


def test_a_head_passed_to_append_many_follows_the_chain(places):
    from truce.ledger.services import PendingEntry, ledger_append_many, ledger_lock

    with transaction.atomic():
        head = ledger_lock()
        ledger_append_many(
            actor=None, entries=[PendingEntry("create", "t.a", "1", 1, {})], head=head
        )
        # Another append in the same transaction with the same head object.
        ledger_append_many(
            actor=None, entries=[PendingEntry("create", "t.a", "2", 1, {})], head=head
        )
    assert LedgerHead.objects.get(id=1).seq == head.seq
    assert ledger_verify().ok
