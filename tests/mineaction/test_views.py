"""The mine action screens: map, lists, a hazard's page, forms, totals with CSV."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from tests.mineaction.conftest import MineAction, square
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.mineaction.models import HazardArea, LandRelease

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(response: object) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def test_the_map_shows_totals_cards_and_a_chart(ma: MineAction, admin_user: User) -> None:
    html = _client(admin_user).get(reverse("mineaction:map")).content.decode()
    assert "Hazard map" in html and 'id="hazard-map"' in html
    assert "<svg" in html and "ma-chart" in html
    assert "7.0" in html  # ha cleared, the mission sees both results
    assert "leaflet/leaflet.js" in html


def test_lists_and_pages_hide_what_a_party_may_not_see(ma: MineAction, side_a_user: User) -> None:
    client = _client(side_a_user)
    hazards = client.get(reverse("mineaction:hazard-list")).content.decode()
    assert "HA-PUB" in hazards and "HA-B" not in hazards and "HA-M" not in hazards
    tasks = client.get(reverse("mineaction:activity-list")).content.decode()
    assert "T-PUB" in tasks and "T-B" not in tasks
    hidden = reverse("mineaction:hazard", args=[ma.side_b_hazard.public_id])
    assert client.get(hidden).status_code == 404
    assert (
        client.get(reverse("mineaction:activity", args=[ma.side_b_task.public_id])).status_code
        == 404
    )
    totals = client.get(reverse("mineaction:totals"), {"format": "csv"})
    rows = _csv(totals)
    assert "land_cleared,5.0,ha" in rows and "items_destroyed,30,items" in rows


def test_a_hazard_page_shows_activities_results_and_history(ma: MineAction, analyst: User) -> None:
    html = (
        _client(analyst)
        .get(reverse("mineaction:hazard", args=[ma.public_hazard.public_id]))
        .content.decode()
    )
    assert "T-PUB" in html and "50000" in html and "Version 1" in html
    assert "Change the status" in html


def test_recording_a_hazard_from_pasted_geojson(
    ma: MineAction, places: Places, analyst: User
) -> None:
    client = _client(analyst)
    form = {
        "reference": "HA-FORM",
        "name": "From the form",
        "kind": "suspected",
        "contamination": "uxo",
        "settlement": places.public_settlement.pcode,
        "reported_on": "2020-11-20",
        "geometry": json.dumps(square(46.8, 39.8)),
        "share_with": ["public"],
    }
    response = client.post(reverse("mineaction:hazard-new"), form)
    assert response.status_code == 302
    assert HazardArea.objects.get(reference="HA-FORM").settlement == places.public_settlement
    before = LedgerEntry.objects.count()
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[46, 39], [46.1, 39.1], [46.1, 39], [46, 39.1], [46, 39]]],
    }
    refused = client.post(
        reverse("mineaction:hazard-new"),
        {**form, "reference": "HA-BOW", "geometry": json.dumps(bowtie)},
    )
    assert refused.status_code == 400
    assert "invalid geometry" in refused.content.decode().lower()
    assert LedgerEntry.objects.count() == before


def test_changing_a_status_and_recording_a_result(ma: MineAction, analyst: User) -> None:
    client = _client(analyst)
    response = client.post(
        reverse("mineaction:activity", args=[ma.public_task.public_id]),
        {"reported_on": "2020-11-22", "cleared_m2": "2500"},
    )
    assert response.status_code == 302
    result = LandRelease.objects.get(activity=ma.public_task, reported_on="2020-11-22")
    response = client.post(
        reverse("mineaction:hazard-status", args=[ma.public_hazard.public_id]),
        {
            "version": "1",
            "status": "closed",
            "since": "2020-11-22",
            "released_by": str(result.public_id),
        },
    )
    assert response.status_code == 302
    ma.public_hazard.refresh_from_db()
    assert ma.public_hazard.status == "closed" and ma.public_hazard.released_by == result
    stale = client.post(
        reverse("mineaction:hazard-status", args=[ma.public_hazard.public_id]),
        {"version": "1", "status": "open", "since": "2020-11-23"},
    )
    assert stale.status_code == 400 and "Someone changed" in stale.content.decode()


def test_a_party_without_a_writer_role_gets_no_forms(ma: MineAction, side_a_user: User) -> None:
    client = _client(side_a_user)
    assert client.get(reverse("mineaction:hazard-new")).status_code == 403
    page = client.get(reverse("mineaction:hazard", args=[ma.public_hazard.public_id]))
    assert "Change the status" not in page.content.decode()
    refused = client.post(
        reverse("mineaction:hazard-status", args=[ma.public_hazard.public_id]),
        {"version": "1", "status": "closed", "since": "2020-11-22"},
    )
    assert refused.status_code == 403


def test_totals_page_filters_by_period_and_settlement(
    ma: MineAction, places: Places, admin_user: User
) -> None:
    client = _client(admin_user)
    html = client.get(
        reverse("mineaction:totals"), {"settlement": places.public_settlement.pcode}
    ).content.decode()
    assert "5.00" in html  # ha cleared in the public settlement's hazard
    rows = _csv(client.get(reverse("mineaction:totals"), {"start": "2020-11-21", "format": "csv"}))
    assert "land_cleared,0.0,ha" in rows and "from,2020-11-21,date" in rows


def test_the_screens_speak_russian(ma: MineAction, analyst: User) -> None:
    client = _client(analyst)
    client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    for name, text in (
        ("mineaction:map", "Карта опасных районов"),
        ("mineaction:totals", "Итоги разминирования"),
        ("mineaction:hazard-list", "Опасные районы"),
    ):
        assert text in client.get(reverse(name)).content.decode(), name
    page = client.get(reverse("mineaction:hazard", args=[ma.public_hazard.public_id]))
    assert "Изменить статус" in page.content.decode()
