"""The funding API and screens: party filtering, 404 for hidden rows, forms, CSV, chart."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.core.api_client import Api, error_of, ids
from tests.funding.conftest import DAY, Funding
from truce.core.models import User
from truce.funding.models import Flow

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(response: object) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def test_the_api_lists_only_what_the_party_may_see(
    funding: Funding, admin_user: User, agency_user: User, side_a_user: User
) -> None:
    assert len(ids(Api(admin_user).get("/funding/flows/").json())) == 3
    assert ids(Api(agency_user).get("/funding/flows/").json()) == {
        str(funding.usd_flow.public_id),
        str(funding.eur_flow.public_id),
    }
    assert ids(Api(side_a_user).get("/funding/flows/").json()) == set()
    hidden = funding.usd_flow.public_id
    api = Api(side_a_user)
    for path in (f"/funding/flows/{hidden}", f"/funding/flows/{hidden}/status"):
        assert api.get(path).status_code == 404
    assert api.get(f"/funding/requirements/{funding.requirement.public_id}").status_code == 404
    cover = api.get("/funding/coverage", as_of=DAY.isoformat()).json()
    assert cover["total"]["flows"] == [] and cover["total"]["funded"]["by_currency"] == {}


def test_the_api_records_a_flow_and_refuses_bad_input(funding: Funding, admin_user: User) -> None:
    api = Api(admin_user)
    body = {
        "donor": "donor-x",
        "recipient": "agency-y",
        "amount": "1000",
        "currency": "usd",
        "sector": "health",
        "flow_date": DAY.isoformat(),
    }
    made = api.post("/funding/flows/", body)
    assert made.status_code == 201 and made.json()["currency"] == "USD"
    bad = api.post("/funding/flows/", {**body, "currency": "XXQ"})
    assert bad.status_code == 422 and error_of(bad)["field"] == "currency"
    flow_id = made.json()["id"]
    moved = api.post(
        f"/funding/flows/{flow_id}/status",
        {"expected_version": 1, "status": "committed", "on": DAY.isoformat()},
    )
    assert moved.status_code == 200 and moved.json()["status"] == "committed"
    back = api.post(
        f"/funding/flows/{flow_id}/status",
        {"expected_version": 2, "status": "pledged", "on": DAY.isoformat()},
    )
    assert back.status_code == 422 and error_of(back)["field"] == "reason"


def test_coverage_endpoint_names_the_rate(funding: Funding, admin_user: User) -> None:
    api = Api(admin_user)
    rate = api.post(
        "/funding/rates/",
        {"currency": "EUR", "reporting_currency": "USD", "rate": "1.1", "as_of": "2020-11-01"},
    )
    assert rate.status_code == 201
    cover = api.get("/funding/coverage", as_of=DAY.isoformat(), reporting_currency="USD").json()
    assert cover["rates_used"][0]["rate"].startswith("1.1")
    shelter = next(s for s in cover["sectors"] if s["sector"] == "shelter")
    assert shelter["funded"]["converted"] == "410000.00"


def test_the_overview_table_and_chart(funding: Funding, admin_user: User) -> None:
    html = _client(admin_user).get(reverse("funding:overview"), {"as_of": DAY}).content.decode()
    assert "Shelter and housing" in html and "<svg" in html
    assert "1000000 USD" in html and "Request without an amount" in html


def test_screens_hide_what_the_party_may_not_see(funding: Funding, side_a_user: User) -> None:
    client = _client(side_a_user)
    html = client.get(reverse("funding:flow-list")).content.decode()
    assert "300000" not in html
    assert "donor-x" not in _csv(client.get(reverse("funding:flow-list"), {"format": "csv"}))
    detail = client.get(reverse("funding:flow", args=[funding.usd_flow.public_id]))
    assert detail.status_code == 404
    overview = client.get(reverse("funding:overview"), {"as_of": DAY}).content.decode()
    assert "1000000" not in overview and "300000" not in overview


def test_the_flow_form_and_the_status_form(funding: Funding, admin_user: User) -> None:
    client = _client(admin_user)
    assert client.get(reverse("funding:flow-new")).status_code == 200
    bad = client.post(
        reverse("funding:flow-new"),
        {
            "donor": "donor-x",
            "recipient": "agency-y",
            "amount": "500",
            "currency": "ZZZ",
            "sector": "food",
            "status": "pledged",
            "flow_date": DAY.isoformat(),
        },
    )
    assert bad.status_code == 400 and "unknown currency" in bad.content.decode()
    assert not Flow.objects.filter(sector="food").exists()
    good = client.post(
        reverse("funding:flow-new"),
        {
            "donor": "donor-x",
            "recipient": "agency-y",
            "amount": "500",
            "currency": "EUR",
            "sector": "food",
            "status": "pledged",
            "flow_date": DAY.isoformat(),
            "share_with": ["agencies"],
        },
    )
    flow = Flow.objects.get(sector="food")
    assert good.status_code == 302
    url = reverse("funding:flow", args=[flow.public_id])
    moved = client.post(
        url, {"version": 1, "status": "paid", "on": (DAY + dt.timedelta(days=1)).isoformat()}
    )
    assert moved.status_code == 302
    flow.refresh_from_db()
    assert flow.status == "paid"
    page = client.get(url).content.decode()
    assert "Status history" in page and "Paid" in page
    csv = _csv(client.get(reverse("funding:flow-list"), {"sector": "food", "format": "csv"}))
    assert "EUR,paid,food" in csv


def test_a_side_cannot_use_the_forms(funding: Funding, side_a_user: User) -> None:
    assert _client(side_a_user).get(reverse("funding:flow-new")).status_code == 403


def test_the_screens_render_in_russian(
    funding: Funding, admin_user: User, request: pytest.FixtureRequest
) -> None:
    client = _client(admin_user)
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    request.addfinalizer(translation.deactivate)
    assert (
        "Потребность и покрытие по секторам"
        in client.get(reverse("funding:overview")).content.decode()
    )
    assert "Поступления средств" in client.get(reverse("funding:flow-list")).content.decode()
    assert (
        "Рейсы воздушного моста" in client.get(reverse("deployment:flight-list")).content.decode()
    )
