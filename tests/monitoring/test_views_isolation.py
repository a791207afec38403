"""A side user sees on the monitoring screens only what is shared with their party."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.monitoring.factories_web import World, make_world
from truce.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_side_a_sees_the_shared_incident_only(world: World, side_a_user: User) -> None:
    client = _client(side_a_user)
    listing = client.get(reverse("monitoring:incident-list") + "?window=").content.decode()
    assert world.shared_incident.reference in listing
    assert world.mission_incident.reference not in listing

    shared = client.get(
        reverse("monitoring:incident-detail", kwargs={"public_id": world.shared_incident.public_id})
    )
    assert shared.status_code == 200
    html = shared.content.decode()
    assert "OP North 1" not in html, "the mission-only OP is not named"
    assert "Northern zone" not in html
    assert shared.context["can_verify"] is False
    assert "/status/" not in html

    hidden = world.mission_incident.public_id
    assert (
        client.get(reverse("monitoring:incident-detail", kwargs={"public_id": hidden})).status_code
        == 404
    )


def test_side_b_gets_404s_and_empty_pages(world: World, side_b_user: User) -> None:
    client = _client(side_b_user)
    for incident in (world.shared_incident, world.mission_incident):
        url = reverse("monitoring:incident-detail", kwargs={"public_id": incident.public_id})
        assert client.get(url).status_code == 404
    listing = client.get(reverse("monitoring:incident-list") + "?window=").content.decode()
    assert world.shared_incident.reference not in listing
    assert (
        client.get(reverse("monitoring:post-detail", kwargs={"code": "op-n1"})).status_code == 404
    )
    posts = client.get(reverse("monitoring:post-list")).content.decode()
    assert "op-n1" not in posts
    counts = client.get(reverse("monitoring:counts") + "?window=2020-11-20")
    assert all(t["total"]["observations"] == 0 for t in counts.context["tables"])


def test_verification_posts_by_a_party_change_nothing(
    world: World, side_a_user: User, side_b_user: User
) -> None:
    incident = world.shared_incident
    url = reverse("monitoring:incident-status", kwargs={"public_id": incident.public_id})
    data = {"status": "verified", "version": incident.version}
    refused = _client(side_a_user).post(url, data)
    assert refused.status_code == 403
    assert _client(side_b_user).post(url, data).status_code == 404
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_the_observe_form_offers_only_visible_posts(world: World, side_a_user: User) -> None:
    response = _client(side_a_user).get(reverse("monitoring:observe"))
    choices = [value for value, _label in response.context["form"].fields["observer_post"].choices]
    assert "op-n1" not in choices
