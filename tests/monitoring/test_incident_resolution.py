"""An incident's resolution (settled on the ground, referred to the parties): set with a
closing status by reviewers, kept in the ledger, cleared by a re-review, counted by a figure."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.core.api_client import Api, error_of
from tests.monitoring.conftest import Front, ObsFactory
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.monitoring.models import Incident
from truce.monitoring.services import incident_set_status, observation_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(front: Front, operator: User, make_obs: ObsFactory) -> Incident:
    obs = observation_record(
        actor=operator, data=make_obs(type="other", visibility=["side_a"])
    ).observation
    return Incident.objects.get(pk=obs.incident_id)


def _to(incident: Incident, user: User, status: str, **extra: str) -> Incident:
    return incident_set_status(
        actor=user, incident=incident, status=status, expected_version=incident.version, **extra
    )


@pytest.mark.usefixtures("hook_calls")
@pytest.mark.parametrize("status", ["verified", "unconfirmed"])
def test_a_closing_status_records_the_resolution_in_its_ledger_entry(
    incident: Incident, mission_user: User, status: str
) -> None:
    incident = _to(incident, mission_user, "under_review")
    incident = _to(incident, mission_user, status, resolution="settled_on_ground")
    assert Incident.objects.get(pk=incident.pk).resolution == "settled_on_ground"
    entry = LedgerEntry.objects.filter(record_id=str(incident.public_id)).order_by("-seq")[0]
    assert entry.action == "set_status"
    assert json.loads(entry.payload)["resolution"] == "settled_on_ground"
    # A re-review clears it, as it clears a responsible party.
    incident = _to(incident, mission_user, "under_review")
    assert incident.resolution == ""


@pytest.mark.usefixtures("hook_calls")
def test_a_resolution_goes_only_with_verified_or_unconfirmed(
    incident: Incident, mission_user: User, analyst: User, operator: User
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _to(incident, mission_user, "under_review", resolution="settled_on_ground")
    assert caught.value.field == "resolution"
    incident = _to(incident, mission_user, "under_review")
    with pytest.raises(InvalidInput) as caught:
        _to(incident, mission_user, "dismissed", resolution="referred_to_parties")
    assert caught.value.field == "resolution"
    with pytest.raises(InvalidInput) as caught:
        _to(incident, mission_user, "verified", resolution="shrugged")
    assert caught.value.field == "resolution"
    with pytest.raises(PermissionDenied):
        _to(incident, operator, "verified", resolution="referred_to_parties")
    done = _to(incident, analyst, "verified", resolution="referred_to_parties")
    assert done.resolution == "referred_to_parties"


def test_the_api_and_the_form_set_it(
    incident: Incident, mission_user: User, side_a_user: User
) -> None:
    api = Api(mission_user)
    path = f"/monitoring/incidents/{incident.public_id}/status"
    api.post(path, {"status": "under_review", "version": incident.version})
    refused = api.post(
        path, {"status": "dismissed", "version": incident.version + 1, "resolution": "x"}
    )
    assert refused.status_code == 422 and error_of(refused)["field"] == "resolution"
    response = api.post(
        path,
        {
            "status": "verified",
            "version": incident.version + 1,
            "resolution": "settled_on_ground",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["resolution"] == "settled_on_ground"
    got = Api(side_a_user).get(f"/monitoring/incidents/{incident.public_id}").json()
    assert got["resolution"] == "settled_on_ground"

    client = Client()
    client.force_login(mission_user)
    page_url = reverse("monitoring:incident-detail", kwargs={"public_id": incident.public_id})
    status_url = reverse("monitoring:incident-status", kwargs={"public_id": incident.public_id})
    client.post(status_url, {"status": "under_review", "version": incident.version + 2})
    posted = client.post(
        status_url,
        {
            "status": "unconfirmed",
            "version": incident.version + 3,
            "resolution": "settled_on_ground",
        },
    )
    assert posted.status_code == 302
    page = client.get(page_url).content.decode()
    assert 'data-resolution="settled_on_ground"' in page
    assert Incident.objects.get(pk=incident.pk).status == "unconfirmed"


@pytest.mark.usefixtures("hook_calls")
def test_the_figure_counts_the_readers_incidents_of_the_day_settled_on_the_ground(
    front: Front,
    operator: User,
    mission_user: User,
    side_a_user: User,
    side_b_user: User,
    make_obs: ObsFactory,
) -> None:
    def incident_of(**overrides: object) -> Incident:
        data = make_obs(type="other", bearing_deg=0, distance_m=2000, **overrides)
        obs = observation_record(actor=operator, data=data).observation
        return Incident.objects.get(pk=obs.incident_id)

    shared_a = incident_of(visibility=["side_a"])
    shared_b = incident_of(observer_post="op-b", visibility=["side_b"])
    referred = incident_of(observed_at="2020-11-20T11:00:00Z", visibility=["both_sides"])
    other_day = incident_of(observed_at="2020-11-19T08:00:00Z", visibility=["both_sides"])
    for target, resolution in (
        (shared_a, "settled_on_ground"),
        (shared_b, "settled_on_ground"),
        (referred, "referred_to_parties"),
        (other_day, "settled_on_ground"),
    ):
        target = _to(target, mission_user, "under_review")
        _to(target, mission_user, "verified", resolution=resolution)
    day = dt.date(2020, 11, 20)
    mission = figure_value("incidents_settled_on_ground", FigureQuery(mission_user, day))
    assert mission.value == 2
    assert {i.pk for i in mission.records} == {shared_a.pk, shared_b.pk}
    assert mission.breakdown == {"Verified": 2}
    for reader, expected in ((side_a_user, shared_a), (side_b_user, shared_b)):
        value = figure_value("incidents_settled_on_ground", FigureQuery(reader, day))
        assert (value.value, [i.pk for i in value.records]) == (1, [expected.pk])
    earlier = figure_value(
        "incidents_settled_on_ground", FigureQuery(side_b_user, dt.date(2020, 11, 19))
    )
    assert [i.pk for i in earlier.records] == [other_day.pk]
