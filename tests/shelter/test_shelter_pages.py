"""The shelter screens: lists, a shelter's page, the gap, the allocation (HTMX), the map."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.shelter.conftest import DAY, World
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.shelter import services
from truce.shelter.models import AllocationRun, OccupancyReport


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def estimate(world: World) -> None:
    services.estimate_create(
        actor=None,
        fields={
            "code": "up-to-30",
            "area_label": "Area of operation",
            "stated_on": DAY,
            "people": 30000,
            "qualifier": "up_to",
            "source": "Briefing",
        },
        visibility=["public"],
    )


def test_the_shelter_list_shows_places_and_exports_csv(world: World, mission_user: User) -> None:
    client = client_for(mission_user)
    page = client.get(reverse("shelter:shelter-list"), {"as_of": DAY.isoformat()})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-shelter="near"' in body and 'data-shelter="far"' in body
    csv = client.get(reverse("shelter:shelter-list"), {"as_of": DAY.isoformat(), "format": "csv"})
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("code,name,settlement")
    assert any(line.startswith("near,") for line in lines)


def test_another_party_sees_no_mission_shelter_in_list_csv_or_page(
    world: World, side_a_user: User
) -> None:
    client = client_for(side_a_user)
    body = client.get(reverse("shelter:shelter-list")).content.decode()
    assert "data-shelter=" not in body
    csv = client.get(reverse("shelter:shelter-list"), {"format": "csv"}).content.decode()
    assert len(csv.splitlines()) == 1
    page = client.get(reverse("shelter:shelter-detail", args=[world.near.public_id]))
    assert page.status_code == 404


def test_the_shelter_page_shows_its_status_timeline(world: World, admin_user: User) -> None:
    services.shelter_update(
        actor=admin_user, shelter=world.near, expected_version=1, changes={"status": "full"}
    )
    client = client_for(admin_user)
    body = client.get(reverse("shelter:shelter-detail", args=[world.near.public_id])).content
    assert body.decode().count("data-version=") == 2


def test_a_count_above_capacity_without_reason_is_shown_on_the_field(
    world: World, mission_user: User
) -> None:
    client = client_for(mission_user)
    before = LedgerEntry.objects.count()
    response = client.post(
        reverse("shelter:shelter-occupancy", args=[world.near.public_id]),
        {"counted_on": DAY.isoformat(), "people": "9"},
    )
    assert response.status_code == 422
    assert 'id="id_overcrowding_reason_error"' in response.content.decode()
    assert LedgerEntry.objects.count() == before
    ok = client.post(
        reverse("shelter:shelter-occupancy", args=[world.near.public_id]),
        {"counted_on": DAY.isoformat(), "people": "9", "overcrowding_reason": "night arrivals"},
    )
    assert ok.status_code == 302
    assert OccupancyReport.objects.get().people == 9


def test_a_negative_capacity_from_the_form_is_refused_on_the_field(
    world: World, admin_user: User
) -> None:
    client = client_for(admin_user)
    response = client.post(
        reverse("shelter:shelter-status", args=[world.near.public_id]),
        {"version": "1", "status": "open", "capacity": "-3"},
    )
    assert response.status_code == 422
    assert 'id="id_capacity_error"' in response.content.decode()
    world.near.refresh_from_db()
    assert world.near.capacity == 6


def test_the_gap_page_shows_the_figures_table_and_chart(
    world: World, estimate: None, mission_user: User
) -> None:
    client = client_for(mission_user)
    body = client.get(reverse("shelter:gap"), {"as_of": DAY.isoformat()}).content.decode()
    assert 'id="figure-expected">30000<' in body
    assert 'id="figure-places">20<' in body
    assert "<svg" in body and 'class="bar-expected"' in body
    assert 'id="gap-by-area"' in body


def test_the_gap_page_counts_no_hidden_shelter(
    world: World, estimate: None, side_a_user: User
) -> None:
    body = client_for(side_a_user).get(reverse("shelter:gap"), {"as_of": DAY.isoformat()})
    text = body.content.decode()
    assert 'id="figure-expected">30000<' in text
    assert 'id="figure-places">0<' in text


def test_the_allocation_runs_from_the_page_by_htmx(world: World, mission_user: User) -> None:
    client = client_for(mission_user)
    page = client.get(reverse("shelter:allocation"))
    assert 'id="run-button"' in page.content.decode()
    response = client.post(
        reverse("shelter:allocation"),
        {"as_of": DAY.isoformat(), "horizon_days": "30"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="run-summary"' in body and "<html" not in body
    assert body.count("data-household=") == 4
    assert "Vulnerable household, placed first." in body
    assert AllocationRun.objects.count() == 1


def test_a_dry_run_from_the_page_writes_nothing(world: World, mission_user: User) -> None:
    client = client_for(mission_user)
    response = client.post(
        reverse("shelter:allocation"),
        {"as_of": DAY.isoformat(), "horizon_days": "30", "dry_run": "on"},
        headers={"HX-Request": "true"},
    )
    assert 'id="dry-run-summary"' in response.content.decode()
    assert not AllocationRun.objects.exists()


def test_only_staff_with_the_role_see_the_button_or_may_post(
    world: World, agency_user: User, side_b_user: User
) -> None:
    for user in (agency_user, side_b_user):
        client = client_for(user)
        assert 'id="run-button"' not in client.get(reverse("shelter:allocation")).content.decode()
        response = client.post(reverse("shelter:allocation"), {"as_of": DAY.isoformat()})
        assert response.status_code == 404
    assert not AllocationRun.objects.exists()


def test_side_b_sees_no_personal_data_and_only_its_shared_placements(
    world: World, mission_user: User, side_b_user: User
) -> None:
    client_for(mission_user).post(
        reverse("shelter:allocation"), {"as_of": DAY.isoformat(), "horizon_days": "30"}
    )
    run = AllocationRun.objects.get()
    # The run is the mission's and the agencies': side B gets no page for it.
    client = client_for(side_b_user)
    assert client.get(reverse("shelter:run-detail", args=[run.public_id])).status_code == 404
    body = client.get(reverse("shelter:allocation")).content.decode()
    assert "Head of" not in body
    page = client.get(reverse("shelter:shelter-detail", args=[world.b_hall.public_id]))
    text = page.content.decode()
    assert "Head of" not in text
    assert "hh-a" not in text and "hh-v" not in text


def test_the_run_page_lists_reasons_and_exports_csv(world: World, mission_user: User) -> None:
    client = client_for(mission_user)
    client.post(reverse("shelter:allocation"), {"as_of": DAY.isoformat(), "horizon_days": "30"})
    run = AllocationRun.objects.get()
    page = client.get(reverse("shelter:run-detail", args=[run.public_id])).content.decode()
    assert page.count("data-household=") == 4
    csv = client.get(reverse("shelter:run-detail", args=[run.public_id]), {"format": "csv"})
    assert len(csv.content.decode().splitlines()) == 5


def test_the_map_page_points_at_the_shelter_layer(world: World, mission_user: User) -> None:
    body = client_for(mission_user).get(reverse("shelter:shelter-map")).content.decode()
    assert "shelters.geojson" in body and 'id="shelter-map"' in body


def test_the_response_menu_lists_the_shelter_screens(world: World, mission_user: User) -> None:
    body = client_for(mission_user).get(reverse("home")).content.decode()
    for name in ("shelter-list", "gap", "allocation", "shelter-map"):
        assert reverse(f"shelter:{name}") in body
