"""Registry pages: list, filters, pagination, detail, history and CSV for every kind."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Places
from truce.core import services
from truce.core.models import AdminArea, Organisation, Party, Record, Settlement, User

pytestmark = pytest.mark.django_db

KINDS = ["parties", "organisations", "admin-areas", "settlements", "zones", "facilities"]
AREA = {
    "type": "Polygon",
    "coordinates": [[[46.0, 39.0], [47.0, 39.0], [47.0, 40.0], [46.0, 40.0], [46.0, 39.0]]],
}


@pytest.fixture
def records(places: Places, parties: dict[str, Party]) -> dict[str, Record]:
    """One record of every kind that the mission sees (and the public too)."""
    area = services.admin_area_create(
        actor=None,
        fields={"pcode": "AZ-R1", "display_name": "Region one", "level": 1, "geometry": AREA},
    )
    organisation = services.organisation_create(
        actor=None,
        fields={
            "code": "icrc",
            "name": "International Committee of the Red Cross",
            "acronym": "ICRC",
            "party": "agencies",
            "kind": "agency",
        },
    )
    return {
        "parties": parties["mission"],
        "organisations": organisation,
        "admin-areas": area,
        "settlements": places.public_settlement,
        "zones": places.mission_zone,
        "facilities": places.mission_op,
    }


def _csv(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize("kind", KINDS)
def test_list_detail_history_and_csv_for_each_kind(
    client: Client, mission_user: User, records: dict[str, Record], kind: str
) -> None:
    record = records[kind]
    client.force_login(mission_user)
    list_url = reverse("registry-list", kwargs={"kind": kind})
    detail_url = reverse("registry-detail", kwargs={"kind": kind, "public_id": record.public_id})

    response = client.get(list_url)
    assert response.status_code == 200
    assert detail_url in response.content.decode()

    response = client.get(detail_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert str(record.public_id) in html
    history_url = reverse("registry-history", kwargs={"kind": kind, "public_id": record.public_id})
    assert f'hx-get="{history_url}"' in html

    # HTMX asks for the fragment; a plain request gets a whole page.
    fragment = client.get(history_url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'class="history"' in fragment.content.decode()
    page = client.get(history_url)
    assert "<html" in page.content.decode()

    rows = _csv(client, list_url + "?format=csv")
    assert str(record.public_id) in {row["public_id"] for row in rows}


def test_unknown_kind_is_404(client: Client, mission_user: User) -> None:
    client.force_login(mission_user)
    assert client.get("/registry/incidents/").status_code == 404


def test_detail_of_a_record_of_another_kind_is_404(
    client: Client, mission_user: User, places: Places
) -> None:
    client.force_login(mission_user)
    url = reverse(
        "registry-detail",
        kwargs={"kind": "zones", "public_id": places.public_settlement.public_id},
    )
    assert client.get(url).status_code == 404


def test_settlement_shows_every_name_and_approximate_position(
    client: Client, mission_user: User, parties: dict[str, Party]
) -> None:
    settlement = services.settlement_create(
        actor=None,
        fields={
            "pcode": "AZ-STP",
            "display_name": "Stepanakert",
            "name_az": "Khankendi",
            "name_ru": "Степанакерт",
            "name_hy": "Ստեփանակերտ",
            "geometry": {"type": "Point", "coordinates": [46.75, 39.82]},
            "location_approximate": True,
        },
    )
    client.force_login(mission_user)
    html = client.get(reverse("registry-list", kwargs={"kind": "settlements"})).content.decode()
    assert "Stepanakert" in html
    assert "(Степанакерт, Ստեփանակերտ, Khankendi)" in html
    assert "approximate" in html
    detail = client.get(
        reverse(
            "registry-detail", kwargs={"kind": "settlements", "public_id": settlement.public_id}
        )
    ).content.decode()
    assert "Khankendi" in detail
    assert 'data-approximate="true"' in detail
    assert 'id="record-geometry"' in detail
    rows = _csv(client, reverse("registry-list", kwargs={"kind": "settlements"}) + "?format=csv")
    assert rows[0]["other_names"] == "Степанакерт; Ստեփանակերտ; Khankendi"
    assert rows[0]["approximate"] == "True"
    assert rows[0]["lat"] == "39.82"


def test_filters_narrow_the_list_and_the_csv_alike(
    client: Client, mission_user: User, places: Places
) -> None:
    client.force_login(mission_user)
    url = reverse("registry-list", kwargs={"kind": "settlements"})
    response = client.get(url, {"q": "beta"})
    assert [s.pcode for s in response.context["page"].object_list] == ["T-B"]
    assert [row["pcode"] for row in _csv(client, url + "?q=beta&format=csv")] == ["T-B"]

    facilities = reverse("registry-list", kwargs={"kind": "facilities"})
    response = client.get(facilities, {"op_role": "contact_line", "zone": "north"})
    assert [f.code for f in response.context["page"].object_list] == ["op-n1"]
    response = client.get(facilities, {"kind": "warehouse"})
    assert [f.code for f in response.context["page"].object_list] == ["wh-b"]


def test_invalid_filter_is_reported_not_a_crash(
    client: Client, mission_user: User, places: Places
) -> None:
    client.force_login(mission_user)
    response = client.get(
        reverse("registry-list", kwargs={"kind": "facilities"}), {"op_role": "nonsense"}
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    # The bad filter is ignored, not applied as "match nothing".
    assert response.context["page"].paginator.count == 2


def test_pagination_keeps_the_filters(
    client: Client, mission_user: User, parties: dict[str, Party]
) -> None:
    for number in range(55):
        services.settlement_create(
            actor=None,
            fields={
                "pcode": f"V-{number:03d}",
                "display_name": f"Village {number:03d}",
                "kind": "village",
                "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
            },
        )
    client.force_login(mission_user)
    url = reverse("registry-list", kwargs={"kind": "settlements"})
    response = client.get(url, {"kind": "village"})
    page = response.context["page"]
    assert page.paginator.count == 55
    assert len(page.object_list) == 50
    assert "?kind=village&amp;page=2" in response.content.decode()
    second = client.get(url, {"kind": "village", "page": 2}).context["page"]
    assert len(second.object_list) == 5
    # The CSV is everything the filters select, not one page.
    assert len(_csv(client, url + "?kind=village&page=2&format=csv")) == 55


def test_list_queries_do_not_grow_with_rows(
    client: Client, mission_user: User, parties: dict[str, Party]
) -> None:
    def add(count: int, start: int) -> None:
        area = AdminArea.objects.first()
        for number in range(start, start + count):
            services.settlement_create(
                actor=None,
                fields={
                    "pcode": f"Q-{number:03d}",
                    "display_name": f"Q {number}",
                    "admin_area": area,
                    "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
                },
            )

    services.admin_area_create(
        actor=None, fields={"pcode": "Q-R", "display_name": "Q region", "level": 1}
    )
    client.force_login(mission_user)
    url = reverse("registry-list", kwargs={"kind": "settlements"})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add(3, 0)
    few = queries()
    add(30, 3)
    assert queries() == few


def test_names_are_escaped_everywhere(
    client: Client, mission_user: User, parties: dict[str, Party]
) -> None:
    evil = "<script>alert(1)</script>"
    settlement = services.settlement_create(
        actor=None,
        fields={
            "pcode": "X-1",
            "display_name": evil,
            "name_ru": '"><img src=x onerror=1>',
            "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
        },
    )
    client.force_login(mission_user)
    kwargs: dict[str, Any] = {"kind": "settlements", "public_id": settlement.public_id}
    for url in (
        reverse("registry-list", kwargs={"kind": "settlements"}),
        reverse("registry-detail", kwargs=kwargs),
        reverse("registry-history", kwargs=kwargs),
    ):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert evil not in html, url
        assert "<img src=x" not in html, url


def test_csv_cells_cannot_become_spreadsheet_formulas(
    client: Client, mission_user: User, parties: dict[str, Party]
) -> None:
    services.settlement_create(
        actor=None,
        fields={
            "pcode": "F-1",
            "display_name": '=HYPERLINK("http://x")',
            "geometry": {"type": "Point", "coordinates": [46.5, 39.5]},
        },
    )
    client.force_login(mission_user)
    rows = _csv(client, reverse("registry-list", kwargs={"kind": "settlements"}) + "?format=csv")
    assert rows[0]["display_name"] == '\'=HYPERLINK("http://x")'


def test_history_lists_versions_with_changed_fields(
    client: Client, admin_user: User, mission_user: User, places: Places
) -> None:
    settlement = places.public_settlement
    services.settlement_update(
        actor=admin_user,
        settlement=settlement,
        expected_version=1,
        changes={"baseline_population": 1234},
    )
    client.force_login(mission_user)
    response = client.get(
        reverse(
            "registry-history", kwargs={"kind": "settlements", "public_id": settlement.public_id}
        ),
        HTTP_HX_REQUEST="true",
    )
    versions = response.context["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["actor"] == "admin"
    assert versions[0]["action"] == "updated"
    assert [(str(label), cell.text) for label, cell in versions[0]["changes"]] == [
        ("Baseline population", "1234")
    ]
    assert versions[1]["actor"] == "system"
    assert "1234" in response.content.decode()


def test_organisation_detail_links_its_party(
    client: Client, mission_user: User, records: dict[str, Record]
) -> None:
    organisation = records["organisations"]
    assert isinstance(organisation, Organisation)
    client.force_login(mission_user)
    html = client.get(
        reverse(
            "registry-detail", kwargs={"kind": "organisations", "public_id": organisation.public_id}
        )
    ).content.decode()
    party_url = reverse(
        "registry-detail", kwargs={"kind": "parties", "public_id": organisation.party.public_id}
    )
    assert party_url in html


def test_deleted_records_are_gone_from_pages(
    client: Client, admin_user: User, mission_user: User, places: Places
) -> None:
    settlement = places.public_settlement
    services.registry_delete(actor=admin_user, record=settlement, expected_version=1)
    client.force_login(mission_user)
    kwargs = {"kind": "settlements", "public_id": settlement.public_id}
    assert client.get(reverse("registry-detail", kwargs=kwargs)).status_code == 404
    assert client.get(reverse("registry-history", kwargs=kwargs)).status_code == 404
    listed = client.get(reverse("registry-list", kwargs={"kind": "settlements"}))
    assert settlement not in list(listed.context["page"].object_list)
    assert Settlement.objects.filter(pk=settlement.pk, is_deleted=True).exists()
