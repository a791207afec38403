"""The incident map's GeoJSON, written as text from plain rows, equals the reference serializer.

On the demo scenario plus two simulated days recorded through the services by
the mission and both sides' liaison officers (loaded once for the module and
rolled back at its end; each test runs in a savepoint inside it), for every
kind of reader and a spread of filters: the same features in the same order,
value for value (compared as canonical JSON, so 800 and 800.0 differ).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from tests.core.api_client import Api
from tests.scenario_sections import MONITORING
from truce.core import services as core_services
from truce.core.models import User, Zone
from truce.core.scenario import LoadReport, load_scenario
from truce.core.selectors import BBoxFilter
from truce.monitoring.models import Incident
from truce.monitoring.selectors import incidents_visible_to
from truce.monitoring.serializers import incident_collection, incident_map_geojson
from truce.monitoring.services import observations_record_batch
from truce.monitoring.simulate import Layout, Simulator

SCENARIO = "briefings-2020"
FOLDER = Path(settings.TRUCE_SCENARIO_DIR) / SCENARIO
SIM_START = dt.datetime(2020, 11, 21, 14, 0, tzinfo=dt.UTC)
SIM_WINDOWS = [dt.date(2020, 11, 22), dt.date(2020, 11, 23)]
REPORTERS = {"mission": "operator", "side_a": "liaison-a", "side_b": "liaison-b"}
READERS = ["duty", "liaison-a", "liaison-b", "icrc", "viewer"]


def _simulated() -> list[Any]:
    layout = Layout.from_geojson(
        json.loads((FOLDER / "facilities.geojson").read_text(encoding="utf-8")),
        json.loads((FOLDER / "zones.geojson").read_text(encoding="utf-8")),
    )
    simulator = Simulator(layout, start=SIM_START, days=2, seed=11, profile="tense", scale=4)
    sims = [o for index in range(2) for o in simulator.day(index).observations]
    # The simulator shares the mission's reports with both sides and the agencies: vary
    # that, and give some a fraction of a second, which the map writes out.
    for index, o in enumerate(o for o in sims if o.party == "mission"):
        if index % 7 == 0:
            o.data.pop("visibility", None)
        elif index % 11 == 0:
            o.data["visibility"] = ["public"]
        elif index % 5 == 0:
            o.data["visibility"] = ["side_a"]
        if index % 13 == 0:
            o.data["observed_at"] = o.data["observed_at"].replace("Z", ".250000Z")
    return sims


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        report = load_scenario(SCENARIO, demo_passwords=True, only=MONITORING)
        sims = _simulated()
        for party, username in REPORTERS.items():
            actor = User.objects.select_related("party").get(username=username)
            items = [o.data for o in sims if o.party == party]
            for start in range(0, len(items), 500):
                observations_record_batch(actor=actor, items=items[start : start + 500])
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def reader(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def reference(user: User, **filters: Any) -> str:
    """What the endpoint sent before: model instances, incident_collection, json.dumps."""
    rows = (
        incidents_visible_to(user, **filters)
        .filter(min_lon__isnull=False)
        .order_by("-started_at", "-pk")
    )
    return json.dumps(incident_collection(rows, user), cls=DjangoJSONEncoder)


def assert_same(user: User, **filters: Any) -> list[dict[str, Any]]:
    fast = json.loads(incident_map_geojson(user, **filters))
    expected = json.loads(reference(user, **filters))
    assert canonical(fast) == canonical(expected), (user.username, filters)
    features: list[dict[str, Any]] = fast["features"]
    return features


FILTERS: list[dict[str, Any]] = [
    {},
    {"window": SIM_WINDOWS[0]},
    {"window": SIM_WINDOWS[1], "bbox": BBoxFilter(46.4, 39.4, 47.0, 40.1)},
    {"since": SIM_START + dt.timedelta(hours=6), "until": SIM_START + dt.timedelta(hours=30)},
    {"zone": "north"},
    {"status": "reported", "type": "bursts_and_shots"},
    {"window": dt.date(2020, 11, 20)},
    {"window": dt.date(2020, 11, 1)},
]


@pytest.mark.parametrize("username", READERS)
def test_the_text_equals_the_reference_for_every_reader(
    scenario: LoadReport, username: str
) -> None:
    user = reader(username)
    shown = [assert_same(user, **filters) for filters in FILTERS]
    assert shown[-1] == []
    if username != "viewer":
        # The simulated days give every reader but the public something to compare.
        assert len(shown[1]) > 5
    if username == "duty":
        assert len(shown[0]) == Incident.objects.filter(min_lon__isnull=False).count()
        # Fractions of a second are written out as the reference writes them.
        assert any("." in f["properties"]["started_at"] for f in shown[0])
    if username == "viewer":
        assert shown[0], "some incidents are public"


def test_the_sides_see_only_what_is_shared_with_them(scenario: LoadReport) -> None:
    everything = {f["id"] for f in assert_same(reader("duty"))}
    for username, flag in (("liaison-a", "share_side_a"), ("liaison-b", "share_side_b")):
        ids = {f["id"] for f in assert_same(reader(username))}
        shared = {
            str(i.public_id)
            for i in Incident.objects.filter(min_lon__isnull=False, is_deleted=False)
            if getattr(i, flag) or i.share_public
        }
        assert ids == shared
        assert ids < everything  # the mission's own incidents stay off a side's map


def test_a_zone_hidden_from_a_side_is_null_on_its_map(scenario: LoadReport) -> None:
    north = Zone.objects.get(code="north")
    core_services.zone_update(
        actor=reader("admin"),
        zone=north,
        expected_version=north.version,
        changes={},
        visibility=["side_b"],
    )
    side_a = assert_same(reader("liaison-a"))
    side_b = assert_same(reader("liaison-b"))
    in_north = {
        str(pk) for pk in Incident.objects.filter(zone=north).values_list("public_id", flat=True)
    }
    assert in_north & {f["id"] for f in side_a}
    assert all(f["properties"]["zone"] is None for f in side_a if f["id"] in in_north)
    assert any(f["properties"]["zone"] == "north" for f in side_b if f["id"] in in_north)
    # Filtering by the hidden zone's code matches nothing, as in the list.
    assert assert_same(reader("liaison-a"), zone="north") == []


def test_a_party_sees_nothing_of_the_mission_only_incidents(scenario: LoadReport) -> None:
    mission_only = {
        str(i.public_id)
        for i in Incident.objects.filter(
            min_lon__isnull=False,
            share_side_a=False,
            share_side_b=False,
            share_agencies=False,
            share_public=False,
        )
    }
    assert mission_only
    for username in READERS[1:]:
        ids = {f["id"] for f in json.loads(incident_map_geojson(reader(username)))["features"]}
        assert not ids & mission_only, username


def test_the_endpoint_sends_the_fast_text(scenario: LoadReport) -> None:
    user = reader("liaison-a")
    response = Api(user).get("/monitoring/incidents.geojson", window=SIM_WINDOWS[0].isoformat())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response.content.decode() == incident_map_geojson(user, window=SIM_WINDOWS[0])
    assert canonical(response.json()) == canonical(
        json.loads(reference(user, window=SIM_WINDOWS[0]))
    )
