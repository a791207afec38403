"""The population API: reads, writes, errors, and what another party may see."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.core.api_client import Api, error_of
from tests.population.conftest import HOUSEHOLD, Corridor, movement
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.population.models import Household, ReturnMovement
from truce.population.redaction import PERSONAL_FIELDS
from truce.population.services import flow_count_record

P = "/population"


def test_household_create_update_and_detail(corridor: Corridor, readers: dict[str, User]) -> None:
    api = Api(readers["agency_staff"])
    created = api.post(f"{P}/households/", HOUSEHOLD, **{"Idempotency-Key": "k1"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["head_name"] == "Demo Head One" and body["redacted_fields"] == []
    again = api.post(f"{P}/households/", HOUSEHOLD, **{"Idempotency-Key": "k1"})
    assert again.status_code == 201 and Household.objects.count() == 1
    changed = api.patch(f"{P}/households/{body['id']}", {"version": 1, "intention": "undecided"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = api.patch(f"{P}/households/{body['id']}", {"version": 1, "size": 3})
    assert stale.status_code == 409 and error_of(stale)["field"] == "version"
    history = api.get(f"{P}/households/{body['id']}/history").json()
    assert [h["version"] for h in history] == [1, 2]


def test_household_of_zero_people_is_a_422_naming_size(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    api = Api(readers["agency_staff"])
    before = LedgerEntry.objects.count()
    response = api.post(f"{P}/households/", {**HOUSEHOLD, "size": 0})
    assert response.status_code == 422
    assert error_of(response)["field"] == "size"
    assert LedgerEntry.objects.count() == before


def test_return_to_an_unknown_settlement_is_a_422_naming_to_settlement(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    api = Api(readers["duty_officer"])
    before = LedgerEntry.objects.count()
    response = api.post(
        f"{P}/returns/",
        {
            "reference": "r-api-1",
            "date": "2020-11-15",
            "from_settlement": "AM-SU-001",
            "to_settlement": "XX-NOWHERE",
            "people": 50,
        },
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "to_settlement"
    assert LedgerEntry.objects.count() == before and not ReturnMovement.objects.exists()


def test_return_create_and_correct(corridor: Corridor, readers: dict[str, User]) -> None:
    api = Api(readers["duty_officer"])
    created = api.post(
        f"{P}/returns/",
        {
            "reference": "r-api-2",
            "date": "2020-11-15",
            "from_settlement": "AM-SU-001",
            "to_settlement": "AZ-XA-001",
            "people": 50,
            "checkpoint": "ctp-01",
            "visibility": ["both_sides", "agencies"],
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["to_settlement"]["pcode"] == "AZ-XA-001"
    fixed = api.patch(f"{P}/returns/{body['id']}", {"version": 1, "people": 52})
    assert fixed.json()["people"] == 52
    side_b = Api(readers["side_b"]).get(f"{P}/returns/{body['id']}")
    assert side_b.status_code == 200 and side_b.json()["visibility"] == ["side_b"]


def test_flow_count_post_and_correction(corridor: Corridor, readers: dict[str, User]) -> None:
    api = Api(readers["op_operator"])
    body = {
        "point": "ctp-01",
        "day": "2020-11-15",
        "direction": "inbound",
        "escorted": True,
        "people": 40,
    }
    assert api.post(f"{P}/flow-counts/", body).status_code == 201
    corrected = api.post(f"{P}/flow-counts/", {**body, "people": 41, "version": 1})
    assert corrected.status_code == 200 and corrected.json()["outcome"] == "updated"
    days = api.get(f"{P}/points/ctp-01/days").json()
    assert days == [
        {
            "day": "2020-11-15",
            "inbound_escorted": 41,
            "inbound_other": 0,
            "outbound_escorted": 0,
            "outbound_other": 0,
            "vehicles": 0,
        }
    ]


# --- isolation --------------------------------------------------------------------------


@pytest.fixture
def mission_only(corridor: Corridor) -> dict[str, str]:
    """One mission-only record of each kind, and a household shared with nobody but agencies."""
    ret = movement(corridor, reference="r-mission", visibility=["mission"])
    flow_count_record(
        actor=None,
        point="cp-m",
        day=dt.date(2020, 11, 16),
        direction="inbound",
        escorted=False,
        people=5,
    )
    from truce.population.services import baseline_create, household_register

    base = baseline_create(
        actor=None,
        data={
            "code": "b-m",
            "label": "Mission estimate",
            "origin_text": "x",
            "people": 10,
            "as_of": "2020-11-20",
            "source": "test",
        },
    )
    house = household_register(actor=None, data=HOUSEHOLD)
    return {
        "return": str(ret.public_id),
        "baseline": str(base.public_id),
        "household": str(house.public_id),
    }


@pytest.mark.parametrize("reader", ["side_a", "side_b", "viewer"])
def test_another_party_sees_nothing_on_any_endpoint(
    readers: dict[str, User], mission_only: dict[str, str], reader: str
) -> None:
    api = Api(readers[reader])
    for path in ("/returns/", "/baselines/", "/households/", "/flow-counts/"):
        page = api.get(P + path)
        assert page.status_code == 200 and page.json()["items"] == [], path
    assert api.get(f"{P}/returns/{mission_only['return']}").status_code == 404
    assert api.get(f"{P}/baselines/{mission_only['baseline']}").status_code == 404
    assert api.get(f"{P}/households/{mission_only['household']}").status_code == 404
    assert api.get(f"{P}/households/{mission_only['household']}/history").status_code == 404
    assert api.get(f"{P}/points/cp-m/days").status_code == 404
    assert "cp-m" not in {p["code"] for p in api.get(f"{P}/points/").json()}
    assert api.get(f"{P}/returns.geojson").json()["features"] == []
    assert api.get(f"{P}/households-origins.geojson").json()["features"] == []
    assert api.get(f"{P}/returns/", to="T-HID").json()["items"] == []


@pytest.mark.parametrize("reader", ["side_b", "side_b_admin_role"])
def test_side_b_reads_no_personal_data_of_a_household_shared_with_it(
    readers: dict[str, User], shared_household: Household, reader: str
) -> None:
    api = Api(readers[reader])
    (listed,) = api.get(f"{P}/households/").json()["items"]
    detail = api.get(f"{P}/households/{shared_household.public_id}").json()
    history = api.get(f"{P}/households/{shared_household.public_id}/history").json()
    for body in (listed, detail):
        assert set(body["redacted_fields"]) == set(PERSONAL_FIELDS)
        assert "Demo" not in str({k: body[k] for k in PERSONAL_FIELDS})
    assert "Demo" not in str(history) and "DEMO-111" not in str(history)
    assert api.get(f"{P}/households-origins.geojson").json()["features"][0]["properties"] == {
        "pcode": "AZ-XA-001",
        "name": "Stepanakert",
        "households": 1,
        "people": 4,
    }


def test_a_side_may_not_write_households_or_returns(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    api = Api(readers["side_b"])
    assert api.post(f"{P}/households/", HOUSEHOLD).status_code == 403
    assert (
        api.post(
            f"{P}/returns/",
            {"reference": "r", "date": "2020-11-15", "to_settlement": "AZ-XA-001", "people": 1},
        ).status_code
        == 403
    )


def test_returns_figure_by_area_or_settlement(corridor: Corridor, readers: dict[str, User]) -> None:
    from truce.core import services as core
    from truce.core.figures import FigureQuery, figure_value

    area = core.admin_area_create(
        actor=None,
        fields={"pcode": "AZ-XA", "level": 1, "display_name": "Khankendi"},
        visibility=["public"],
    )
    core.settlement_update(
        actor=None,
        settlement=corridor.stepanakert,
        expected_version=1,
        changes={"admin_area": area},
    )
    movement(corridor)
    movement(corridor, reference="r-2", to_settlement="AM-SU-001", people=5)
    duty = readers["duty_officer"]
    assert figure_value("returns_escorted_since_14_nov", FigureQuery(user=duty)).value == 125
    by_area = FigureQuery(user=duty, area="AZ-XA")
    assert figure_value("returns_escorted_since_14_nov", by_area).value == 120
    by_place = FigureQuery(user=duty, area="AM-SU-001")
    assert figure_value("returns_escorted_since_14_nov", by_place).value == 5
