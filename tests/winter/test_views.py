"""The winter screens: matrix, settlement page, needs, CSV exports, forms."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.core.api_client import write_counts
from tests.winter.conftest import DAY, Winter
from truce.core.models import User
from truce.winter.models import SupplyNeed, UtilityReport

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(response: object) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def test_the_matrix_shows_states_with_their_day(
    winter: Winter, places: Places, admin_user: User
) -> None:
    html = _client(admin_user).get(reverse("winter:readiness"), {"as_of": DAY}).content.decode()
    assert "Winter readiness" in html
    assert 'data-pcode="T-PUB"' in html
    assert "state-out" in html and "10 Nov 2020" in html  # heat out since 10 Nov


def test_a_party_sees_no_state_it_was_not_shown(
    winter: Winter, places: Places, side_b_user: User
) -> None:
    client = _client(side_b_user)
    html = client.get(reverse("winter:readiness"), {"as_of": DAY}).content.decode()
    heat = re.search(r'data-utility="heat">\s*<span class="state state-(\w+)">', html)
    assert heat is not None and heat.group(1) == "unknown"
    rows = _csv(client.get(reverse("winter:readiness"), {"as_of": DAY, "format": "csv"}))
    assert "T-PUB" in rows and ",out," not in rows
    page = client.get(reverse("winter:settlement", args=["T-PUB"])).content.decode()
    assert "Insulin" not in page and "Firewood" not in page
    needs = client.get(reverse("winter:need-list")).content.decode()
    assert "Insulin" not in needs and "Firewood" not in needs
    assert "Insulin" not in _csv(client.get(reverse("winter:need-list"), {"format": "csv"}))
    # A settlement hidden from the party is not found at all.
    assert client.get(reverse("winter:settlement", args=["T-A"])).status_code == 404


def test_the_needs_list_and_its_export(winter: Winter, admin_user: User) -> None:
    client = _client(admin_user)
    html = client.get(reverse("winter:need-list"), {"category": "medicines"}).content.decode()
    assert "Insulin" in html and "Firewood" not in html
    exported = _csv(client.get(reverse("winter:need-list"), {"format": "csv"}))
    assert exported.splitlines()[0].startswith("public_id,pcode,settlement,category")
    assert "Insulin" in exported and "Firewood" in exported


def test_a_report_form_error_is_shown_on_its_field(places: Places, admin_user: User) -> None:
    before = write_counts()
    response = _client(admin_user).post(
        reverse("winter:settlement", args=["T-PUB"]),
        {
            "report-utility": "gas",
            "report-state": "out",
            "report-since": "2020-11-10",
            "report-works_due": "2020-11-01",
        },
    )
    assert response.status_code == 400
    form = response.context["report_form"]
    assert "works_due" in form.errors
    assert write_counts() == before


def test_forms_record_a_report_and_a_need(places: Places, admin_user: User) -> None:
    client = _client(admin_user)
    response = client.post(
        reverse("winter:settlement", args=["T-PUB"]),
        {
            "report-utility": "gas",
            "report-state": "out",
            "report-since": "2020-11-10",
            "report-share_with": ["agencies", "side_b"],
        },
    )
    assert response.status_code == 302
    report = UtilityReport.objects.get()
    assert report.visibility == ["mission", "side_b", "agencies"]
    response = client.post(
        reverse("winter:settlement", args=["T-PUB"]),
        {
            "need-category": "medical_supplies",
            "need-item": "Syringes",
            "need-quantity": "500",
            "need-unit": "pieces",
            "need-priority": "high",
            "need-stated_on": "2020-11-20",
        },
    )
    assert response.status_code == 302
    need = SupplyNeed.objects.get()
    response = client.post(
        reverse("winter:need-status", args=[need.public_id]),
        {"status": "delivered", "version": need.version},
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.status, need.version) == ("delivered", 2)


def test_a_party_may_not_post(places: Places, side_a_user: User, winter: Winter) -> None:
    client = _client(side_a_user)
    response = client.post(
        reverse("winter:settlement", args=["T-PUB"]),
        {"report-utility": "gas", "report-state": "out", "report-since": "2020-11-10"},
    )
    assert response.status_code == 403
    # A need hidden from the party: not found, not forbidden.
    response = client.post(
        reverse("winter:need-status", args=[winter.medical_need.public_id]),
        {"status": "delivered", "version": 1},
    )
    assert response.status_code == 404
