"""Raising many alerts at once writes exactly what raising them one by one would."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.alerts.conftest import BASE, World
from truce.alerts import hooks
from truce.alerts.models import Alert, AlertStatus
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify

pytestmark = pytest.mark.django_db


def _casualty_reports(world: World, n: int) -> list:
    # Ungrouped reports are one condition each: n casualties give n alerts.
    return [
        world.observe(observed_at=BASE + dt.timedelta(minutes=i), killed_civilian=1)
        for i in range(n)
    ]


def test_each_alert_raised_in_bulk_has_its_own_ledger_entry_matching_the_row(
    world: World,
) -> None:
    world.rule("casualty", {"min_casualties": 1})
    reports = _casualty_reports(world, 5)

    hooks.observations_recorded(reports, actor=None)

    alerts = list(Alert.objects.select_related("rule", "zone", "observation", "facility"))
    assert len(alerts) == 5
    for alert in alerts:
        entries = LedgerEntry.objects.filter(
            record_type="alerts.alert", record_id=str(alert.public_id)
        )
        assert [(e.action, e.record_version) for e in entries] == [("raise", 1)]
        # The chained payload is the stored row's own payload, field for field.
        assert json.loads(entries[0].payload) == json.loads(
            json.dumps(alert.ledger_payload(), default=str)
        )
        assert alert.status == AlertStatus.OPEN
        assert alert.version == 1
        assert alert.visibility == ["mission"]
    assert ledger_verify().ok


def test_raising_many_alerts_costs_no_more_queries_than_raising_one(world: World) -> None:
    world.rule("casualty", {"min_casualties": 1})
    one = _casualty_reports(world, 1)
    many = [
        world.observe(observed_at=BASE + dt.timedelta(hours=1, minutes=i), killed_civilian=1)
        for i in range(12)
    ]

    with CaptureQueriesContext(connection) as for_one:
        hooks.observations_recorded(one, actor=None)
    with CaptureQueriesContext(connection) as for_many:
        hooks.observations_recorded(many, actor=None)

    assert Alert.objects.count() == 13
    assert len(for_many.captured_queries) <= len(for_one.captured_queries)


def test_a_condition_already_raised_is_not_raised_again_in_a_later_batch(world: World) -> None:
    world.rule("casualty", {"min_casualties": 1})
    reports = _casualty_reports(world, 3)
    hooks.observations_recorded(reports[:2], actor=None)
    hooks.observations_recorded(reports, actor=None)

    assert Alert.objects.count() == 3
    assert LedgerEntry.objects.filter(record_type="alerts.alert").count() == 3
