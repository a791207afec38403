"""The monitoring admin: observations are read-only; an incident changes through the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.monitoring.factories_web import World, make_world
from truce.core.models import User
from truce.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_observations_are_listed_but_not_editable(admin_client: Client, world: World) -> None:
    listing = admin_client.get(reverse("admin:monitoring_observation_changelist"))
    assert listing.status_code == 200
    page = admin_client.get(
        reverse("admin:monitoring_observation_change", args=[world.mission_a.pk])
    )
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:monitoring_observation_add")).status_code == 403


def test_an_incident_status_change_goes_through_the_service(
    admin_client: Client, world: World
) -> None:
    incident = world.mission_incident
    url = reverse("admin:monitoring_incident_change", args=[incident.pk])
    assert admin_client.get(url).status_code == 200
    before = LedgerEntry.objects.count()
    response = admin_client.post(
        url,
        {
            "status": "under_review",
            "responsible_party": "",
            "new_note": "checked in the admin",
            "expected_version": incident.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.status == "under_review"
    assert "checked in the admin" in incident.notes
    assert LedgerEntry.objects.count() == before + 2

    stale = admin_client.post(
        url,
        {"status": "dismissed", "responsible_party": "", "expected_version": 1},
    )
    assert stale.status_code == 200
    assert "reload it" in stale.content.decode()
    incident.refresh_from_db()
    assert incident.status == "under_review"


def test_the_monitoring_admin_is_closed_to_others(world: World, mission_user: User) -> None:
    client = Client()
    client.force_login(mission_user)
    response = client.get(reverse("admin:monitoring_observation_changelist"))
    assert response.status_code == 302
