"""Each rule kind raises exactly once per condition, and not below its threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.alerts.conftest import BASE, MISSIONVILLE, World, offset
from truce.alerts import hooks, services
from truce.alerts.models import Alert, AlertStatus
from truce.core import services as core_services
from truce.ledger.services import ledger_verify

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


# --- verified violation -------------------------------------------------------------------


def test_a_verified_violation_raises_once(world: World) -> None:
    world.rule("verified_violation", {})
    incident = world.incident(status="verified", killed=1)
    hooks.incident_changed(incident, actor=None, previous_status="under_review")
    hooks.incident_changed(incident, actor=None, previous_status="under_review")

    alert = Alert.objects.get()
    assert alert.kind == "verified_violation"
    assert alert.incident == incident
    assert alert.zone == world.places.mission_zone
    assert alert.status == AlertStatus.OPEN
    assert alert.current_role == "duty_officer"
    assert incident.reference in alert.message
    assert "Northern zone" in alert.message
    assert "UTC" in alert.message
    assert ledger_verify().ok


@pytest.mark.parametrize(
    ("status", "type_"),
    [("reported", "explosion_impact"), ("verified", "illumination_flare")],
)
def test_unverified_or_non_violations_raise_nothing(world: World, status: str, type_: str) -> None:
    world.rule("verified_violation", {})
    incident = world.incident(status=status, type=type_)
    hooks.incident_changed(incident, actor=None, previous_status=None)
    assert not Alert.objects.exists()


def test_verified_violation_rule_limited_to_types_and_zone(world: World) -> None:
    world.rule("verified_violation", {"types": ["bursts_and_shots"]})
    world.rule("verified_violation", {}, zone=world.corridor)
    incident = world.incident(status="verified", type="explosion_impact")
    hooks.incident_changed(incident, actor=None, previous_status="reported")
    assert not Alert.objects.exists()


# --- threshold -----------------------------------------------------------------------------


def _threshold(world: World, **params: object) -> None:
    values = {"count": 3, "window_minutes": 10, "types": ["explosion_impact"], **params}
    world.rule("threshold", values)


def test_threshold_raises_once_when_reached(world: World) -> None:
    _threshold(world)
    for minutes in (0, 2):
        obs = world.observe(observed_at=BASE + minutes * MIN)
        hooks.observations_recorded([obs], actor=None)
    assert not Alert.objects.exists()

    third = world.observe(observed_at=BASE + 4 * MIN)
    hooks.observations_recorded([third], actor=None)
    alert = Alert.objects.get()
    assert alert.kind == "threshold"
    assert alert.condition_at == BASE + 4 * MIN
    assert alert.details["observations"] == 3

    # More of the same burst is the same condition.
    for minutes in (5, 6):
        obs = world.observe(observed_at=BASE + minutes * MIN)
        hooks.observations_recorded([obs], actor=None)
    assert Alert.objects.count() == 1


def test_threshold_counts_batch_and_database(world: World) -> None:
    _threshold(world)
    earlier = world.observe(observed_at=BASE)
    hooks.observations_recorded([earlier], actor=None)
    batch = [world.observe(observed_at=BASE + m * MIN) for m in (3, 6)]
    hooks.observations_recorded(batch, actor=None)
    assert Alert.objects.count() == 1


def test_threshold_not_reached_spread_out_or_other_types(world: World) -> None:
    _threshold(world)
    spread = [world.observe(observed_at=BASE + m * MIN) for m in (0, 11, 22, 33)]
    others = [world.observe(observed_at=BASE + m * MIN, type="muzzle_flash") for m in (40, 41, 42)]
    hooks.observations_recorded(spread + others, actor=None)
    assert not Alert.objects.exists()


def test_threshold_counts_each_zone_apart(world: World) -> None:
    _threshold(world)
    north = [world.observe(observed_at=BASE + m * MIN) for m in (0, 1)]
    corridor = [world.observe(observed_at=BASE + m * MIN, zone=world.corridor) for m in (0, 1)]
    hooks.observations_recorded(north + corridor, actor=None)
    assert not Alert.objects.exists()
    more = [
        world.observe(observed_at=BASE + 2 * MIN),
        world.observe(observed_at=BASE + 2 * MIN, zone=world.corridor),
    ]
    hooks.observations_recorded(more, actor=None)
    assert {a.zone for a in Alert.objects.all()} == {world.places.mission_zone, world.corridor}


def test_a_late_report_completing_a_window_raises(world: World) -> None:
    _threshold(world)
    hooks.observations_recorded(
        [world.observe(observed_at=BASE + m * MIN) for m in (5, 8)], actor=None
    )
    late = world.observe(observed_at=BASE + 1 * MIN)
    hooks.observations_recorded([late], actor=None)
    assert Alert.objects.get().condition_at == BASE + 8 * MIN


def test_a_new_burst_after_the_window_raises_again(world: World) -> None:
    _threshold(world)
    first = [world.observe(observed_at=BASE + m * MIN) for m in (0, 1, 2)]
    hooks.observations_recorded(first, actor=None)
    second = [world.observe(observed_at=BASE + m * MIN) for m in (30, 31, 32)]
    hooks.observations_recorded(second, actor=None)
    assert Alert.objects.count() == 2


# --- casualties --------------------------------------------------------------------------------


def test_casualties_raise_once_per_incident(world: World) -> None:
    world.rule("casualty", {})
    incident = world.incident()
    first = world.observe(incident=incident, killed_civilian=1, injured_military=2)
    hooks.observations_recorded([first], actor=None)
    second = world.observe(incident=incident, killed_civilian=1)
    hooks.observations_recorded([second], actor=None)

    alert = Alert.objects.get()
    assert alert.kind == "casualty"
    assert alert.incident == incident
    assert alert.observation == first
    assert alert.facility == world.places.mission_op
    assert "1 killed, 2 injured" in alert.title
    assert "OP North 1" in alert.message


def test_no_casualty_alert_below_the_minimum(world: World) -> None:
    world.rule("casualty", {"min_casualties": 3})
    world.rule("casualty", {"civilian_only": True})
    obs = world.observe(killed_military=2)
    quiet = world.observe()
    hooks.observations_recorded([obs, quiet], actor=None)
    assert not Alert.objects.exists()


def test_ungrouped_casualty_reports_raise_each(world: World) -> None:
    world.rule("casualty", {})
    batch = [world.observe(injured_civilian=1), world.observe(injured_civilian=1)]
    hooks.observations_recorded(batch, actor=None)
    hooks.observations_recorded(batch, actor=None)
    assert Alert.objects.count() == 2


# --- proximity -------------------------------------------------------------------------------


@pytest.mark.parametrize(("metres", "raised"), [(4_950.0, True), (5_050.0, False)])
def test_proximity_to_a_settlement_just_inside_and_outside(
    world: World, metres: float, raised: bool
) -> None:
    world.rule("proximity", {"distance_km": 5, "settlements": ["T-M"]})
    obs = world.observe(at=offset(*MISSIONVILLE, east_m=metres))
    hooks.observations_recorded([obs], actor=None)
    hooks.observations_recorded([obs], actor=None)
    assert Alert.objects.count() == (1 if raised else 0)
    if raised:
        alert = Alert.objects.get()
        assert alert.details["target_code"] == "T-M"
        assert alert.details["distance_m"] == pytest.approx(metres, abs=5.0)
        assert "Missionville" in alert.title


def test_proximity_to_any_settlement_names_the_nearest(world: World) -> None:
    world.rule("proximity", {"distance_km": 2})
    # Publictown is at 46.1, 39.5; Alphaville at 46.2.
    obs = world.observe(at=offset(46.2, 39.5, east_m=-1_000))
    hooks.observations_recorded([obs], actor=None)
    assert Alert.objects.get().details["target_name"] == "Alphaville"


@pytest.mark.parametrize(("metres", "raised"), [(990.0, True), (1_010.0, False)])
def test_proximity_to_the_corridor(world: World, metres: float, raised: bool) -> None:
    world.rule("proximity", {"distance_km": 1, "target": "corridor"})
    # The corridor's eastern edge runs along 46.56.
    obs = world.observe(at=offset(46.56, 39.25, east_m=metres), zone=None)
    hooks.observations_recorded([obs], actor=None)
    assert Alert.objects.count() == (1 if raised else 0)


def test_proximity_sees_an_edited_settlement(world: World) -> None:
    world.rule("proximity", {"distance_km": 1, "settlements": ["T-M"]})
    far = offset(*MISSIONVILLE, east_m=20_000)
    hooks.observations_recorded([world.observe(at=far)], actor=None)
    assert not Alert.objects.exists()
    settlement = world.places.mission_settlement
    core_services.settlement_update(
        actor=None,
        settlement=settlement,
        expected_version=settlement.version,
        changes={"geometry": {"type": "Point", "coordinates": list(far)}},
    )
    hooks.observations_recorded([world.observe(at=far)], actor=None)
    assert Alert.objects.count() == 1


def test_observations_without_a_position_are_not_near_anything(world: World) -> None:
    world.rule("proximity", {"distance_km": 50})
    hooks.observations_recorded([world.observe()], actor=None)
    assert not Alert.objects.exists()


def test_inactive_and_deleted_rules_raise_nothing(world: World) -> None:
    world.rule("casualty", {}, active=False)
    gone = world.rule("casualty", {})
    services.alert_rule_delete(actor=None, rule=gone, expected_version=1)
    hooks.observations_recorded([world.observe(killed_civilian=1)], actor=None)
    assert not Alert.objects.exists()
