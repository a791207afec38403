"""The phone observation form without JavaScript: a plain POST, idempotent on its UUID."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from truce.core.models import User
from truce.monitoring.models import Observation

pytestmark = pytest.mark.django_db


@pytest.fixture
def mission_client(places: Places, mission_user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(mission_user)
    return client


def _form(client: Client, **overrides: str) -> dict[str, str]:
    page = client.get(reverse("monitoring:observe"))
    token = page.context["csrf_token"]
    data = {
        "csrfmiddlewaretoken": str(token),
        "client_uuid": str(page.context["form"].initial["client_uuid"]),
        "observer_kind": "op",
        "observer_post": "op-n1",
        # Mission time (Baku, UTC+4): 10:00 UTC.
        "observed_at": "2020-11-20T14:00",
        "type": "muzzle_flash",
        "count": "3",
        "bearing_deg": "45",
        "distance_m": "1500",
        "killed_military": "0",
        "killed_civilian": "0",
        "injured_military": "0",
        "injured_civilian": "0",
        "text": "flashes to the north-east",
    }
    data.update(overrides)
    return data


def test_a_form_post_records_once_however_often_it_is_sent(mission_client: Client) -> None:
    data = _form(mission_client)
    first = mission_client.post(reverse("monitoring:observe"), data)
    assert first.status_code == 302
    assert first["Location"] == reverse("monitoring:observe")
    again = mission_client.post(reverse("monitoring:observe"), data)
    assert again.status_code == 302
    rows = Observation.objects.filter(client_uuid=data["client_uuid"])
    assert rows.count() == 1
    observation = rows.get()
    assert observation.observed_at.isoformat() == "2020-11-20T10:00:00+00:00"
    assert observation.count == 3 and observation.type == "muzzle_flash"
    assert observation.observer_post is not None and observation.observer_post.code == "op-n1"
    messages = [str(m) for m in again.wsgi_request._messages]  # type: ignore[attr-defined]
    assert any("already" in m for m in messages)


def test_the_js_path_and_the_form_path_agree_on_a_uuid(mission_client: Client) -> None:
    """The script sends JSON to the API with the form's UUID; a later form post is a resend."""
    data = _form(mission_client)
    api = mission_client.post(
        "/api/v1/monitoring/observations",
        {
            "client_uuid": data["client_uuid"],
            "observer_kind": "op",
            "observer_post": "op-n1",
            "observed_at": "2020-11-20T10:00:00Z",
            "type": "muzzle_flash",
            "count": 3,
            "bearing_deg": 45,
            "distance_m": 1500,
            "text": "flashes to the north-east",
        },
        content_type="application/json",
        headers={"X-CSRFToken": data["csrfmiddlewaretoken"]},
    )
    assert api.status_code == 201, api.content
    form = mission_client.post(reverse("monitoring:observe"), data)
    assert form.status_code == 302
    assert Observation.objects.filter(client_uuid=data["client_uuid"]).count() == 1


def test_a_refused_observation_is_shown_on_its_field(mission_client: Client) -> None:
    data = _form(mission_client, bearing_deg="400")
    response = mission_client.post(reverse("monitoring:observe"), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert "bearing_deg" in form.errors
    assert 'id="id_bearing_deg_error"' in response.content.decode()
    # The same UUID stays in the form, so fixing the field and resending is one observation.
    assert f'value="{data["client_uuid"]}"' in response.content.decode()
    assert not Observation.objects.exists()


def test_a_reused_uuid_with_other_content_gets_a_new_uuid(mission_client: Client) -> None:
    data = _form(mission_client)
    assert mission_client.post(reverse("monitoring:observe"), data).status_code == 302
    changed = {**data, "count": "9"}
    response = mission_client.post(reverse("monitoring:observe"), changed)
    assert response.status_code == 409
    new_uuid = response.context["form"]["client_uuid"].value()
    assert new_uuid != data["client_uuid"]
    uuid.UUID(str(new_uuid))
    assert response.context["form"].non_field_errors()


def test_the_form_needs_the_csrf_token(mission_client: Client) -> None:
    data = _form(mission_client)
    del data["csrfmiddlewaretoken"]
    assert mission_client.post(reverse("monitoring:observe"), data).status_code == 403
    assert not Observation.objects.exists()
