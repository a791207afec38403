"""The population screens: they render, forms name bad fields, parties see nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.population.conftest import HOUSEHOLD, Corridor, movement
from truce.core.models import User
from truce.population.models import Household, ReturnMovement
from truce.population.services import flow_count_record

PERSONAL_VALUES = ("Demo Head One", "+000 00 000111", "DEMO-111", "Demo Child One", "wheelchair")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response: object) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return response.content.decode()  # type: ignore[attr-defined]


@pytest.fixture
def records(corridor: Corridor) -> None:
    movement(corridor)
    movement(corridor, reference="r-hidden", to_settlement="T-HID", visibility=["mission"])
    flow_count_record(
        actor=None,
        point="ctp-01",
        day=dt.date(2020, 11, 14),
        direction="inbound",
        escorted=True,
        people=120,
        visibility=["both_sides", "agencies"],
    )
    flow_count_record(
        actor=None,
        point="cp-m",
        day=dt.date(2020, 11, 14),
        direction="inbound",
        escorted=False,
        people=9,
    )


def test_every_screen_renders_for_the_duty_officer(
    records: None, household: Household, readers: dict[str, User]
) -> None:
    client = client_for(readers["duty_officer"])
    for path in (
        "/population/",
        "/population/points/",
        "/population/points/ctp-01/",
        "/population/returns/",
        "/population/returns/new/",
        "/population/households/",
        "/population/households/new/",
        f"/population/households/{household.public_id}/",
        f"/population/households/{household.public_id}/edit/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    overview = client.get("/population/").content.decode()
    assert "<svg" in overview and "population-map-data" in overview


def test_the_point_page_has_a_daily_table_chart_and_csv(
    records: None, readers: dict[str, User]
) -> None:
    client = client_for(readers["side_b"])
    page = client.get("/population/points/ctp-01/").content.decode()
    assert 'data-day="2020-11-14"' in page and "<svg" in page
    csv = body(client.get("/population/points/ctp-01/?format=csv"))
    assert csv.splitlines()[1].startswith("ctp-01,2020-11-14,inbound,True,120")


@pytest.mark.parametrize("reader", ["side_a", "side_b", "viewer"])
def test_another_party_sees_no_mission_record_on_any_screen_or_export(
    records: None, household: Household, readers: dict[str, User], reader: str
) -> None:
    client = client_for(readers[reader])
    assert client.get("/population/points/cp-m/").status_code == 404
    assert client.get(f"/population/households/{household.public_id}/").status_code == 404
    points = client.get("/population/points/").content.decode()
    assert "cp-m" not in points
    returns = client.get("/population/returns/").content.decode()
    assert "r-hidden" not in returns and "Hiddenvale" not in returns
    assert "r-hidden" not in body(client.get("/population/returns/?format=csv"))
    overview = client.get("/population/").content.decode()
    assert "Hiddenvale" not in overview and "hh-test-1" not in overview
    households = client.get("/population/households/").content.decode()
    assert "hh-test-1" not in households
    assert "hh-test-1" not in body(client.get("/population/households/?format=csv"))
    for value in PERSONAL_VALUES:
        assert value not in households and value not in overview


@pytest.mark.parametrize("reader", ["side_b", "side_b_admin_role"])
def test_side_b_sees_no_personal_data_of_a_household_shared_with_it(
    shared_household: Household, readers: dict[str, User], reader: str
) -> None:
    client = client_for(readers[reader])
    listed = client.get("/population/households/").content.decode()
    detail = client.get(f"/population/households/{shared_household.public_id}/").content.decode()
    export = body(client.get("/population/households/?format=csv"))
    assert "hh-shared-b" in listed and "hh-shared-b" in export
    for value in PERSONAL_VALUES:
        assert value not in listed and value not in detail and value not in export, value
    # Not a writer: no form, and the form's page refuses.
    assert (
        client.get(f"/population/households/{shared_household.public_id}/edit/").status_code == 403
    )


def test_the_duty_officer_sees_name_and_phone_but_not_the_document(
    household: Household, readers: dict[str, User]
) -> None:
    client = client_for(readers["duty_officer"])
    detail = client.get(f"/population/households/{household.public_id}/").content.decode()
    export = body(client.get("/population/households/?format=csv"))
    for text in (detail, export):
        assert "Demo Head One" in text and "+000 00 000111" in text
        assert "DEMO-111" not in text and "wheelchair" not in text
    assert "document_number" in export.splitlines()[1]  # the row names its redacted fields


def test_filters_narrow_the_household_list(household: Household, readers: dict[str, User]) -> None:
    client = client_for(readers["agency_staff"])
    assert "hh-test-1" in client.get("/population/households/?intention=return").content.decode()
    assert "hh-test-1" not in client.get("/population/households/?intention=stay").content.decode()
    assert (
        "hh-test-1"
        in client.get(
            "/population/households/?vulnerability=disability&origin=AZ-XA-001"
        ).content.decode()
    )
    assert (
        "hh-test-1"
        not in client.get("/population/households/?vulnerability=single_parent").content.decode()
    )


def test_registration_form_names_a_size_below_one_and_writes_nothing(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    client = client_for(readers["agency_staff"])
    data = {k: v for k, v in HOUSEHOLD.items() if k not in ("members", "vulnerabilities")}
    response = client.post("/population/households/new/", {**data, "size": 0})
    assert response.status_code == 422
    assert 'id="id_size_error"' in response.content.decode()
    assert not Household.objects.exists()
    ok = client.post(
        "/population/households/new/",
        {**data, "vulnerabilities": ["disability"], "members": "Demo A, female, 1970"},
    )
    assert ok.status_code == 302
    assert Household.objects.get().members == [
        {"name": "Demo A", "sex": "female", "birth_year": 1970}
    ]


def test_return_form_names_an_unknown_settlement_and_writes_nothing(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    client = client_for(readers["duty_officer"])
    data = {
        "reference": "r-form",
        "date": "2020-11-15",
        "from_settlement": "AM-SU-001",
        "to_settlement": "XX-000",
        "people": 30,
        "share": "shared",
    }
    response = client.post("/population/returns/new/", data)
    assert response.status_code == 422
    assert 'id="id_to_settlement_error"' in response.content.decode()
    assert not ReturnMovement.objects.exists()
    assert (
        client.post("/population/returns/new/", {**data, "to_settlement": "AZ-XA-001"}).status_code
        == 302
    )
    assert ReturnMovement.objects.get().visibility == ["mission", "side_a", "side_b", "agencies"]


def test_an_operator_records_and_corrects_a_count_on_the_point_page(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    client = client_for(readers["op_operator"])
    data = {"day": "2020-11-18", "direction": "inbound", "escorted": "on", "people": 77}
    assert client.post("/population/points/ctp-01/", data).status_code == 302
    assert client.post("/population/points/ctp-01/", {**data, "people": 78}).status_code == 302
    bad = client.post("/population/points/ctp-01/", {**data, "people": -1})
    assert bad.status_code == 422 and 'id="id_people_error"' in bad.content.decode()
    page = client.get("/population/points/ctp-01/").content.decode()
    assert 'data-day="2020-11-18"' in page and ">78<" in page
    side = client_for(readers["side_b"])
    assert side.post("/population/points/ctp-01/", data).status_code == 403
    assert "Record a count" not in side.get("/population/points/ctp-01/").content.decode()
