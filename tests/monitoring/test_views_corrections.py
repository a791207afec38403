"""The observation page: its correction and withdrawal forms, refusals by field, its history."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.monitoring.factories_web import World, make_world
from truce.core.models import User
from truce.monitoring.forms import local_input
from truce.monitoring.models import Observation

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, o: Observation) -> str:
    return reverse(f"monitoring:{name}", kwargs={"public_id": o.public_id})


def _form_data(o: Observation, **overrides: object) -> dict[str, object]:
    """The correction form as the page fills it, with the overrides typed in."""
    data: dict[str, object] = {
        "observed_at": local_input(o.observed_at),
        "type": o.type,
        "count": o.count,
        "weapon_type": o.weapon_type,
        "bearing_deg": "" if o.bearing_deg is None else o.bearing_deg,
        "distance_m": "" if o.distance_m is None else o.distance_m,
        "direction_of_fire": o.direction_of_fire,
        "direction_place": o.direction_place,
        "killed_military": o.killed_military,
        "killed_civilian": o.killed_civilian,
        "injured_military": o.injured_military,
        "injured_civilian": o.injured_civilian,
        "lat": "",
        "lon": "",
        "text": o.text,
        "reason": "recounted",
        "version": o.version,
    }
    data.update(overrides)
    return data


def test_the_page_offers_the_forms_to_whoever_may_correct(
    world: World, mission_user: User, side_a_user: User, side_b_user: User
) -> None:
    o = world.shared_a
    page = _client(mission_user).get(_url("observation-detail", o))
    assert page.status_code == 200
    html = page.content.decode()
    assert _url("observation-correct", o) in html and _url("observation-withdraw", o) in html
    assert 'for="id_reason"' in html  # every field has its label, for keyboard and reader
    # Side A sees the mission's report shared with it, without the forms.
    seen = _client(side_a_user).get(_url("observation-detail", o))
    assert seen.status_code == 200 and not seen.context["can_correct"]
    assert _url("observation-correct", o) not in seen.content.decode()
    assert _client(side_b_user).get(_url("observation-detail", o)).status_code == 404


def test_the_incident_page_links_each_observation(world: World, mission_user: User) -> None:
    incident = world.mission_incident
    page = _client(mission_user).get(
        reverse("monitoring:incident-detail", kwargs={"public_id": incident.public_id})
    )
    assert _url("observation-detail", world.mission_a) in page.content.decode()


def test_a_correction_sends_only_what_changed(world: World, mission_user: User) -> None:
    o = world.mission_a
    client = _client(mission_user)
    response = client.post(_url("observation-correct", o), _form_data(o, count=5))
    assert response.status_code == 302
    assert response["Location"] == _url("observation-detail", o)
    fresh = Observation.objects.get(pk=o.pk)
    assert (fresh.count, fresh.version, fresh.observed_at) == (5, 2, o.observed_at)
    history = client.get(_url("observation-history", o))
    rows = history.context["versions"]
    assert [r["action"] for r in rows] == ["correct", "create"]
    assert rows[0]["changes"] == [("Count", str(o.count), "5")]
    assert "recounted" in history.content.decode()


def test_refusals_are_shown_on_the_field_they_name(world: World, mission_user: User) -> None:
    o = world.mission_a
    client = _client(mission_user)
    bad = client.post(_url("observation-correct", o), _form_data(o, bearing_deg=400))
    assert bad.status_code == 422
    assert "bearing_deg" in bad.context["correct_form"].errors
    assert 'id="id_bearing_deg_error"' in bad.content.decode()
    unchanged = client.post(_url("observation-correct", o), _form_data(o))
    assert unchanged.status_code == 422
    assert unchanged.context["correct_form"].non_field_errors()
    stale = client.post(_url("observation-correct", o), _form_data(o, count=9, version=7))
    assert stale.status_code == 409
    assert "Someone changed this observation" in stale.content.decode()
    assert Observation.objects.get(pk=o.pk).version == 1


def test_withdrawing_needs_a_reason_and_a_confirmation(world: World, mission_user: User) -> None:
    o = world.mission_previous
    client = _client(mission_user)
    unconfirmed = client.post(
        _url("observation-withdraw", o), {"reason": "duplicate", "version": o.version}
    )
    assert unconfirmed.status_code == 422
    assert "confirm" in unconfirmed.context["withdraw_form"].errors
    done = client.post(
        _url("observation-withdraw", o),
        {"reason": "duplicate", "confirm": "on", "version": o.version},
    )
    assert done.status_code == 302 and done["Location"] == _url("observation-history", o)
    assert Observation.objects.get(pk=o.pk).is_deleted
    assert client.get(_url("observation-detail", o)).status_code == 404
    history = client.get(_url("observation-history", o))
    assert history.status_code == 200
    assert [r["action"] for r in history.context["versions"]] == ["withdraw", "create"]
    assert "was withdrawn" in history.content.decode()


def test_another_party_gets_a_404_for_every_action(
    world: World, side_a_user: User, side_b_user: User
) -> None:
    for user, o in ((side_a_user, world.shared_a), (side_b_user, world.mission_a)):
        client = _client(user)
        assert client.post(_url("observation-correct", o), _form_data(o, count=9)).status_code == (
            404
        )
        withdraw = {"reason": "x", "confirm": "on", "version": o.version}
        assert client.post(_url("observation-withdraw", o), withdraw).status_code == 404
        fresh = Observation.objects.get(pk=o.pk)
        assert fresh.version == 1 and not fresh.is_deleted
    assert _client(side_b_user).get(_url("observation-history", world.mission_a)).status_code == (
        404
    )
