"""The incident page's verification forms call the services and show refusals by field."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.monitoring.factories_web import World, make_world
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.monitoring.models import Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(places: Places, mission_user: User) -> World:
    return make_world(places, mission_user)


@pytest.fixture
def duty(mission_user: User) -> Client:
    client = Client()
    client.force_login(mission_user)
    return client


def _url(name: str, incident: Incident) -> str:
    return reverse(f"monitoring:{name}", kwargs={"public_id": incident.public_id})


def test_a_status_change_is_written_through_the_service(duty: Client, world: World) -> None:
    incident = world.mission_incident
    before = LedgerEntry.objects.count()
    response = duty.post(
        _url("incident-status", incident),
        {"status": "under_review", "version": incident.version, "notes": "checking"},
    )
    assert response.status_code == 302
    assert response["Location"] == _url("incident-detail", incident)
    incident.refresh_from_db()
    assert incident.status == "under_review"
    assert LedgerEntry.objects.count() > before
    page = duty.get(_url("incident-detail", incident)).content.decode()
    assert "Status set to" in page


def test_a_refusal_is_shown_on_the_field_it_names(duty: Client, world: World) -> None:
    incident = world.mission_incident
    response = duty.post(
        _url("incident-status", incident),
        {"status": "under_review", "version": incident.version, "responsible_party": "side-a"},
    )
    assert response.status_code == 422
    form = response.context["status_form"]
    assert "responsible_party" in form.errors
    assert 'id="id_responsible_party_error"' in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_a_stale_version_asks_to_reload(duty: Client, world: World) -> None:
    incident = world.mission_incident
    stale = incident.version
    assert (
        duty.post(
            _url("incident-status", incident), {"status": "under_review", "version": stale}
        ).status_code
        == 302
    )
    response = duty.post(
        _url("incident-status", incident), {"status": "dismissed", "version": stale}
    )
    assert response.status_code == 409
    errors = response.context["status_form"].non_field_errors()
    assert errors and "meanwhile" in errors[0]


def test_verification_names_the_responsible_party(duty: Client, world: World) -> None:
    incident = world.mission_incident
    review = duty.post(
        _url("incident-status", incident), {"status": "under_review", "version": incident.version}
    )
    assert review.status_code == 302
    incident.refresh_from_db()
    response = duty.post(
        _url("incident-status", incident),
        {"status": "verified", "version": incident.version, "responsible_party": "side-b"},
    )
    assert response.status_code == 302
    page = duty.get(_url("incident-detail", incident))
    assert page.context["responsible_party"] == "Side B"


def test_a_note_merge_and_split(duty: Client, world: World) -> None:
    keep, other = world.mission_incident, world.shared_incident
    note = duty.post(_url("incident-note", keep), {"text": "crater found", "version": keep.version})
    assert note.status_code == 302
    keep.refresh_from_db()
    assert "crater found" in keep.notes

    merge = duty.post(_url("incident-merge", keep), {"others": [str(other.public_id)]})
    assert merge.status_code == 302, merge.content
    world.shared_a.refresh_from_db()
    assert world.shared_a.incident_id == keep.pk

    split = duty.post(
        _url("incident-split", keep), {"observations": [str(world.shared_a.public_id)]}
    )
    assert split.status_code == 302
    world.shared_a.refresh_from_db()
    assert world.shared_a.incident_id != keep.pk


def test_an_empty_note_is_refused_on_its_field(duty: Client, world: World) -> None:
    incident = world.mission_incident
    response = duty.post(_url("incident-note", incident), {"text": "", "version": incident.version})
    assert response.status_code == 422
    assert "text" in response.context["note_form"].errors
