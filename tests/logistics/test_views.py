"""The logistics screens: what each party sees, the movement forms, the CSV downloads."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.logistics.conftest import WHEN, Depot
from truce.core.models import User
from truce.logistics import services
from truce.logistics.models import StockMovement

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def stocked(depot: Depot) -> Depot:
    services.stock_receive(
        actor=None,
        warehouse="wh-a",
        item="cement",
        quantity=40,
        occurred_at=WHEN,
        reference="waybill-7",
    )
    services.consignment_create(
        actor=None,
        fields={"reference": "c-1", "origin": "wh-a", "owner": "hrc", "prepared_on": "2020-11-20"},
        lines=[{"item": "cement", "quantity": 20}],
    )
    services.request_create(
        actor=None,
        fields={
            "requested_by": "hrc",
            "item": "flour",
            "quantity": 9,
            "requested_on": "2020-11-20",
        },
    )
    return depot


def test_screens_render_for_the_agencies(stocked: Depot, agency_user: User) -> None:
    client = client_for(agency_user)
    pages = {
        "/logistics/": "Agency warehouse",
        "/logistics/warehouses/wh-a/": "Cement",
        "/logistics/warehouses/wh-a/items/cement/": "waybill-7",
        "/logistics/items/": "Flour",
        "/logistics/items/cement/": "Agency warehouse",
        "/logistics/requests/": "Flour",
        "/logistics/consignments/": "c-1",
        "/logistics/consignments/c-1/": "20000",
    }
    for path, text in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.content.decode(), path


def test_another_party_sees_nothing(stocked: Depot, side_a_user: User) -> None:
    client = client_for(side_a_user)
    for path in (
        "/logistics/warehouses/wh-a/",
        "/logistics/warehouses/wh-a/items/cement/",
        "/logistics/items/cement/",
        "/logistics/consignments/c-1/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        "/logistics/",
        "/logistics/consignments/",
        "/logistics/requests/",
        "/logistics/items/",
    ):
        body = client.get(path).content.decode()
        assert "Agency warehouse" not in body and "c-1" not in body and "Flour" not in body
    for path in (
        "/logistics/?format=csv",
        "/logistics/consignments/?format=csv",
        "/logistics/requests/?format=csv",
        "/logistics/pledges.csv",
        "/logistics/items/?format=csv",
    ):
        lines = b"".join(client.get(path).streaming_content).decode().strip().splitlines()
        assert len(lines) == 1, path  # the header only


def test_csv_downloads(stocked: Depot, agency_user: User) -> None:
    client = client_for(agency_user)
    card = b"".join(
        client.get("/logistics/warehouses/wh-a/items/cement/?format=csv").streaming_content
    ).decode()
    assert "waybill-7" in card and "received" in card
    lines = b"".join(client.get("/logistics/consignments/?format=csv").streaming_content)
    assert b"c-1" in lines


def test_movement_forms_record_and_refuse(stocked: Depot, agency_writer: User) -> None:
    client = client_for(agency_writer)
    base = {
        "item": "cement",
        "occurred_at": "2020-11-21T10:00",
        "reference": "",
        "note": "",
        "source": "",
    }
    done = client.post(
        "/logistics/warehouses/wh-a/", {**base, "operation": "dispatch", "quantity": "15"}
    )
    assert done.status_code == 302
    refused = client.post(
        "/logistics/warehouses/wh-a/", {**base, "operation": "dispatch", "quantity": "26"}
    )
    assert refused.status_code == 400
    assert "holds 25" in refused.content.decode()
    counted = client.post(
        "/logistics/warehouses/wh-a/",
        {**base, "operation": "counted", "quantity": "24", "note": "count"},
    )
    assert counted.status_code == 302
    assert [m.reason for m in StockMovement.objects.order_by("id")] == [
        "received",
        "dispatched",
        "counted",
    ]


def test_a_reader_cannot_post(stocked: Depot, side_b_user: User) -> None:
    client = client_for(side_b_user)
    response = client.post("/logistics/warehouses/wh-b/", {"operation": "receive"})
    assert response.status_code == 403
