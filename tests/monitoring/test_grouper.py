"""Grouping in the background: the ingest stores, the grouper forms the incidents."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.monitoring.conftest import OP_A, OP_B, T0, Front, ObsFactory, sighting
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.lib.bearings import GEOD
from truce.monitoring.models import Incident, Observation, ObservationCount
from truce.monitoring.services import grouper, incident_set_status, observations_record_batch

pytestmark = pytest.mark.django_db

TARGET = (46.40, 39.56)
FAR = (46.85, 39.85)


def _at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _one_event_and_another(make_obs: ObsFactory) -> list[dict[str, Any]]:
    """Two OPs see one explosion; a minute later one of them sees another far away."""
    bearing_a, _ = sighting(OP_A, TARGET)
    bearing_b, _ = sighting(OP_B, TARGET)
    far_bearing, far_m = sighting(OP_B, FAR)
    return [
        make_obs(bearing_deg=round(bearing_a, 1), type="explosion_impact"),
        make_obs(observer_post="op-b", bearing_deg=round(bearing_b, 1), observed_at=_at(1)),
        make_obs(
            observer_post="op-b",
            bearing_deg=round(far_bearing, 1),
            distance_m=round(far_m),
            type="bursts_and_shots",
            observed_at=_at(2),
        ),
    ]


def _partition(uuids: list[str]) -> list[list[int]]:
    """Which items share an incident, by their position in `uuids`."""
    by_uuid = dict(Observation.objects.values_list("client_uuid", "incident_id"))
    groups: dict[int, list[int]] = {}
    for i, key in enumerate(uuids):
        incident = by_uuid[uuid.UUID(key)]
        assert incident is not None
        groups.setdefault(incident, []).append(i)
    return sorted(groups.values())


@pytest.fixture
def background(settings: SettingsWrapper) -> None:
    settings.TRUCE_GROUPING = "background"


@pytest.mark.usefixtures("hook_calls")
def test_inline_ingest_groups_in_its_own_transaction(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    items = _one_event_and_another(make_obs)
    results = observations_record_batch(actor=operator, items=items)
    assert all(r.observation.incident_id for r in results)
    assert not grouper.pending_exist()
    assert _partition([i["client_uuid"] for i in items]) == [[0, 1], [2]]


@pytest.mark.usefixtures("hook_calls", "background")
def test_in_the_background_the_ingest_stores_and_counts_and_the_grouper_groups(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    items = _one_event_and_another(make_obs)
    results = observations_record_batch(actor=operator, items=items)

    assert [r.observation.incident_id for r in results] == [None, None, None]
    assert not Incident.objects.exists()
    assert grouper.pending_exist()
    # Durable and counted at once, before any grouping.
    assert sum(ObservationCount.objects.values_list("observations", flat=True)) > 0

    assert grouper.group_pending() == 3
    assert not grouper.pending_exist()
    assert _partition([i["client_uuid"] for i in items]) == [[0, 1], [2]]
    pair = Incident.objects.get(observation_count=2)
    assert pair.position_method == "intersection"
    # The incidents' entries name their observations; the observations' own stay as sent.
    entry = LedgerEntry.objects.get(record_type="monitoring.incident", record_id=pair.public_id)
    assert entry.actor == "system"
    assert sorted(json.loads(entry.payload)["observations"]) == sorted(
        str(o.public_id) for o in pair.observations.all()
    )
    assert LedgerEntry.objects.filter(record_type="monitoring.observation").count() == 3
    assert ledger_verify().ok
    assert grouper.group_pending() == 0


@pytest.mark.usefixtures("hook_calls", "background")
def test_later_reports_join_the_incident_the_grouper_formed(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    items = _one_event_and_another(make_obs)
    observations_record_batch(actor=operator, items=items[:1])
    grouper.group_pending()
    observations_record_batch(actor=operator, items=items[1:])
    grouper.group_pending()
    assert _partition([i["client_uuid"] for i in items]) == [[0, 1], [2]]
    assert Incident.objects.filter(is_deleted=False).count() == 2


@pytest.mark.usefixtures("hook_calls", "background")
def test_a_round_holds_at_most_its_limit_and_the_next_takes_the_rest(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    observations_record_batch(actor=operator, items=_one_event_and_another(make_obs))
    assert grouper.group_pending(limit=2) == 2
    assert Observation.objects.filter(incident__isnull=True).count() == 1
    assert grouper.group_all_pending() == 1
    assert not grouper.pending_exist()


@pytest.mark.usefixtures("hook_calls", "background")
def test_an_incident_written_while_planning_is_planned_again_and_not_overwritten(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory, monkeypatch: Any
) -> None:
    items = _one_event_and_another(make_obs)
    observations_record_batch(actor=operator, items=items[:1])
    grouper.group_pending()
    incident = Incident.objects.get()
    observations_record_batch(actor=operator, items=items[1:2])

    plans = []
    original = grouper._plan

    def plan_then_someone_reviews(limit: int) -> Any:
        planned = original(limit)
        plans.append(planned)
        if len(plans) == 1:
            # Between the plan and the lock, an analyst moves the incident on.
            incident_set_status(
                actor=analyst,
                incident=incident,
                status="under_review",
                expected_version=incident.version,
            )
        return planned

    monkeypatch.setattr(grouper, "_plan", plan_then_someone_reviews)
    assert grouper.group_pending() == 1

    assert len(plans) == 2  # the first plan was stale: planned again under the lock
    incident.refresh_from_db()
    assert incident.status == "under_review"  # the review is kept...
    assert incident.observation_count == 2  # ...and the new report joined
    versions = list(
        LedgerEntry.objects.filter(record_id=str(incident.public_id)).values_list(
            "record_version", "action"
        )
    )
    # Created, reviewed, joined: each a version of its own, none written from a stale one.
    assert [v for v, _ in versions] == [1, 2, 3]
    assert incident.version == 3
    assert ledger_verify().ok


@pytest.mark.usefixtures("hook_calls", "background")
def test_an_observation_changed_while_planning_is_left_out_of_a_plan_made_again(
    front: Front, operator: User, make_obs: ObsFactory, monkeypatch: Any
) -> None:
    results = observations_record_batch(actor=operator, items=_one_event_and_another(make_obs))
    gone = results[2].observation
    original = grouper._plan
    plans = []

    def plan_then_one_is_withdrawn(limit: int) -> Any:
        planned = original(limit)
        plans.append(planned)
        if len(plans) == 1:
            # No incident is written, so only the linking step can notice.
            Observation.objects.filter(pk=gone.pk).update(is_deleted=True)
        return planned

    monkeypatch.setattr(grouper, "_plan", plan_then_one_is_withdrawn)
    assert grouper.group_pending() == 2

    assert len(plans) == 2
    gone.refresh_from_db()
    assert gone.incident_id is None
    assert Incident.objects.count() == 1  # the first plan's incidents were rolled back
    assert Observation.objects.filter(incident__isnull=False).count() == 2
    assert ledger_verify().ok


@pytest.mark.usefixtures("background")
def test_the_grouper_raises_event_alerts_once_per_incident(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    from truce.alerts import services as alert_services
    from truce.alerts.models import Alert

    alert_services.alert_rule_create(
        actor=None,
        fields={
            "name": "casualties",
            "kind": "casualty",
            "params": {},
            "severity": "high",
            "escalation": [["duty_officer", 10]],
        },
    )
    bearing_a, _ = sighting(OP_A, TARGET)
    bearing_b, _ = sighting(OP_B, TARGET)
    items = [
        make_obs(bearing_deg=round(bearing_a, 1), killed_civilian=1),
        make_obs(
            observer_post="op-b",
            bearing_deg=round(bearing_b, 1),
            killed_civilian=1,
            observed_at=_at(1),
        ),
    ]
    observations_record_batch(actor=operator, items=items)
    assert not Alert.objects.exists()  # the event is not formed yet

    grouper.group_pending()
    alert = Alert.objects.get()
    assert alert.kind == "casualty"
    assert alert.incident == Incident.objects.get()
    assert alert.observation.killed_civilian == 1

    # A later report of the same event joins the incident and raises nothing new.
    later = make_obs(observer_post="op-b", bearing_deg=round(bearing_b, 1), killed_civilian=2)
    later["observed_at"] = _at(3)
    observations_record_batch(actor=operator, items=[later])
    grouper.group_pending()
    assert Alert.objects.count() == 1
    assert Incident.objects.get().observation_count == 3
    assert ledger_verify().ok


@pytest.mark.usefixtures("background")
def test_the_grouper_raises_a_proximity_alert_for_the_report_nearest_the_target(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    from truce.alerts import services as alert_services
    from truce.alerts.models import Alert

    alert_services.alert_rule_create(
        actor=None,
        fields={
            "name": "near the village",
            "kind": "proximity",
            "params": {"distance_km": 5, "settlements": ["V-1"]},
            "severity": "high",
            "escalation": [["duty_officer", 10]],
        },
    )
    near = (46.41, 39.60)  # about 2 km from the village
    far_bearing, far_m = sighting(OP_A, near)
    b_bearing, b_m = sighting(OP_B, near)
    observations_record_batch(
        actor=operator,
        items=[
            make_obs(bearing_deg=round(far_bearing, 1), distance_m=round(far_m)),
            make_obs(
                observer_post="op-b",
                bearing_deg=round(b_bearing, 1),
                distance_m=round(b_m),
                observed_at=_at(1),
            ),
        ],
    )
    grouper.group_pending()
    alert = Alert.objects.get()
    assert alert.kind == "proximity"
    assert alert.incident == Incident.objects.get()
    assert alert.details["target_code"] == "V-1"
    # The nearest of the incident's reports speaks for it.
    nearest = min(Observation.objects.all(), key=lambda o: GEOD.inv(o.lon, o.lat, 46.40, 39.62)[2])
    assert alert.observation_id == nearest.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("background")
def test_a_grouper_thread_groups_what_an_ingest_commits(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    running = grouper.start_thread(poll=0.05)
    try:
        results = observations_record_batch(actor=operator, items=_one_event_and_another(make_obs))
        ids = [r.observation.pk for r in results]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not Observation.objects.filter(pk__in=ids, incident__isnull=True).exists():
                break
            time.sleep(0.05)
        assert not Observation.objects.filter(pk__in=ids, incident__isnull=True).exists()
    finally:
        running.stop()


@pytest.mark.usefixtures("hook_calls", "background")
def test_the_grouper_command_groups_what_is_pending(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    from io import StringIO

    from django.core.management import call_command

    observations_record_batch(actor=operator, items=_one_event_and_another(make_obs))
    out = StringIO()
    call_command("grouper", stdout=out)
    assert "Grouped 3 observation(s)" in out.getvalue()
    assert not grouper.pending_exist()
