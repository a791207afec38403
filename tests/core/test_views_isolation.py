"""Party isolation in the web UI: a party sees none of the other party's or the
mission's records, in lists, details, history, CSV exports and home counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from truce.core import services
from truce.core.models import Facility, Record, User

pytestmark = pytest.mark.django_db


def _csv_ids(client: Client, kind: str) -> set[str]:
    response = client.get(reverse("registry-list", kwargs={"kind": kind}) + "?format=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return {row["public_id"] for row in csv.DictReader(io.StringIO(body))}


def _list_ids(client: Client, kind: str) -> set[str]:
    response = client.get(reverse("registry-list", kwargs={"kind": kind}))
    assert response.status_code == 200
    return {str(record.public_id) for record in response.context["page"].object_list}


def _urls(kind: str, record: Record) -> tuple[str, str]:
    kwargs = {"kind": kind, "public_id": record.public_id}
    return reverse("registry-detail", kwargs=kwargs), reverse("registry-history", kwargs=kwargs)


def _hidden(places: Places, viewer: str) -> list[tuple[str, Record]]:
    """Records the viewer's party may not see: the other side's and the mission's."""
    other_settlement = places.side_b_settlement if viewer == "side_a" else places.side_a_settlement
    hidden: list[tuple[str, Record]] = [
        ("settlements", other_settlement),
        ("settlements", places.mission_settlement),
        ("zones", places.mission_zone),
        ("facilities", places.mission_op),
    ]
    if viewer == "side_a":
        hidden.append(("facilities", places.side_b_facility))
    return hidden


@pytest.mark.parametrize("viewer", ["side_a", "side_b"])
def test_a_side_sees_nothing_of_the_other_side_or_the_mission(
    client: Client, places: Places, side_a_user: User, side_b_user: User, viewer: str
) -> None:
    user = side_a_user if viewer == "side_a" else side_b_user
    client.force_login(user)
    for kind, record in _hidden(places, viewer):
        record_id = str(record.public_id)
        assert record_id not in _list_ids(client, kind), (kind, record)
        assert record_id not in _csv_ids(client, kind), (kind, record)
        detail, history = _urls(kind, record)
        # 404, never 403: a hidden record's existence is not revealed either.
        assert client.get(detail).status_code == 404, detail
        assert client.get(history).status_code == 404, history
        assert client.get(history, HTTP_HX_REQUEST="true").status_code == 404, history

    own = places.side_a_settlement if viewer == "side_a" else places.side_b_settlement
    assert str(own.public_id) in _list_ids(client, "settlements")
    assert str(own.public_id) in _csv_ids(client, "settlements")
    detail, history = _urls("settlements", own)
    assert client.get(detail).status_code == 200
    assert client.get(history).status_code == 200


@pytest.mark.parametrize("viewer", ["side_a", "side_b"])
def test_home_counts_leave_out_what_a_side_may_not_see(
    client: Client, places: Places, side_a_user: User, side_b_user: User, viewer: str
) -> None:
    client.force_login(side_a_user if viewer == "side_a" else side_b_user)
    counts = client.get(reverse("home")).context["counts"]
    assert counts["settlements"] == 2
    assert counts["zones"] == 0
    assert counts["facilities"] == (1 if viewer == "side_b" else 0)


def test_the_mission_sees_everything(client: Client, places: Places, mission_user: User) -> None:
    client.force_login(mission_user)
    assert len(_list_ids(client, "settlements")) == 4
    for kind, record in _hidden(places, "side_a"):
        detail, history = _urls(kind, record)
        assert client.get(detail).status_code == 200
        assert client.get(history).status_code == 200


@pytest.fixture
def side_b_checkpoint(places: Places) -> Facility:
    """Shared with side B, but in a zone only the mission may see."""
    return services.facility_create(
        actor=None,
        fields={
            "code": "cp-b",
            "name": "Side B checkpoint",
            "kind": "checkpoint",
            "zone": "north",
            "settlement": "T-M",
            "geometry": {"type": "Point", "coordinates": [46.7, 39.7]},
        },
        visibility=["side_b"],
    )


def test_references_to_hidden_records_are_not_shown(
    client: Client, side_b_user: User, side_b_checkpoint: Facility
) -> None:
    client.force_login(side_b_user)
    detail, history = _urls("facilities", side_b_checkpoint)
    pages = {
        "list": client.get(reverse("registry-list", kwargs={"kind": "facilities"})),
        "detail": client.get(detail),
        "history": client.get(history),
        "csv": client.get(reverse("registry-list", kwargs={"kind": "facilities"}) + "?format=csv"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        body = (
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
            if response.streaming
            else response.content
        ).decode()
        assert "Side B checkpoint" in body, name
        assert "Northern zone" not in body, name
        assert "Missionville" not in body, name
        if name == "csv":
            row = next(csv.DictReader(io.StringIO(body)))
            assert row["zone"] == ""
            assert row["settlement"] == ""


def test_the_mission_sees_the_references(
    client: Client, mission_user: User, side_b_checkpoint: Facility
) -> None:
    client.force_login(mission_user)
    detail, _history = _urls("facilities", side_b_checkpoint)
    html = client.get(detail).content.decode()
    assert "Northern zone" in html
    assert "Missionville" in html


def test_filter_choices_offer_only_visible_records(
    client: Client, side_b_user: User, places: Places
) -> None:
    client.force_login(side_b_user)
    url = reverse("registry-list", kwargs={"kind": "facilities"})
    response = client.get(url)
    assert "Northern zone" not in response.content.decode()
    # Filtering by a zone the party cannot see is refused, not answered.
    response = client.get(url, {"zone": "north"})
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()


def test_only_the_mission_sees_with_whom_a_record_is_shared(
    client: Client, places: Places, side_a_user: User, mission_user: User
) -> None:
    detail, history = _urls("settlements", places.side_a_settlement)
    client.force_login(side_a_user)
    assert "Shared with" not in client.get(detail).content.decode()
    assert "Shared with" not in client.get(history).content.decode()
    client.force_login(mission_user)
    assert "Shared with" in client.get(detail).content.decode()
    assert "Shared with" in client.get(history).content.decode()
