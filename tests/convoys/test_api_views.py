"""The convoys API and screens: another party sees nothing, drivers are redacted, writes work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.conftest import PASSWORD, Places
from tests.convoys.conftest import LEFT, World
from tests.core.api_client import Api, error_of
from truce.convoys import services
from truce.core.models import User

pytestmark = pytest.mark.django_db


def _deliver(world: World, places: Places) -> str:
    services.convoy_status_change(
        actor=None, convoy=world.convoy, status="in_transit", occurred_at=LEFT
    )
    services.position_report(actor=None, convoy=world.convoy, lon=46.1, lat=39.5, reported_at=LEFT)
    delivery = services.delivery_record(
        actor=None,
        fields={
            "item": "cement",
            "quantity": 10,
            "delivered_on": "2020-11-22",
            "settlement": places.public_settlement.pcode,
            "convoy": "cv-1",
        },
    )
    return str(delivery.public_id)


def test_another_party_sees_nothing_in_the_api(
    world: World, places: Places, side_a_user: User
) -> None:
    delivery = _deliver(world, places)
    api = Api(side_a_user)
    assert api.get("/convoys/convoys/").json()["items"] == []
    assert api.get("/convoys/convoys/cv-1").status_code == 404
    assert api.get("/convoys/convoys/cv-1/lorries").status_code == 404
    assert api.get("/convoys/convoys/cv-1/positions").status_code == 404
    assert api.get("/convoys/convoys/cv-1/events").status_code == 404
    assert api.get("/convoys/convoys/cv-1/loads").status_code == 404
    assert api.get("/convoys/deliveries/").json()["items"] == []
    assert api.get(f"/convoys/deliveries/{delivery}").status_code == 404
    assert api.get("/convoys/totals/item").json() == []
    assert api.get("/convoys/in-transit.geojson").json()["features"] == []


def test_the_owner_reads_drivers_and_another_agency_does_not(world: World, places: Places) -> None:
    _deliver(world, places)
    mine = Api(world.owner_staff).get("/convoys/convoys/cv-1/lorries").json()
    assert mine[0]["driver_name"] == "Ivan Test"
    theirs = Api(world.other_staff).get("/convoys/convoys/cv-1/lorries").json()
    assert theirs[0]["driver_name"] == "" and theirs[0]["redacted_fields"]
    assert Api(world.owner_staff).get("/convoys/totals/settlement").json()[0]["key"] == (
        places.public_settlement.pcode
    )


def test_status_change_through_the_api_names_the_field(world: World) -> None:
    api = Api(world.owner_staff)
    response = api.post(
        "/convoys/convoys/cv-1/status",
        {"status": "in_transit", "occurred_at": "2999-01-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "occurred_at"
    ok = api.post(
        "/convoys/convoys/cv-1/status",
        {"status": "in_transit", "occurred_at": LEFT.isoformat()},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "in_transit"
    load = world.convoy.loads.get()
    arrival = api.post(
        "/convoys/convoys/cv-1/arrival",
        {
            "occurred_at": (LEFT + dt.timedelta(days=1)).isoformat(),
            "lines": [{"load": str(load.public_id), "received": 60}],
        },
    )
    assert arrival.status_code == 200 and arrival.json()["status"] == "arrived"


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_screens_show_the_convoy_to_its_readers_only(
    world: World, places: Places, side_a_user: User
) -> None:
    _deliver(world, places)
    owner = _client(world.owner_staff)
    for path in (
        "/convoys/",
        "/convoys/cv-1/",
        "/convoys/deliveries/",
        "/convoys/pipeline/",
        "/convoys/map/",
    ):
        assert owner.get(path).status_code == 200, path
    page = owner.get("/convoys/cv-1/").content.decode()
    assert "Ivan Test" in page and "A 001 AA" in page
    other = _client(world.other_staff).get("/convoys/cv-1/").content.decode()
    assert "Ivan Test" not in other and "A 001 AA" in other
    party = _client(side_a_user)
    assert party.get("/convoys/cv-1/").status_code == 404
    assert "cv-1" not in party.get("/convoys/").content.decode()
    assert "cv-1" not in party.get("/convoys/map/").content.decode()
    csv = owner.get("/convoys/deliveries/?format=csv")
    assert b"cement" in b"".join(csv.streaming_content)
    assert b"cement" not in b"".join(party.get("/convoys/deliveries/?format=csv").streaming_content)


def test_the_status_form_refuses_a_future_time(world: World) -> None:
    owner = _client(world.owner_staff)
    response = owner.post(
        "/convoys/cv-1/status/",
        {"status": "in_transit", "occurred_at": "2999-01-01T00:00"},
        follow=True,
    )
    assert "occurred_at" in response.content.decode()
    world.convoy.refresh_from_db()
    assert world.convoy.status == "preparing"


def test_the_convoy_page_renders_in_russian(world: World) -> None:
    from django.urls import reverse

    client = _client(world.owner_staff)
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    page = client.get("/convoys/cv-1/").content.decode()
    assert "Грузовики" in page and "История статусов" in page
    assert "Подготовка" in page  # the status, from the model's choices


def test_a_party_may_not_write_and_the_owner_may(
    world: World, places: Places, side_a_user: User
) -> None:
    body = {
        "reference": "cv-2",
        "name": "Second",
        "owner": "owner-org",
        "origin": "wh-depot",
        "destinations": [places.public_settlement.pcode],
        "planned_departure": LEFT.isoformat(),
    }
    assert Api(side_a_user).post("/convoys/convoys/", body).status_code == 403
    created = Api(world.owner_staff).post("/convoys/convoys/", body)
    assert created.status_code == 201, created.content
    api = Api(world.owner_staff)
    assert (
        api.post("/convoys/convoys/cv-2/loads", {"item": "cement", "quantity": 5}).status_code
        == 201
    )
    events = api.get("/convoys/convoys/cv-2/events").json()
    assert [e["status"] for e in events] == ["preparing"]
    assert api.get("/convoys/convoys/cv-2/loads").json()[0]["weight_t"] == "5.000"
