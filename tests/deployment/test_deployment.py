"""Deployment: flights and units through the services, the API and the screens, by party."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.core.api_client import Api, error_of, ids
from truce.core import services as core_services
from truce.core.errors import InvalidInput
from truce.core.models import Party, User
from truce.deployment import services
from truce.deployment.models import AirliftFlight, UnitDeployment

pytestmark = pytest.mark.django_db
DAY = dt.date(2020, 11, 12)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _csv(response: object) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def flight(day: dt.date, people: int, kit: int, visibility: list[str]) -> AirliftFlight:
    return services.flight_record(
        actor=None,
        fields={
            "flown_on": day,
            "flight_ref": f"T-{day.day}-{people}",
            "origin": "Ulyanovsk",
            "destination": "Yerevan",
            "aircraft_type": "Il-76MD",
            "personnel": people,
            "equipment_units": kit,
            "source": "test",
        },
        visibility=visibility,
    )


@pytest.fixture
def flights(parties: dict[str, Party]) -> list[AirliftFlight]:
    return [
        flight(DAY, 8, 2, ["side_b"]),
        flight(DAY + dt.timedelta(days=1), 7, 3, ["side_b"]),
        flight(DAY + dt.timedelta(days=1), 5, 1, []),  # the mission's only
    ]


@pytest.fixture
def deployment(parties: dict[str, Party]) -> UnitDeployment:
    core_services.organisation_create(
        actor=None,
        fields={"code": "unit-m", "name": "Mission unit", "party": parties["mission"]},
        visibility=[],
    )
    return services.deployment_record(
        actor=None,
        fields={"unit": "unit-m", "personnel": 188, "deployed_from": DAY, "source": "test"},
    )


def test_bad_flight_input_names_the_field(parties: dict[str, Party]) -> None:
    good = {
        "flown_on": DAY,
        "origin": "A",
        "destination": "B",
        "aircraft_type": "Il-76MD",
        "personnel": 1,
    }
    for change, field in (
        ({"personnel": -1}, "personnel"),
        ({"equipment_units": "two"}, "equipment_units"),
        ({"cargo_t": -3}, "cargo_t"),
        ({"flown_on": "soon"}, "flown_on"),
        ({"origin": ""}, "origin"),
    ):
        with pytest.raises(InvalidInput) as caught:
            services.flight_record(actor=None, fields={**good, **change})
        assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:
        services.deployment_record(actor=None, fields={"unit": "nobody", "deployed_from": DAY})
    assert caught.value.field == "unit"
    assert not AirliftFlight.objects.exists() and not UnitDeployment.objects.exists()


def test_totals_are_sums_of_the_visible_flights(
    flights: list[AirliftFlight], admin_user: User, side_b_user: User, side_a_user: User
) -> None:
    mission = Api(admin_user).get("/deployment/airlift").json()
    assert (mission["flights"], mission["personnel"], mission["equipment_units"]) == (3, 20, 6)
    side_b = Api(side_b_user).get("/deployment/airlift").json()
    assert (side_b["flights"], side_b["personnel"]) == (2, 15)
    assert side_b["by_day"][-1]["cum_personnel"] == 15
    up_to = Api(admin_user).get("/deployment/airlift", as_of=DAY.isoformat()).json()
    assert up_to["flights"] == 1
    nothing = Api(side_a_user).get("/deployment/airlift").json()
    assert nothing["flights"] == 0 and nothing["by_day"] == []


def test_another_party_sees_no_flight_or_deployment(
    flights: list[AirliftFlight], deployment: UnitDeployment, side_a_user: User
) -> None:
    api = Api(side_a_user)
    assert ids(api.get("/deployment/flights/").json()) == set()
    assert ids(api.get("/deployment/units/").json()) == set()
    assert api.get(f"/deployment/flights/{flights[0].public_id}").status_code == 404
    assert api.get(f"/deployment/units/{deployment.public_id}").status_code == 404
    client = _client(side_a_user)
    html = client.get(reverse("deployment:flight-list")).content.decode()
    assert 'data-total="flights">0<' in html and "Ulyanovsk" not in html
    assert "Ulyanovsk" not in _csv(client.get(reverse("deployment:flight-list"), {"format": "csv"}))
    detail = client.get(reverse("deployment:flight", args=[flights[0].public_id]))
    assert detail.status_code == 404
    units = client.get(reverse("deployment:unit-list")).content.decode()
    assert "Mission unit" not in units
    assert "unit-m" not in _csv(client.get(reverse("deployment:unit-list"), {"format": "csv"}))


def test_the_flights_screen_totals_chart_and_csv(
    flights: list[AirliftFlight], admin_user: User
) -> None:
    client = _client(admin_user)
    html = client.get(reverse("deployment:flight-list")).content.decode()
    assert 'data-total="flights">3<' in html and 'data-total="personnel">20<' in html
    assert "<polyline" in html
    csv = _csv(client.get(reverse("deployment:flight-list"), {"format": "csv"}))
    assert csv.count("Il-76MD") == 3


def test_the_forms_record_a_flight_and_a_deployment(
    parties: dict[str, Party], deployment: UnitDeployment, admin_user: User, side_b_user: User
) -> None:
    client = _client(admin_user)
    bad = client.post(
        reverse("deployment:flight-new"),
        {
            "flown_on": DAY,
            "origin": "A",
            "destination": "B",
            "aircraft_type": "An-124",
            "personnel": -4,
            "equipment_units": 1,
        },
    )
    assert bad.status_code == 400 and not AirliftFlight.objects.exists()
    made = client.post(
        reverse("deployment:flight-new"),
        {
            "flown_on": DAY,
            "origin": "A",
            "destination": "B",
            "aircraft_type": "An-124",
            "personnel": 4,
            "equipment_units": 1,
        },
    )
    assert made.status_code == 302 and AirliftFlight.objects.get().aircraft_type == "An-124"
    unit = client.post(
        reverse("deployment:unit-list"),
        {"unit": "unit-m", "personnel": "", "deployed_from": "2020-11-15"},
    )
    assert unit.status_code == 302
    assert UnitDeployment.objects.filter(personnel__isnull=True).count() == 1
    api = Api(side_b_user).post(
        "/deployment/flights/",
        {"flown_on": "2020-11-12", "origin": "A", "destination": "B", "aircraft_type": "x"},
    )
    assert api.status_code == 403 and error_of(api)["field"] is None


def test_a_flight_is_corrected_as_a_new_version(
    flights: list[AirliftFlight], admin_user: User, side_a_user: User
) -> None:
    target = flights[0]
    hidden = Api(side_a_user).patch(
        f"/deployment/flights/{target.public_id}", {"expected_version": 1, "personnel": 9}
    )
    assert hidden.status_code == 404
    fixed = Api(admin_user).patch(
        f"/deployment/flights/{target.public_id}", {"expected_version": 1, "personnel": 9}
    )
    assert fixed.status_code == 200 and fixed.json()["version"] == 2
    assert fixed.json()["personnel"] == 9 and fixed.json()["origin"] == "Ulyanovsk"
    bad = Api(admin_user).patch(
        f"/deployment/flights/{target.public_id}", {"expected_version": 2, "personnel": -1}
    )
    assert bad.status_code == 422 and error_of(bad)["field"] == "personnel"
    assert Api(admin_user).get("/deployment/airlift").json()["personnel"] == 21
