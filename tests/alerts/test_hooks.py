"""The hooks the monitoring services call: cheap, batch-sized, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.alerts.conftest import BASE, MISSIONVILLE, World, offset
from truce.alerts import evaluate, hooks
from truce.alerts.models import Alert

pytestmark = pytest.mark.django_db


def _rules(world: World) -> None:
    world.rule("threshold", {"count": 500, "window_minutes": 10, "types": ["explosion_impact"]})
    world.rule("casualty", {})
    world.rule("proximity", {"distance_km": 1, "settlements": ["T-M"]})
    world.rule("proximity", {"distance_km": 1, "target": "corridor"})


def _queries(world: World, n: int) -> int:
    far = offset(*MISSIONVILLE, east_m=30_000)
    batch = [
        world.observe(observed_at=BASE + dt.timedelta(seconds=10 * i), at=far) for i in range(n)
    ]
    with CaptureQueriesContext(connection) as captured:
        hooks.observations_recorded(batch, actor=None)
    return len([q for q in captured.captured_queries if q["sql"].startswith("SELECT")])


def test_the_cost_of_a_batch_does_not_grow_with_its_size(world: World) -> None:
    _rules(world)
    _queries(world, 3)  # builds the proximity indexes once for this process
    few = _queries(world, 5)
    many = _queries(world, 60)
    assert few == many
    # Whether rules or targets changed (one query for all); the threshold's earlier
    # alerts and its window.
    assert many == 3
    assert not Alert.objects.exists()


def test_no_rules_cost_one_query(world: World) -> None:
    observation = world.observe()
    hooks.observations_recorded([observation], actor=None)  # the process reads the rules once
    with CaptureQueriesContext(connection) as captured:
        hooks.observations_recorded([observation], actor=None)
    statements = [q["sql"] for q in captured.captured_queries]
    # The savepoint that contains the hook's work, one SELECT, and its release: the
    # SELECT asks the ledger whether a rule was written since the rules were read.
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 1, statements
    assert "ledger_ledgertypehead" in selects[0]


def test_a_new_rule_is_seen_by_the_next_batch(world: World) -> None:
    far = offset(*MISSIONVILLE, east_m=30_000)
    first = world.observe(killed_civilian=1, at=far)
    hooks.observations_recorded([first], actor=None)
    world.rule("casualty", {})
    second = world.observe(observed_at=BASE + dt.timedelta(hours=1), killed_civilian=1, at=far)
    hooks.observations_recorded([second], actor=None)
    assert [a.observation_id for a in Alert.objects.all()] == [second.pk]


def test_an_incident_that_is_not_a_new_verified_violation_costs_nothing(world: World) -> None:
    world.rule("verified_violation", {})
    reported = world.incident()
    verified = world.incident(status="verified")
    with CaptureQueriesContext(connection) as captured:
        hooks.incident_changed(reported, actor=None, previous_status=None)
        hooks.incident_changed(verified, actor=None, previous_status="verified")
    assert captured.captured_queries == []


def test_outside_test_mode_a_failing_hook_is_logged_not_raised(
    world: World,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world.rule("casualty", {})

    def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError("a bug in a rule")

    broken_casualty: Callable[..., list[Any]] = broken
    monkeypatch.setattr(evaluate, "casualty", broken_casualty)
    settings.TRUCE_MODE = "production"
    observation = world.observe(killed_civilian=1)
    hooks.observations_recorded([observation], actor=None)
    assert "alert hook observations_recorded failed" in caplog.text
    observation.refresh_from_db()
    settings.TRUCE_MODE = "test"
    with pytest.raises(RuntimeError):
        hooks.observations_recorded([observation], actor=None)


def test_a_plan_made_before_the_lock_raises_what_evaluating_afterwards_would(
    world: World,
) -> None:
    world.rule("proximity", {"distance_km": 1, "settlements": ["T-M"]})
    near = offset(*MISSIONVILLE, east_m=400)
    first = world.observe(observed_at=BASE, at=near)
    second = world.observe(observed_at=BASE + dt.timedelta(hours=2), at=near)

    hooks.observations_recorded([first], actor=None, plan=hooks.plan_observation_alerts([first]))
    hooks.observations_recorded([second], actor=None)

    alerts = list(Alert.objects.order_by("condition_at"))
    assert [a.observation_id for a in alerts] == [first.pk, second.pk]
    assert alerts[0].details["target_code"] == alerts[1].details["target_code"] == "T-M"
    assert alerts[0].details["distance_m"] == alerts[1].details["distance_m"]


def test_a_plan_covering_resends_raises_only_for_what_was_written(world: World) -> None:
    world.rule("proximity", {"distance_km": 1, "settlements": ["T-M"]})
    near = offset(*MISSIONVILLE, east_m=400)
    resent = world.observe(observed_at=BASE, at=near)
    written = world.observe(observed_at=BASE + dt.timedelta(hours=2), at=near)
    # The ingest plans for every item before it knows which are resends.
    plan = hooks.plan_observation_alerts([resent, written])

    hooks.observations_recorded([written], actor=None, plan=plan)

    assert [a.observation_id for a in Alert.objects.all()] == [written.pk]
