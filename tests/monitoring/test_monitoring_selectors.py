"""Reading observations and incidents: filters, and a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.monitoring.conftest import T0, Front, ObsFactory
from truce.core.errors import NotFound
from truce.core.models import User
from truce.core.selectors import BBoxFilter
from truce.monitoring.models import Incident, Observation
from truce.monitoring.selectors import (
    incident_get,
    incidents_visible_to,
    observations_visible_to,
)
from truce.monitoring.services import incident_set_status, observations_record_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]


@pytest.fixture
def rows(front: Front, operator: User, make_obs: ObsFactory) -> list[Observation]:
    items = [
        make_obs(lon=46.30, lat=39.56),
        make_obs(lon=46.60, lat=39.56, type="bursts_and_shots", observer_post="op-b"),
        make_obs(
            observer_kind="patrol",
            observer_post=None,
            lon=46.50,
            lat=39.10,
            observed_at="2020-11-20T15:00:00Z",
        ),
        make_obs(observer_kind="patrol", observer_post=None, type="movement"),
    ]
    return [r.observation for r in observations_record_batch(actor=operator, items=items)]


def test_observation_filters(rows: list[Observation], operator: User) -> None:
    def ids(**filters: object) -> set[int]:
        return {o.pk for o in observations_visible_to(operator, **filters)}  # type: ignore[arg-type]

    first, second, third, fourth = (o.pk for o in rows)
    assert ids() == {first, second, third, fourth}
    assert ids(window=dt.date(2020, 11, 20)) == {first, second, fourth}
    assert ids(window=dt.date(2020, 11, 21)) == {third}
    assert ids(since=T0 + dt.timedelta(hours=1)) == {third}
    assert ids(until=T0 + dt.timedelta(hours=1)) == {first, second, fourth}
    assert ids(post="op-b") == {second}
    assert ids(zone="south") == {third}
    assert ids(type="movement") == {fourth}
    assert ids(bbox=BBoxFilter(46.25, 39.5, 46.35, 39.6)) == {first}
    assert ids(incident=rows[1].incident) == {second}
    assert ids(incident=str(rows[1].incident.public_id)) == {second}  # type: ignore[union-attr]
    assert ids(incident="not-a-uuid") == set()


def test_incident_filters(rows: list[Observation], mission_user: User) -> None:
    def refs(**filters: object) -> set[int]:
        return {i.pk for i in incidents_visible_to(mission_user, **filters)}  # type: ignore[arg-type]

    first, second, third, fourth = (o.incident_id for o in rows)
    assert refs() == {first, second, third, fourth}
    assert refs(window=dt.date(2020, 11, 21)) == {third}
    assert refs(zone="south") == {third}
    assert refs(type="bursts_and_shots") == {second}
    assert refs(bbox=BBoxFilter(46.55, 39.5, 46.65, 39.6)) == {second}
    assert refs(since=T0 + dt.timedelta(hours=1)) == {third}
    incident = Incident.objects.get(pk=first)
    incident_set_status(
        actor=mission_user, incident=incident, status="under_review", expected_version=1
    )
    assert refs(status="under_review") == {first}
    assert incident_get(mission_user, str(incident.public_id)).pk == first
    with pytest.raises(NotFound):
        incident_get(mission_user, "nonsense")


def test_lists_cost_a_constant_number_of_queries(
    rows: list[Observation], operator: User, make_obs: ObsFactory
) -> None:
    def read() -> int:
        with CaptureQueriesContext(connection) as queries:
            for obs in observations_visible_to(operator):
                _ = (obs.observer_post, obs.zone, obs.incident, obs.reporting_party)
            for incident in incidents_visible_to(operator):
                _ = (incident.zone, incident.nearest_settlement, incident.responsible_party)
        return len(queries)

    before = read()
    observations_record_batch(
        actor=operator,
        items=[
            make_obs(lon=46.3 + i / 50, lat=39.5, observed_at="2020-11-20T10:00:00Z")
            for i in range(10)
        ],
    )
    assert read() == before
