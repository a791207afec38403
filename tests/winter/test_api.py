"""The winter API: reads filtered by party, writes through the services, one error shape."""

from __future__ import annotations

import pytest

from tests.conftest import Places
from tests.core.api_client import Api, error_of, ids, write_counts
from tests.winter.conftest import DAY, Winter
from truce.core.models import User

pytestmark = pytest.mark.django_db


def test_lists_show_each_party_only_its_share(
    winter: Winter, admin_user: User, side_b_user: User, side_a_user: User
) -> None:
    everything = ids(Api(admin_user).get("/winter/reports/").json())
    assert len(everything) == 3
    assert ids(Api(side_b_user).get("/winter/reports/").json()) == {
        str(winter.side_b_report.public_id)
    }
    assert ids(Api(side_b_user).get("/winter/needs/").json()) == set()
    assert ids(Api(side_a_user).get("/winter/needs/").json()) == {str(winter.side_a_need.public_id)}


def test_a_hidden_record_is_a_404_everywhere(winter: Winter, side_b_user: User) -> None:
    api = Api(side_b_user)
    hidden = winter.agencies_report.public_id
    for path in (f"/winter/reports/{hidden}", f"/winter/reports/{hidden}/history"):
        assert api.get(path).status_code == 404
    patch = api.patch(f"/winter/reports/{hidden}", {"expected_version": 1, "state": "working"})
    assert patch.status_code == 404
    assert api.get(f"/winter/needs/{winter.medical_need.public_id}").status_code == 404


def test_readiness_and_layer_hide_what_a_party_may_not_see(
    winter: Winter, places: Places, admin_user: User, side_b_user: User
) -> None:
    mission = Api(admin_user).get("/winter/readiness", as_of=DAY.isoformat()).json()
    (row,) = [r for r in mission["rows"] if r["settlement"] == places.public_settlement.pcode]
    assert row["utilities"]["heat"]["state"] == "out" and row["worst"] == "out"

    side_b = Api(side_b_user).get("/winter/readiness", as_of=DAY.isoformat()).json()
    (row,) = [r for r in side_b["rows"] if r["settlement"] == places.public_settlement.pcode]
    assert row["utilities"]["heat"] == {
        "state": "unknown",
        "since": None,
        "works_planned": "",
        "report": None,
    }
    assert side_b["totals"]["heat"].get("out", 0) == 0

    layer = Api(side_b_user).get("/winter/readiness.geojson", as_of=DAY.isoformat()).json()
    (feature,) = layer["features"]
    assert feature["properties"]["worst"] == "partial"  # the power report shared with side B
    assert Api(side_b_user).get("/winter/readiness.geojson", as_of="2020-01-01").json() == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_create_correct_and_withdraw(places: Places, admin_user: User) -> None:
    api = Api(admin_user)
    created = api.post(
        "/winter/reports/",
        {
            "settlement": places.public_settlement.pcode,
            "utility": "gas",
            "state": "out",
            "since": "2020-11-02",
            "visibility": ["agencies", "side_b"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["visibility"] == ["mission", "side_b", "agencies"]
    corrected = api.patch(
        f"/winter/reports/{body['id']}", {"expected_version": 1, "state": "partial"}
    )
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    stale = api.patch(f"/winter/reports/{body['id']}", {"expected_version": 1, "state": "out"})
    assert stale.status_code == 409
    history = api.get(f"/winter/reports/{body['id']}/history").json()
    assert [h["version"] for h in history] == [1, 2]
    gone = api.post(
        f"/winter/reports/{body['id']}/withdraw", {"expected_version": 2, "reason": "duplicate"}
    )
    assert gone.status_code == 200
    assert api.get(f"/winter/reports/{body['id']}").status_code == 404


def test_bad_input_names_the_field_and_writes_nothing(places: Places, admin_user: User) -> None:
    api = Api(admin_user)
    before = write_counts()
    response = api.post(
        "/winter/reports/",
        {"settlement": "NOWHERE", "utility": "gas", "state": "out", "since": "2020-11-02"},
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "settlement"
    response = api.post(
        "/winter/needs/",
        {
            "settlement": places.public_settlement.pcode,
            "category": "medicines",
            "item": "Insulin",
            "quantity": -1,
            "unit": "doses",
            "stated_on": "2020-11-20",
        },
    )
    assert response.status_code == 422
    assert error_of(response)["field"] == "quantity"
    assert write_counts() == before


def test_a_party_may_not_write(places: Places, side_a_user: User) -> None:
    response = Api(side_a_user).post(
        "/winter/reports/",
        {
            "settlement": places.public_settlement.pcode,
            "utility": "gas",
            "state": "out",
            "since": "2020-11-02",
        },
    )
    assert response.status_code == 403
