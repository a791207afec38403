"""Two devices resending the same batch at the same moment: stored once, chain unbroken."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from tests.monitoring.conftest import T0, Front, ObsFactory
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.monitoring.models import Observation
from truce.monitoring.services import RecordResult, observations_record_batch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hook_calls")]


def test_concurrent_resends_store_each_observation_once(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    batch = [
        make_obs(observed_at=(T0 + dt.timedelta(minutes=i)).isoformat(), bearing_deg=float(i))
        for i in range(50)
    ]
    other = [make_obs(observer_post="op-b", observed_at=T0.isoformat()) for _ in range(20)]
    results: dict[str, list[RecordResult]] = {}
    errors: list[BaseException] = []

    def send(name: str, items: list[dict[str, object]]) -> None:
        try:
            results[name] = observations_record_batch(actor=operator, items=items)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=("first", batch)),
        threading.Thread(target=send, args=("again", batch)),
        threading.Thread(target=send, args=("other", other)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    created = sorted(
        (sum(r.created for r in results[name]) for name in ("first", "again")), reverse=True
    )
    assert created == [50, 0]
    assert Observation.objects.count() == 70
    assert LedgerEntry.objects.filter(record_type="monitoring.observation").count() == 70
    assert ledger_verify().ok
