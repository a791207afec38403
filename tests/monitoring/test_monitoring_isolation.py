"""Isolation: a party sees nothing of what is not shared with it, in lists, counts or check-ins."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.monitoring.conftest import Front, ObsFactory
from truce.core.errors import NotFound
from truce.core.models import User
from truce.core.selectors import BBoxFilter
from truce.monitoring.models import Incident, Observation
from truce.monitoring.selectors import (
    counts_for,
    incident_get,
    incidents_visible_to,
    last_check_ins,
    observation_get,
    observations_visible_to,
    running_totals,
)
from truce.monitoring.services import check_in_record, observations_record_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]
WINDOW = dt.date(2020, 11, 20)
OUTSIDERS = ["side_a_user", "side_b_user", "agency_user"]


@pytest.fixture
def mission_only(front: Front, operator: User, make_obs: ObsFactory) -> list[Observation]:
    results = observations_record_batch(
        actor=operator,
        items=[
            make_obs(lon=46.40, lat=39.56, killed_civilian=1),
            make_obs(observer_post="op-b", bearing_deg=270.0, type="bursts_and_shots"),
            make_obs(observer_post="op-s", type="movement"),
        ],
    )
    check_in_record(actor=operator, post="op-a", client_uuid=uuid.uuid4())
    return [r.observation for r in results]


@pytest.mark.parametrize("reader", OUTSIDERS)
def test_outsiders_see_nothing_of_mission_only_monitoring(
    request: pytest.FixtureRequest, mission_only: list[Observation], reader: str
) -> None:
    user: User = request.getfixturevalue(reader)
    assert not observations_visible_to(user).exists()
    assert not observations_visible_to(user, window=WINDOW, post="op-a").exists()
    assert not incidents_visible_to(user).exists()
    assert not incidents_visible_to(user, window=WINDOW, bbox=BBoxFilter(40, 30, 50, 45)).exists()
    for by in ("post", "zone", "type"):
        assert counts_for(user, window=WINDOW, by=by) == []  # type: ignore[arg-type]
        assert running_totals(user, until_window=WINDOW, by=by) == []  # type: ignore[arg-type]
    for obs in mission_only:
        with pytest.raises(NotFound):
            observation_get(user, obs.public_id)
        assert obs.incident is not None
        with pytest.raises(NotFound):
            incident_get(user, obs.incident.public_id)
        assert not observations_visible_to(user, incident=obs.incident).exists()
    # Posts shared with the sides are listed, but the mission's check-ins are not.
    rows = {row.post: row for row in last_check_ins(user)}
    assert "op-s" not in rows
    if user.party.scope != "agencies":
        assert rows["op-a"].checked_in_at is None


def test_the_mission_sees_everything(mission_only: list[Observation], mission_user: User) -> None:
    assert observations_visible_to(mission_user).count() == 3
    assert incidents_visible_to(mission_user).count() == 3
    rows = {row.post: row for row in last_check_ins(mission_user)}
    assert rows["op-a"].checked_in_at is not None
    assert rows["op-a"]["status"] == "normal"
    assert dict(rows["op-b"])["checked_in_at"] is None


def test_anonymous_readers_see_only_public_records(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    observations_record_batch(
        actor=operator, items=[make_obs(), make_obs(visibility=["public"], observer_post="op-b")]
    )
    assert observations_visible_to(None).count() == 1
    assert [r["observations"] for r in counts_for(None, window=WINDOW, by="type")] == [1]


def test_a_shared_report_in_a_mission_only_incident_hides_the_incident(
    front: Front, operator: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    shared, hidden = (
        r.observation
        for r in observations_record_batch(
            actor=operator,
            items=[
                make_obs(lon=46.40, lat=39.56, visibility=["side_a"]),
                make_obs(lon=46.40, lat=39.56),
            ],
        )
    )
    assert shared.incident_id == hidden.incident_id
    incident = Incident.objects.get(pk=shared.incident_id)
    assert incident.visibility == ["mission"]
    assert list(observations_visible_to(side_a_user)) == [shared]
    assert not incidents_visible_to(side_a_user).exists()
    with pytest.raises(NotFound):
        incident_get(side_a_user, incident.public_id)
    # Filtering by the hidden incident's id matches nothing rather than confirming it.
    assert not observations_visible_to(side_a_user, incident=str(incident.public_id)).exists()
    assert [r["observations"] for r in counts_for(side_a_user, window=WINDOW, by="type")] == [1]


def test_filters_naming_hidden_records_match_nothing(
    front: Front, operator: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    observations_record_batch(
        actor=operator, items=[make_obs(observer_post="op-s", visibility=["side_a"])]
    )
    assert observations_visible_to(side_a_user).count() == 1
    assert not observations_visible_to(side_a_user, post="op-s").exists()
    assert observations_visible_to(operator, post="op-s").count() == 1
