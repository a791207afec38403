"""SQLite writers queue on a file lock before BEGIN, so a waiting writer starts at once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from truce.ledger.models import LedgerHead

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'sqlite'"),
]


def _write_in_thread(result: dict[str, float], started: threading.Event) -> None:
    try:
        started.set()
        t0 = time.monotonic()
        with transaction.atomic():
            result["waited"] = time.monotonic() - t0
            LedgerHead.objects.filter(id=1).update(seq=LedgerHead.objects.get(id=1).seq)
    except Exception as exc:  # reported to the test's thread
        result["error"] = repr(exc)  # type: ignore[assignment]
    finally:
        connections.close_all()


def test_a_second_writer_waits_for_the_first_and_starts_when_it_commits() -> None:
    LedgerHead.objects.get_or_create(id=1, defaults={"seq": 0, "entry_hash": "0" * 64})
    result: dict[str, float] = {}
    started = threading.Event()
    with transaction.atomic():
        LedgerHead.objects.filter(id=1).update(seq=0)
        other = threading.Thread(target=_write_in_thread, args=(result, started))
        other.start()
        started.wait(5)
        time.sleep(0.3)
        assert "waited" not in result  # still queued behind this transaction
    other.join(10)
    assert "error" not in result, result
    assert 0.25 <= result["waited"] < 1.0


def test_a_writer_that_waits_past_the_timeout_gets_database_is_locked() -> None:
    options = connection.settings_dict["OPTIONS"]
    saved = options.get("timeout")
    result: dict[str, float] = {}
    started = threading.Event()
    try:
        options["timeout"] = 0.2
        with transaction.atomic():
            LedgerHead.objects.get_or_create(id=1, defaults={"seq": 0, "entry_hash": "0" * 64})
            other = threading.Thread(target=_write_in_thread, args=(result, started))
            other.start()
            other.join(10)
    finally:
        options["timeout"] = saved
    assert "database is locked" in str(result.get("error"))


def test_reads_do_not_wait_for_a_writer() -> None:
    found: list[int] = []

    def read() -> None:
        try:
            found.append(LedgerHead.objects.count())
        finally:
            connections.close_all()

    with transaction.atomic():
        LedgerHead.objects.get_or_create(id=1, defaults={"seq": 0, "entry_hash": "0" * 64})
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(2)
        assert not reader.is_alive() and found, "a read waited for the writer"
