"""The detainees API: the same rule as the selectors, confirmations, one error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.api_client import Api, error_of
from tests.detainees.conftest import Readers, World, complete
from truce.core.models import User
from truce.detainees.models import Exchange, Transfer
from truce.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


def _ids(body: dict[str, Any]) -> set[str]:
    return {item["reference"] for item in body["items"]}


def _lists(user: User) -> dict[str, set[str]]:
    api = Api(user)
    return {
        name: _ids(api.get(f"/detainees/{name}").json())
        for name in ("lists", "cases", "exchanges", "transfers")
    }


def test_outsiders_get_empty_lists_zero_counts_and_404s(world: World, readers: Readers) -> None:
    complete(world, readers)
    transfer = world.transfers()[0]
    paths = [
        f"/detainees/lists/{world.list_a.public_id}",
        f"/detainees/lists/{world.list_a.public_id}/history",
        f"/detainees/cases/{world.person_a.public_id}",
        f"/detainees/cases/{world.person_a.public_id}/history",
        f"/detainees/exchanges/{world.exchange.public_id}",
        f"/detainees/exchanges/{world.exchange.public_id}/history",
        f"/detainees/transfers/{transfer.public_id}",
        f"/detainees/transfers/{transfer.public_id}/history",
    ]
    for user in (readers.unhcr, readers.viewer, readers.operator):
        assert _lists(user) == {
            "lists": set(),
            "cases": set(),
            "exchanges": set(),
            "transfers": set(),
        }
        summary = Api(user).get("/detainees/summary").json()
        assert summary["cases"] == 0 and summary["confirmations_pending"] == 0
        assert summary["transfers_by_status"] == {}
        for path in paths:
            response = Api(user).get(path)
            assert response.status_code == 404, (user, path)
            assert error_of(response)["code"] == "not_found"


def test_the_other_sides_liaison_sees_only_what_involves_it(world: World, readers: Readers) -> None:
    refs = world.refs()
    seen = _lists(readers.side_a)
    assert seen["lists"] == {refs["A-L1"]}
    assert seen["cases"] == {refs["A-0001"], refs["A-0002"], refs["B-0001"]}
    api = Api(readers.side_a)
    assert api.get(f"/detainees/cases/{world.kept_b.public_id}").status_code == 404
    assert api.get(f"/detainees/lists/{world.list_b.public_id}").status_code == 404
    assert api.get("/detainees/cases", side_list=str(world.list_b.public_id)).status_code == 404
    other = api.get(f"/detainees/cases/{world.person_b.public_id}").json()
    assert other["full_name"] == "Bela Sampleova"
    assert other["notes"] is None and other["redacted"] == ["notes"]
    assert other["visibility"] == ["side_a"]


def test_a_duty_officer_gets_statuses_with_every_personal_field_redacted(
    world: World, readers: Readers
) -> None:
    api = Api(readers.duty)
    body = api.get(f"/detainees/cases/{world.person_a.public_id}").json()
    assert body["status"] == "agreed" and body["kind"] == "person"
    for name in ("full_name", "birth_year", "unit", "event_place", "event_date", "notes"):
        assert body[name] is None
        assert name in body["redacted"]
    history = api.get(f"/detainees/cases/{world.person_a.public_id}/history").json()
    assert len(history) == 3
    for version in history:
        assert "full_name" not in version["data"] and "full_name" not in version["changed"]
        assert "Ivo" not in str(version)
    exchange = api.get(f"/detainees/exchanges/{world.exchange.public_id}").json()
    assert [t["full_name"] for t in exchange["transfers"]] == [None, None, None]


def test_the_intermediary_reads_everything_of_its_lists(world: World, readers: Readers) -> None:
    body = Api(readers.icrc).get(f"/detainees/cases/{world.kept_b.public_id}").json()
    assert body["full_name"] == "Secret Soughtname" and body["redacted"] == []


def test_side_b_sees_the_history_of_an_a_case_only_from_its_exchange(
    world: World, readers: Readers
) -> None:
    history = Api(readers.side_b).get(f"/detainees/cases/{world.person_a.public_id}/history")
    versions = [item["version"] for item in history.json()]
    # Created and verified while shared with side A alone; B sees it from "agreed".
    assert versions == [3]


def test_confirm_endpoint_per_side_with_expected_version(world: World, readers: Readers) -> None:
    transfer = world.transfers()[0]
    path = f"/detainees/transfers/{transfer.public_id}"
    handed = Api(readers.icrc).post(f"{path}/hand-over", {"expected_version": 1})
    assert handed.status_code == 200 and handed.json()["status"] == "handed_over"
    wrong = Api(readers.side_a).post(f"{path}/confirm", {"side": "side-b", "expected_version": 2})
    assert wrong.status_code == 403 and error_of(wrong)["field"] == "side"
    stale = Api(readers.side_a).post(f"{path}/confirm", {"side": "side-a", "expected_version": 1})
    assert stale.status_code == 409 and error_of(stale)["field"] == "version"
    first = Api(readers.side_a).post(f"{path}/confirm", {"side": "side-a", "expected_version": 2})
    assert first.status_code == 200 and first.json()["released_confirmed_by"] == "liaison_a"
    assert first.json()["status"] == "handed_over"
    second = Api(readers.side_b).post(f"{path}/confirm", {"side": "side_b", "expected_version": 3})
    assert second.json()["status"] == "completed"
    assert second.json()["received_confirmed_by"] == "liaison_b"
    history = Api(readers.side_a).get(f"{path}/history").json()
    assert [h["action"] for h in history] == ["create", "hand_over", "confirm", "confirm"]


def test_an_outsider_cannot_confirm_or_hand_over(world: World, readers: Readers) -> None:
    transfer = world.transfers()[0]
    path = f"/detainees/transfers/{transfer.public_id}"
    for user in (readers.unhcr, readers.viewer):
        response = Api(user).post(f"{path}/hand-over", {"expected_version": 1})
        assert response.status_code == 404
        response = Api(user).post(f"{path}/confirm", {"side": "side-a", "expected_version": 1})
        assert response.status_code == 404
    assert Transfer.objects.get(pk=transfer.pk).version == 1


def test_an_exchange_and_its_transfers_are_one_write(world: World, readers: Readers) -> None:
    refs = world.refs()
    api = Api(readers.icrc)
    kept = api.post(f"/detainees/cases/{world.kept_b.public_id}/verify", {"expected_version": 1})
    assert kept.status_code == 200
    before = (LedgerEntry.objects.count(), Exchange.objects.count())
    bad = api.post(
        "/detainees/exchanges",
        {
            "planned_on": "2020-11-25",
            "crossing_point": "Crossing (fictional)",
            "cases": [kept.json()["id"], "00000000-0000-0000-0000-000000000000"],
        },
    )
    assert bad.status_code == 422 and error_of(bad)["field"] == "cases.1"
    assert (LedgerEntry.objects.count(), Exchange.objects.count()) == before
    good = api.post(
        "/detainees/exchanges",
        {"planned_on": "2020-11-25", "crossing_point": "Crossing", "cases": [kept.json()["id"]]},
        **{"Idempotency-Key": "ex-2"},
    )
    assert good.status_code == 201
    assert [t["case_reference"] for t in good.json()["transfers"]] == [refs["B-0002"]]
    again = api.post(
        "/detainees/exchanges",
        {"planned_on": "2020-11-25", "crossing_point": "Crossing", "cases": [kept.json()["id"]]},
        **{"Idempotency-Key": "ex-2"},
    )
    assert again.status_code == 201 and again.json()["id"] == good.json()["id"]
    assert Exchange.objects.count() == before[1] + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "ghost", "full_name": "X"}, "kind"),
        ({"kind": "person", "full_name": ""}, "full_name"),
        ({"kind": "person", "full_name": "X", "birth_year": 3000}, "birth_year"),
        ({"kind": "person", "full_name": "X", "event_date": "2999-01-01"}, "event_date"),
        ({"kind": "person", "full_name": "X", "colour": "red"}, "colour"),
    ],
)
def test_bad_case_input_is_named_by_field(
    world: World, readers: Readers, body: dict[str, Any], field: str
) -> None:
    api = Api(readers.side_b)
    before = LedgerEntry.objects.count()
    response = api.post(
        "/detainees/cases", {"side_list": str(world.list_b_private.public_id), **body}
    )
    assert response.status_code == 422, response.json()
    assert error_of(response)["field"] == field
    assert LedgerEntry.objects.count() == before


def test_a_side_creates_and_corrects_its_own_case(world: World, readers: Readers) -> None:
    api = Api(readers.side_a)
    created = api.post(
        "/detainees/cases",
        {"side_list": str(world.list_a.public_id), "kind": "person", "full_name": "Nova Fictive"},
    )
    assert created.status_code == 201 and created.json()["reference"].startswith("A-")
    patched = api.patch(
        f"/detainees/cases/{created.json()['id']}",
        {"expected_version": 1, "birth_year": 1990},
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    other = Api(readers.side_b).patch(
        f"/detainees/cases/{created.json()['id']}", {"expected_version": 2, "notes": "x"}
    )
    assert other.status_code == 404


def test_summary_counts_only_what_the_reader_may_see(world: World, readers: Readers) -> None:
    complete(world, readers)
    assert Api(readers.analyst).get("/detainees/summary").json()["cases"] == 4
    side_a = Api(readers.side_a).get("/detainees/summary").json()
    assert side_a["cases"] == 3
    assert side_a["cases_by_status"] == {"transferred": 3}


def test_the_openapi_schema_documents_the_confirm_endpoint(parties: object) -> None:
    from django.test import Client

    schema = Client().get("/api/v1/openapi.json").json()
    confirm = schema["paths"]["/api/v1/detainees/transfers/{public_id}/confirm"]["post"]
    assert confirm["operationId"] == "detainee_transfer_confirm"
    assert "/api/v1/detainees/exchanges" in schema["paths"]
