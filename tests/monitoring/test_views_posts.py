"""OP pages: the last check-in, how old it is, and the check-in button."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from truce.core.models import User
from truce.monitoring.models import CheckIn

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_post_never_checked_in_is_flagged(places: Places, mission_user: User) -> None:
    response = _client(mission_user).get(reverse("monitoring:post-list"))
    row = next(r for r in response.context["rows"] if r["post"] == "op-n1")
    assert row["checked_in_at"] is None and row["overdue"] is True
    assert 'class="row-overdue"' in response.content.decode()


def test_checking_in_twice_with_one_form_records_once(places: Places, mission_user: User) -> None:
    client = _client(mission_user)
    page = client.get(reverse("monitoring:post-detail", kwargs={"code": "op-n1"}))
    key = str(page.context["check_in_form"].initial["client_uuid"])
    url = reverse("monitoring:post-check-in", kwargs={"code": "op-n1"})
    data = {"client_uuid": key, "status": "normal", "note": ""}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert CheckIn.objects.filter(client_uuid=key).count() == 1

    after = client.get(reverse("monitoring:post-detail", kwargs={"code": "op-n1"}))
    assert after.context["check_in"]["overdue"] is False
    listing = client.get(reverse("monitoring:post-list"))
    row = next(r for r in listing.context["rows"] if r["post"] == "op-n1")
    assert row["overdue"] is False and row["status"] == "normal"


def test_a_bad_check_in_is_shown_on_its_field(places: Places, mission_user: User) -> None:
    url = reverse("monitoring:post-check-in", kwargs={"code": "op-n1"})
    response = _client(mission_user).post(
        url,
        {
            "client_uuid": "c9bf9e57-1685-4c89-bafb-ff5af830be8a",
            "status": "normal",
            "note": "x" * 501,
        },
    )
    assert response.status_code == 422
    assert "note" in response.context["check_in_form"].errors
    assert 'id="id_note_error"' in response.content.decode()
    assert not CheckIn.objects.exists()


def test_parties_get_no_check_in_button_and_no_hidden_post(
    places: Places, side_a_user: User
) -> None:
    client = _client(side_a_user)
    assert (
        client.get(reverse("monitoring:post-detail", kwargs={"code": "op-n1"})).status_code == 404
    )
    url = reverse("monitoring:post-check-in", kwargs={"code": "op-n1"})
    assert (
        client.post(url, {"client_uuid": "c9bf9e57-1685-4c89-bafb-ff5af830be8a"}).status_code == 404
    )
    assert not CheckIn.objects.exists()
