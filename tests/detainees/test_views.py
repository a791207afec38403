"""The detainees screens: the same rule as the selectors, redaction, HTMX confirmations, CSV."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.detainees.conftest import PASSWORD, Readers, World, complete
from truce.core.models import User
from truce.detainees.models import Case, Transfer

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _pages(world: World) -> list[str]:
    transfer = world.transfers()[0]
    return [
        world.list_a.get_absolute_url(),
        world.person_a.get_absolute_url(),
        world.person_a.get_absolute_url() + "edit/",
        world.exchange.get_absolute_url(),
        f"/detainees/lists/{world.list_a.public_id}/cases/new/",
        "/detainees/exchanges/",
        "/detainees/exchanges/new/",
        "/detainees/lists/new/",
        "/detainees/cases.csv",
        f"/detainees/transfers/{transfer.public_id}/confirm/",
    ]


def test_outsiders_get_an_explained_empty_page_and_404s(world: World, readers: Readers) -> None:
    refs = world.refs()
    complete(world, readers)
    for user in (readers.unhcr, readers.viewer, readers.operator):
        client = _client(user)
        index = client.get("/detainees/")
        assert index.status_code == 200
        body = index.content.decode()
        assert 'data-empty="detainees"' in body
        assert refs["A-0001"] not in body and refs["EX-001"] not in body
        assert "/detainees/exchanges/" not in client.get("/").content.decode()
        for path in _pages(world):
            method = client.post if path.endswith("confirm/") else client.get
            assert method(path).status_code == 404, (user, path)


def test_the_menu_offers_the_screens_to_those_who_may_see(world: World, readers: Readers) -> None:
    for user in (readers.analyst, readers.duty, readers.icrc, readers.side_a):
        assert "/detainees/exchanges/" in _client(user).get("/").content.decode()


def test_the_other_side_sees_no_page_of_a_list_it_may_not_see(
    world: World, readers: Readers
) -> None:
    refs = world.refs()
    client = _client(readers.side_a)
    assert client.get(world.list_b_private.get_absolute_url()).status_code == 404
    assert client.get(world.kept_b.get_absolute_url()).status_code == 404
    index = client.get("/detainees/").content.decode()
    assert refs["B-L2"] not in index and refs["B-L1"] not in index
    other = client.get(world.person_b.get_absolute_url()).content.decode()
    assert "Bela Sampleova" in other and "B&#x27;s own note" not in other
    assert "withheld from your role" in other


def test_a_duty_officer_sees_statuses_and_no_names(world: World, readers: Readers) -> None:
    refs = world.refs()
    client = _client(readers.duty)
    page = client.get(world.list_a.get_absolute_url()).content.decode()
    assert refs["A-0001"] in page and "Agreed for transfer" in page
    assert "Ivo Testperson" not in page and "withheld" in page
    case = client.get(world.person_a.get_absolute_url()).content.decode()
    assert "Ivo" not in case and "Hill 7" not in case
    exchange = client.get(world.exchange.get_absolute_url()).content.decode()
    assert "Ivo" not in exchange and "Bela" not in exchange
    assert client.get("/detainees/cases.csv").status_code == 404
    # Counts and statuses only: no form to write anything.
    for path in ("/detainees/lists/new/", "/detainees/exchanges/new/"):
        assert client.get(path).status_code == 404
    assert client.get(world.person_a.get_absolute_url() + "edit/").status_code == 404


def test_the_case_page_shows_its_history(world: World, readers: Readers) -> None:
    page = _client(readers.analyst).get(world.person_a.get_absolute_url()).content.decode()
    assert 'data-history-version="3"' in page and 'data-history-version="1"' in page
    assert "Ivo Testperson" in page


def test_confirmation_buttons_post_with_htmx_and_return_the_row(
    world: World, readers: Readers
) -> None:
    transfer = world.transfers()[0]
    icrc = _client(readers.icrc)
    page = icrc.get(world.exchange.get_absolute_url()).content.decode()
    assert "Record the handover" in page
    row = icrc.post(
        f"/detainees/transfers/{transfer.public_id}/hand-over/",
        {"version": 1},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert f'id="transfer-{transfer.public_id}"' in row.content.decode()
    side_a = _client(readers.side_a)
    page = side_a.get(world.exchange.get_absolute_url()).content.decode()
    assert "Confirm for Side A" in page
    wrong = side_a.post(
        f"/detainees/transfers/{transfer.public_id}/confirm/",
        {"version": 2, "side": "side-b"},
        headers={"HX-Request": "true"},
    )
    assert "own party" in wrong.content.decode()
    done = side_a.post(
        f"/detainees/transfers/{transfer.public_id}/confirm/", {"version": 2, "side": "side-a"}
    )
    assert done.status_code == 302
    assert Transfer.objects.get(pk=transfer.pk).released_confirmed_by == readers.side_a


def test_a_bad_case_form_shows_the_error_next_to_the_field(world: World, readers: Readers) -> None:
    client = _client(readers.side_b)
    response = client.post(
        f"/detainees/lists/{world.list_b_private.public_id}/cases/new/",
        {"kind": "person", "category": "civilian", "full_name": "", "birth_year": 1800},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_full_name_error"' in body or 'id="id_birth_year_error"' in body
    assert Case.objects.filter(side_list=world.list_b_private).count() == 1


def test_a_side_adds_a_case_through_the_form(world: World, readers: Readers) -> None:
    client = _client(readers.side_b)
    response = client.post(
        f"/detainees/lists/{world.list_b_private.public_id}/cases/new/",
        {"kind": "person", "category": "civilian", "full_name": "Neva Madeup", "birth_year": 1970},
    )
    assert response.status_code == 302
    assert Case.objects.filter(full_name="Neva Madeup").exists()


def test_csv_export_redacts_as_the_pages_do(world: World, readers: Readers) -> None:
    refs = world.refs()
    rows = b"".join(_client(readers.side_a).get("/detainees/cases.csv").streaming_content)  # type: ignore[attr-defined]
    text = rows.decode()
    assert refs["A-0001"] in text and refs["B-0001"] in text and refs["B-0002"] not in text
    assert "A's own note" in text and "B's own note" not in text
    full = b"".join(_client(readers.icrc).get("/detainees/cases.csv").streaming_content)  # type: ignore[attr-defined]
    assert b"Secret Soughtname" in full


def test_the_intermediary_plans_an_exchange_through_the_form(
    world: World, readers: Readers
) -> None:
    refs = world.refs()
    client = _client(readers.icrc)
    kept = world.kept_b
    client.post(f"/detainees/cases/{kept.public_id}/verify/", {"version": 1})
    form = client.get("/detainees/exchanges/new/").content.decode()
    assert refs["B-0002"] in form
    response = client.post(
        "/detainees/exchanges/new/",
        {
            "planned_on": "2020-11-25",
            "crossing_point": "Crossing (fictional)",
            "intermediary": "icrc",
            "cases": [str(kept.public_id)],
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=kept.pk).status == "agreed"


def test_the_exchange_page_lists_every_handover_and_confirmation(
    world: World, readers: Readers
) -> None:
    complete(world, readers)
    page = _client(readers.side_b).get(world.exchange.get_absolute_url()).content.decode()
    assert 'data-history="exchange"' in page
    assert page.count("Confirmed") >= 6 and page.count("Handed over") >= 3
    assert "liaison_a" in page and "liaison_b" in page


def test_pages_read_in_a_fixed_number_of_queries(
    world: World, readers: Readers, django_assert_max_num_queries: Any
) -> None:
    complete(world, readers)
    client = _client(readers.side_a)
    for path in (
        world.exchange.get_absolute_url(),
        world.list_a.get_absolute_url(),
        "/detainees/",
    ):
        client.get(path)  # warm the session and the user
        with django_assert_max_num_queries(16):
            assert client.get(path).status_code == 200
