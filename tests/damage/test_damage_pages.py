"""The damage screens: rollup pages, list, detail, history, export, map; what another party sees."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from truce.core.models import User
from truce.damage.models import Structure

from .helpers import assess

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_rollup_pages_show_counts_with_links_to_the_structures_behind_them(
    places: object, mission_user: User
) -> None:
    assess(mission_user, settlement="T-PUB", needs={"glazing_m2": 12.5, "roofing_m2": 80})
    assess(mission_user, settlement="T-PUB", grade="light")
    client = client_for(mission_user)
    page = client.get(reverse("damage:rollup-settlements"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-settlement="T-PUB"' in html
    assert "?settlement=T-PUB&amp;grade=destroyed" in html
    assert ">25<" in html  # 12.5 m2 of glazing twice
    one = client.get(reverse("damage:rollup-settlement", kwargs={"pcode": "T-PUB"}))
    assert one.status_code == 200
    assert "?settlement=T-PUB&amp;use=housing" in one.content.decode()
    areas = client.get(reverse("damage:rollup-areas"))
    assert areas.status_code == 200
    linked = client.get(reverse("damage:structure-list"), {"settlement": "T-PUB", "grade": "light"})
    assert linked.content.decode().count("data-structure=") == 1


def test_side_b_sees_no_number_list_row_page_or_export_of_a_side_a_structure(
    places: object, mission_user: User, side_a_user: User, side_b_user: User
) -> None:
    s = assess(mission_user, settlement="T-PUB", visibility=["side_a"], reference="SECRET-1")
    a, b = client_for(side_a_user), client_for(side_b_user)
    assert "SECRET-1" in a.get(reverse("damage:structure-list")).content.decode()
    detail = reverse("damage:structure-detail", kwargs={"public_id": s.public_id})
    history = reverse("damage:structure-history", kwargs={"public_id": s.public_id})
    assert a.get(detail).status_code == 200
    assert b.get(detail).status_code == 404
    assert b.get(history).status_code == 404
    assert "SECRET-1" not in b.get(reverse("damage:structure-list")).content.decode()
    export = b.get(reverse("damage:structure-list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 1  # the header only
    settlements = b.get(reverse("damage:rollup-settlements")).content.decode()
    assert 'data-settlement="T-PUB"' not in settlements
    assert "No damage assessments are shared with your party." in settlements
    one = b.get(reverse("damage:rollup-settlement", kwargs={"pcode": "T-PUB"})).content.decode()
    assert "?settlement=T-PUB&amp;grade=destroyed" not in one
    assert b.get(reverse("damage:rollup-settlement", kwargs={"pcode": "T-A"})).status_code == 404


def test_the_export_lists_the_visible_structures_with_their_needs(
    places: object, mission_user: User
) -> None:
    assess(mission_user, settlement="T-PUB", reference="=HYPERLINK()")
    export = client_for(mission_user).get(reverse("damage:structure-list"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["glazing_m2"] == "12.5" and rows[0]["settlement"] == "T-PUB"
    assert rows[0]["reference"] == "'=HYPERLINK()"  # no formula reaches a spreadsheet


def test_the_form_shows_an_unknown_grade_next_to_the_grade_field(
    places: object, mission_user: User
) -> None:
    client = client_for(mission_user)
    response = client.post(
        reverse("damage:structure-create"),
        {
            "settlement": "T-PUB",
            "reference": "F-1",
            "use": "housing",
            "grade": "severe",
            "assessed_on": "2020-11-20",
            "glazing_m2": "-3",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_glazing_m2_error"' in html
    assert "cannot be negative" in html


def test_the_form_records_and_reassesses_as_new_versions(
    places: object, mission_user: User
) -> None:
    client = client_for(mission_user)
    data = {
        "settlement": "T-PUB",
        "reference": "F-2",
        "use": "school",
        "grade": "severe",
        "assessed_on": "2020-11-20",
        "glazing_m2": "30",
        "visibility": ["agencies"],
    }
    created = client.post(reverse("damage:structure-create"), data)
    assert created.status_code == 302
    s = Structure.objects.get()
    assert s.need_glazing_m2 == 30 and s.visibility == ["mission", "agencies"]
    url = reverse("damage:structure-reassess", kwargs={"public_id": s.public_id})
    assert client.get(url).status_code == 200
    again = client.post(
        url,
        {
            "use": "school",
            "grade": "destroyed",
            "assessed_on": "2020-11-21",
            "glazing_m2": "45",
            "expected_version": "1",
        },
    )
    assert again.status_code == 302
    s.refresh_from_db()
    assert (s.version, s.grade, s.need_glazing_m2) == (2, "destroyed", 45)
    history = client.get(reverse("damage:structure-history", kwargs={"public_id": s.public_id}))
    assert history.content.decode().count("data-version=") == 2
    stale = client.post(
        url,
        {"use": "school", "grade": "light", "assessed_on": "2020-11-21", "expected_version": "1"},
    )
    assert stale.status_code == 200 and "version" in stale.content.decode()


def test_a_party_user_gets_no_assessment_forms(places: object, side_a_user: User) -> None:
    client = client_for(side_a_user)
    assert client.get(reverse("damage:structure-create")).status_code == 404
    assert client.get(reverse("damage:structure-import")).status_code == 404


def test_the_map_page_points_at_the_damage_layers(places: object, side_b_user: User) -> None:
    page = client_for(side_b_user).get(reverse("damage:map"), {"measure": "roofing_m2"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "choropleth.geojson?measure=roofing_m2" in html
    assert "leaflet/leaflet.js" in html


def test_the_pages_need_a_login(places: object) -> None:
    response = Client().get(reverse("damage:rollup-areas"))
    assert response.status_code == 302
