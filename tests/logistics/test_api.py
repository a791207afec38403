"""The logistics API: every list and detail filtered by party; writes through the services."""

from __future__ import annotations

import pytest

from tests.core.api_client import Api, error_of, ids
from tests.logistics.conftest import WHEN, Depot
from truce.core.models import User
from truce.logistics import services
from truce.logistics.models import StockMovement

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(depot: Depot) -> Depot:
    services.stock_receive(
        actor=None, warehouse="wh-a", item="cement", quantity=50, occurred_at=WHEN
    )
    services.stock_receive(
        actor=None, warehouse="wh-b", item="cement", quantity=5, occurred_at=WHEN
    )
    consignment = services.consignment_create(
        actor=None,
        fields={"reference": "c-1", "origin": "wh-a", "owner": "hrc", "prepared_on": "2020-11-20"},
        lines=[{"item": "cement", "quantity": 20}, {"item": "flour", "quantity": 500}],
    )
    request = services.request_create(
        actor=None,
        fields={
            "requested_by": "hrc",
            "item": "flour",
            "quantity": 100,
            "requested_on": "2020-11-20",
        },
    )
    services.pledge_create(
        actor=None,
        fields={
            "donor": "hrc",
            "item": "flour",
            "quantity": 100,
            "pledged_on": "2020-11-20",
            "request": str(request.public_id),
            "value": 50,
            "currency": "usd",
        },
    )
    services.stated_total_create(
        actor=None,
        fields={
            "code": "s1",
            "what": "cargo",
            "quantity": 1500000,
            "unit": "t",
            "qualifier": "over",
            "as_of": "2021-01-11",
            "source": "briefing",
        },
        visibility=["agencies"],
    )
    assert consignment.reference == "c-1"
    return depot


LISTS = (
    "/logistics/items/",
    "/logistics/movements/",
    "/logistics/requests/",
    "/logistics/pledges/",
    "/logistics/consignments/",
)


def test_agencies_see_their_share_and_side_a_sees_nothing(
    stocked: Depot, agency_user: User, side_a_user: User
) -> None:
    agency, side_a = Api(agency_user), Api(side_a_user)
    for path in LISTS:
        assert ids(agency.get(path).json()), path
        assert ids(side_a.get(path).json()) == set(), path
    assert side_a.get("/logistics/warehouses/").json() == []
    assert side_a.get("/logistics/stated-totals/").json() == []
    (wh,) = agency.get("/logistics/warehouses/").json()
    assert wh["code"] == "wh-a" and float(wh["free_t"]) == 450
    consignment = agency.get("/logistics/consignments/").json()["items"][0]
    assert float(consignment["weight_kg"]) == 20500
    assert len(consignment["lines"]) == 2


def test_details_are_404_for_another_party(stocked: Depot, side_a_user: User, agency_user: User):
    agency, side_a = Api(agency_user), Api(side_a_user)
    consignment = agency.get("/logistics/consignments/").json()["items"][0]["id"]
    request = agency.get("/logistics/requests/").json()["items"][0]["id"]
    pledge = agency.get("/logistics/pledges/").json()["items"][0]["id"]
    movement = agency.get("/logistics/movements/").json()["items"][0]["id"]
    for path in (
        f"/logistics/consignments/{consignment}",
        f"/logistics/requests/{request}",
        f"/logistics/pledges/{pledge}",
        f"/logistics/movements/{movement}",
        "/logistics/items/cement",
        "/logistics/warehouses/wh-a",
        "/logistics/warehouses/wh-a/items/cement/card",
        "/logistics/stated-totals/s1",
    ):
        assert agency.get(path).status_code == 200, path
        assert side_a.get(path).status_code == 404, path
    assert side_a.get("/logistics/running-totals").json()["reasons"] == {}


def test_stock_card_pages_with_running_balance(stocked: Depot, admin_user: User) -> None:
    api = Api(admin_user)
    for _ in range(3):
        assert (
            api.post(
                "/logistics/movements/dispatch",
                {
                    "warehouse": "wh-a",
                    "item": "cement",
                    "quantity": "5",
                    "occurred_at": WHEN.isoformat(),
                    "reference": "convoy-x",
                },
            ).status_code
            == 201
        )
    card = api.get("/logistics/warehouses/wh-a/items/cement/card", limit=2).json()
    assert [float(m["balance_after"]) for m in card["movements"]] == [35, 40]
    older = api.get(
        "/logistics/warehouses/wh-a/items/cement/card", limit=2, before=card["next_before"]
    ).json()
    assert [float(m["balance_after"]) for m in older["movements"]] == [45, 50]
    totals = api.get("/logistics/running-totals", item="cement", warehouse="wh-a").json()
    assert float(totals["net"]) == 35


def test_bad_dispatch_is_422_naming_the_field(stocked: Depot, admin_user: User) -> None:
    api = Api(admin_user)
    before = StockMovement.objects.count()
    too_much = api.post(
        "/logistics/movements/dispatch",
        {
            "warehouse": "wh-a",
            "item": "cement",
            "quantity": "51",
            "occurred_at": WHEN.isoformat(),
        },
    )
    assert too_much.status_code == 422
    assert error_of(too_much)["field"] == "quantity"
    unknown = api.post(
        "/logistics/movements/receive",
        {
            "warehouse": "wh-a",
            "item": "gold",
            "quantity": "1",
            "occurred_at": WHEN.isoformat(),
        },
    )
    assert error_of(unknown)["field"] == "item"
    negative = api.post(
        "/logistics/movements/adjust",
        {
            "warehouse": "wh-a",
            "item": "cement",
            "quantity": "-1",
            "reason": "lost",
            "occurred_at": WHEN.isoformat(),
        },
    )
    assert error_of(negative)["field"] == "quantity"
    assert StockMovement.objects.count() == before


def test_consignment_created_through_the_api(stocked: Depot, agency_writer: User) -> None:
    api = Api(agency_writer)
    made = api.post(
        "/logistics/consignments/",
        {
            "reference": "c-2",
            "origin": "wh-a",
            "owner": "hrc",
            "prepared_on": "2020-11-21",
            "lines": [{"item": "cement", "quantity": "1", "value": "90", "currency": "EUR"}],
        },
    )
    assert made.status_code == 201, made.content
    assert float(made.json()["weight_kg"]) == 1000
    bad = api.post(
        "/logistics/consignments/",
        {
            "reference": "c-3",
            "origin": "wh-a",
            "owner": "hrc",
            "prepared_on": "2020-11-21",
            "lines": [
                {"item": "cement", "quantity": "1"},
                {"item": "cement", "quantity": "1", "unit": "pieces"},
            ],
        },
    )
    assert error_of(bad)["field"] == "unit"
    assert api.get("/logistics/consignments/").json()["items"][-1]["reference"] != "c-3"


def test_consignment_status_moves_and_is_hidden_from_others(
    stocked: Depot, agency_writer: User, side_a_user: User
) -> None:
    api = Api(agency_writer)
    made = api.get("/logistics/consignments/").json()["items"][0]
    moved = api.post(f"/logistics/consignments/{made['id']}/status", {"status": "sent"})
    assert moved.status_code == 200 and moved.json()["status"] == "sent"
    bad = api.post(f"/logistics/consignments/{made['id']}/status", {"status": "lost"})
    assert error_of(bad)["field"] == "status"
    hidden = Api(side_a_user).post(
        f"/logistics/consignments/{made['id']}/status", {"status": "received"}
    )
    assert hidden.status_code == 404
