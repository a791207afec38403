"""Recording one observation: what is stored, who sees it, and why a resend is harmless."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.monitoring.conftest import OP_A, T0, Front, HookCalls, ObsFactory, sighting
from truce.core.errors import Conflict
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.lib import bearings
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services import observation_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]


def test_an_op_observation_is_stored_with_its_window_zone_and_position(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    result = observation_record(
        actor=operator, data=make_obs(bearing_deg=90.0, distance_m=2_000.0, count=3)
    )
    assert result.created
    obs = Observation.objects.get(pk=result.observation.pk)
    assert obs.reporter == operator
    assert obs.reporting_party == operator.party
    assert obs.window == dt.date(2020, 11, 20)
    assert obs.zone == front.zone  # the post's zone
    assert obs.position_method == "bearing_distance"
    lon, lat = obs.geometry["coordinates"]
    _, _, distance = bearings.GEOD.inv(OP_A[0], OP_A[1], lon, lat)
    assert distance == pytest.approx(2_000.0, abs=0.5)
    assert (obs.observer_lon, obs.observer_lat) == OP_A  # the post's position, kept
    assert obs.visibility == ["mission"]  # mission-only unless shared
    assert obs.incident is not None
    assert len(obs.content_sha256) == 64


def test_a_given_position_is_kept_and_sets_the_zone(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    data = make_obs(
        observer_kind="patrol", observer_post=None, observer_label="P-7", lon=46.5, lat=39.0
    )
    obs = observation_record(actor=operator, data=data).observation
    assert obs.position_method == "given"
    assert obs.geometry == {"type": "Point", "coordinates": [46.5, 39.0]}
    assert obs.zone == front.south  # no post: the zone containing the event


def test_without_post_or_position_the_observer_position_sets_the_zone(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    data = make_obs(
        observer_kind="drone",
        observer_post=None,
        observer_lon=46.5,
        observer_lat=39.1,
        type="movement",
    )
    obs = observation_record(actor=operator, data=data).observation
    assert obs.geometry is None
    assert obs.position_method == ""
    assert obs.zone == front.south


def test_sharing_can_be_given(front: Front, operator: User, make_obs: ObsFactory) -> None:
    obs = observation_record(
        actor=operator, data=make_obs(visibility=["side_a", "agencies"])
    ).observation
    assert obs.visibility == ["mission", "side_a", "agencies"]


def test_a_party_complaint_is_shared_with_that_party(
    front: Front, side_b_user: User, make_obs: ObsFactory
) -> None:
    data = make_obs(observer_kind="party_complaint", observer_post=None, type="provocation")
    obs = observation_record(actor=side_b_user, data=data).observation
    assert obs.visibility == ["mission", "side_b"]
    assert obs.reporting_party == side_b_user.party
    # Even when the party names other scopes, it keeps its own.
    data = make_obs(
        observer_kind="liaison_officer", observer_post=None, type="provocation", visibility=[]
    )
    assert observation_record(actor=side_b_user, data=data).observation.visibility == [
        "mission",
        "side_b",
    ]


def test_the_ledger_holds_the_observation(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    before = LedgerEntry.objects.count()
    obs = observation_record(actor=operator, data=make_obs()).observation
    entry = LedgerEntry.objects.get(
        record_type="monitoring.observation", record_id=str(obs.public_id)
    )
    assert (entry.action, entry.record_version, entry.actor) == ("create", 1, "operator")
    payload = json.loads(entry.payload)
    assert payload == json.loads(json.dumps(obs.ledger_payload(), default=str))
    assert payload["observer_post"] == str(front.op_a.public_id)
    assert "incident" not in payload  # grouping is recorded by the incident
    incident_entry = LedgerEntry.objects.get(record_id=str(obs.incident.public_id))
    assert json.loads(incident_entry.payload)["observations"] == [str(obs.public_id)]
    assert LedgerEntry.objects.count() == before + 2
    assert ledger_verify().ok


def test_a_resend_with_the_same_content_returns_the_first_and_writes_nothing(
    front: Front, operator: User, make_obs: ObsFactory, hook_calls: HookCalls
) -> None:
    data = make_obs(bearing_deg=45.0)
    first = observation_record(actor=operator, data=data)
    entries = LedgerEntry.objects.count()
    # Same content, spelled differently (an int for a float, the time in another zone).
    again = dict(
        data, bearing_deg=45, observed_at=T0.astimezone(dt.timezone(dt.timedelta(hours=4)))
    )
    second = observation_record(actor=operator, data=again)
    assert second.created is False
    assert second.observation.pk == first.observation.pk
    assert Observation.objects.count() == 1
    assert LedgerEntry.objects.count() == entries
    assert len(hook_calls.observations) == 1


def test_the_same_uuid_with_other_content_is_a_conflict(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    data = make_obs()
    observation_record(actor=operator, data=data)
    with pytest.raises(Conflict) as caught:
        observation_record(actor=operator, data=dict(data, count=2))
    assert caught.value.field == "client_uuid"
    assert caught.value.status == 409
    assert Observation.objects.count() == 1


def test_another_partys_uuid_is_a_conflict_even_with_the_same_content(
    front: Front, side_a_user: User, side_b_user: User, make_obs: ObsFactory
) -> None:
    data = make_obs(observer_kind="party_complaint", observer_post=None, type="provocation")
    observation_record(actor=side_a_user, data=data)
    with pytest.raises(Conflict):
        observation_record(actor=side_b_user, data=data)


def test_the_alerting_side_hears_of_the_observation_and_the_incident(
    front: Front, operator: User, make_obs: ObsFactory, hook_calls: HookCalls
) -> None:
    obs = observation_record(actor=operator, data=make_obs()).observation
    assert [o.pk for o in hook_calls.observations[0]] == [obs.pk]
    assert hook_calls.observations[0][0].incident_id is not None  # called after grouping
    (incident, previous), *_ = hook_calls.incidents
    assert incident.pk == obs.incident_id
    assert previous is None  # a new incident
    assert Incident.objects.count() == 1


def test_a_two_op_sighting_is_one_incident_fixed_by_intersection(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    target = (46.40, 39.56)
    bearing_a, _ = sighting(OP_A, target)
    bearing_b, _ = sighting(front.op_b.geometry["coordinates"], target)
    observation_record(actor=operator, data=make_obs(bearing_deg=bearing_a))
    later = (T0 + dt.timedelta(minutes=2)).isoformat()
    observation_record(
        actor=operator,
        data=make_obs(observer_post="op-b", bearing_deg=bearing_b, observed_at=later),
    )
    incident = Incident.objects.get()
    assert incident.observation_count == 2
    assert incident.position_method == "intersection"
    lon, lat = incident.geometry["coordinates"]
    _, _, error = bearings.GEOD.inv(lon, lat, *target)
    assert error < 5.0
    assert incident.uncertainty_m is not None and 100 < incident.uncertainty_m < 1_500
    assert incident.reference == "INC-20201120-0001"
    assert incident.nearest_settlement == front.village
    assert incident.zone == front.zone
