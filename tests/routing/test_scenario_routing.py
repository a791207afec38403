"""The issue's "Done when" for routing, on the demo roads loaded through the services.

A lorry convoy from Goris to Stepanakert follows the Lachin corridor; an open hazard
area recorded across the corridor road reroutes the next route (through the Hakari
valley, not verified) or, verified roads only, reports the block with that hazard;
closing the hazard restores the corridor route. A second load writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.scenario_sections import briefings_sections
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.mineaction import services as mineaction
from truce.mineaction.models import HazardArea
from truce.routing import planning
from truce.routing.models import Corridor, RoadNetwork, RoadSegment, SegmentStatus
from truce.routing.services import plan_route

SECTIONS = briefings_sections("routing")
BRIEFING_DAY = dt.date(2020, 11, 20)
GORIS, STEPANAKERT = "AM-SU-001", "AZ-XA-001"
# A box across the Aghavno - Lachin road (corridor-04), clear of the Hakari valley road.
ACROSS_THE_CORRIDOR = {
    "type": "Polygon",
    "coordinates": [
        [[46.515, 39.600], [46.560, 39.600], [46.560, 39.607], [46.515, 39.607], [46.515, 39.600]]
    ],
}


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> Iterator[LoadReport]:
    # Each test records its own hazards (rolled back after it): start from a fresh graph.
    planning.forget_graphs()
    yield loaded
    planning.forget_graphs()


def user(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def convoy(**options: Any) -> dict[str, Any]:
    plan = plan_route(
        user=user("analyst"),
        origin=GORIS,
        destination=STEPANAKERT,
        profile="lorry",
        weight_t=20.0,
        **options,
    )
    return plan.as_dict()


def corridor_keys() -> list[str]:
    return list(Corridor.objects.get(name="Lachin corridor").segment_keys)


def record_hazard_across_the_corridor() -> HazardArea:
    return mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": "HA-LAC-TEST",
            "name": "Mines reported on the Aghavno road",
            "kind": "suspected",
            "status": "open",
            "geometry": ACROSS_THE_CORRIDOR,
            "reported_on": BRIEFING_DAY,
            "source": "test",
        },
    )


def test_the_demo_network_corridor_and_statuses_are_loaded(scenario: LoadReport) -> None:
    network = RoadNetwork.objects.get(slug="briefings-2020-roads")
    assert network.segment_count == RoadSegment.objects.filter(network=network).count() >= 30
    corridor = Corridor.objects.get(name="Lachin corridor")
    assert corridor.designation == "humanitarian corridor under the peacekeepers' control"
    assert corridor.open_to_civilians_since == dt.date(2020, 11, 17)
    segments = RoadSegment.objects.filter(network=network, key__in=corridor.segment_keys)
    assert {s.status for s in segments} == {"verified_clear"}
    assert {s.status_since for s in segments} == {dt.date(2020, 11, 17)}
    closed = RoadSegment.objects.get(network=network, key="agdam-01")
    assert closed.status == "closed"
    assert SegmentStatus.objects.filter(segment_key="agdam-01", status="closed").get().reason
    bridge = RoadSegment.objects.get(network=network, key="martakert-02")
    assert bridge.bridge and bridge.max_weight_t == 12.0


def test_a_lorry_convoy_from_goris_to_stepanakert_follows_the_lachin_corridor(
    scenario: LoadReport,
) -> None:
    route = convoy()
    assert route["found"] is True
    keys = [s["key"] for s in route["segments"]]
    assert keys == corridor_keys()
    assert {s["status"] for s in route["segments"]} == {"verified_clear"}
    assert {s["corridor"] for s in route["segments"]} == {"Lachin corridor"}
    assert 65_000 < route["length_m"] < 80_000  # about 75 km (README.md)
    # The same with verified roads only: the corridor is verified clear end to end.
    assert [s["key"] for s in convoy(verified_only=True)["segments"]] == keys


def test_a_hazard_across_the_corridor_reroutes_or_blocks_until_it_is_closed(
    scenario: LoadReport,
) -> None:
    hazard = record_hazard_across_the_corridor()

    rerouted = convoy()
    assert rerouted["found"] is True
    keys = [s["key"] for s in rerouted["segments"]]
    assert "corridor-04" not in keys
    assert {"hakari-02", "hakari-03"} <= set(keys)  # the Hakari valley road, not verified
    assert any(s["status"] == "not_verified" for s in rerouted["segments"])
    assert rerouted["length_m"] > convoy_length_without_hazard_m()

    blocked = convoy(verified_only=True)
    assert blocked["found"] is False
    hazards = [b for b in blocked["blockers"] if b["kind"] == "hazard"]
    assert [b["reference"] for b in hazards] == ["HA-LAC-TEST"]
    assert hazards[0]["id"] == str(hazard.public_id)

    mineaction.hazard_area_update(
        actor=None,
        hazard=hazard,
        expected_version=hazard.version,
        changes={"status": "closed", "status_since": BRIEFING_DAY},
    )
    restored = convoy()
    assert [s["key"] for s in restored["segments"]] == corridor_keys()


def test_with_the_hakari_road_blocked_too_the_route_reports_the_corridor_hazard(
    scenario: LoadReport,
) -> None:
    # The mine action demo keeps an open hazard on the Qubadli north road (hakari-02);
    # with it, a hazard across the corridor leaves no safe way, and the block is named.
    north_of_qubadli = [[46.5766, 39.3593], [46.5871, 39.3593], [46.5871, 39.3656]]
    mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": "HA-QBI-TEST",
            "name": "Qubadli north road",
            "kind": "suspected",
            "status": "open",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[*north_of_qubadli, [46.5766, 39.3656], north_of_qubadli[0]]],
            },
            "reported_on": BRIEFING_DAY,
        },
    )
    assert [s["key"] for s in convoy()["segments"]] == corridor_keys()
    record_hazard_across_the_corridor()
    blocked = convoy()
    assert blocked["found"] is False
    assert [b.get("reference") for b in blocked["blockers"]] == ["HA-LAC-TEST"]


def convoy_length_without_hazard_m() -> float:
    # The corridor road's length, from its segments (what the first route measured).
    corridor = Corridor.objects.get(name="Lachin corridor")
    return sum(
        RoadSegment.objects.filter(key__in=corridor.segment_keys).values_list("length_m", flat=True)
    )


def test_a_hazard_the_reader_may_not_see_still_blocks_but_is_not_named(
    scenario: LoadReport,
) -> None:
    mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": "HA-LAC-MISSION",
            "name": "Mission-only report",
            "kind": "suspected",
            "status": "open",
            "geometry": ACROSS_THE_CORRIDOR,
            "reported_on": BRIEFING_DAY,
        },
        visibility=[],
    )
    plan = plan_route(
        user=user("liaison-b"), origin=GORIS, destination=STEPANAKERT, verified_only=True
    ).as_dict()
    assert plan["found"] is False
    hazards = [b for b in plan["blockers"] if b["kind"] == "hazard"]
    assert hazards == [{"kind": "hazard", "restricted": True}]


def test_the_figures_come_from_the_records(scenario: LoadReport) -> None:
    query = FigureQuery(user=user("analyst"), as_of=BRIEFING_DAY)
    since = figure_value("routing_corridor_open_to_civilians_since", query)
    assert since.value == "2020-11-17"
    assert [c.name for c in since.records] == ["Lachin corridor"]
    assert "17 Nov" in since.sources[0]

    clear = figure_value("routing_road_verified_clear_km", query)
    assert clear.value == pytest.approx(convoy_length_without_hazard_m() / 1000.0, abs=0.1)
    assert set(clear.breakdown) == {"Lachin corridor"}
    assert len(clear.records) == len(corridor_keys())
    before = figure_value(
        "routing_road_verified_clear_km",
        FigureQuery(user=user("analyst"), as_of=dt.date(2020, 11, 16)),
    )
    assert before.value == 0
    assert (
        figure_value(
            "routing_corridor_open_to_civilians_since",
            FigureQuery(user=user("analyst"), as_of=dt.date(2020, 11, 16)),
        ).value
        is None
    )


def test_a_second_load_writes_nothing(scenario: LoadReport) -> None:
    again = load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
    routing = [s for s in again.sections if s.type.startswith("routing.")]
    assert routing and all(s.created == 0 and s.updated == 0 for s in routing)
