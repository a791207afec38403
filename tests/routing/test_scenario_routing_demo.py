"""The "Done when" on the demo as a whole: mine action's hazard areas and the roads.

Mine action's hazards by the corridor road were released by 17 Nov, so the convoy
follows the corridor; one still open lies on the Qubadli north road (the Hakari valley
alternative), so a hazard recorded across the corridor leaves no safe way: the route
reports the block, naming that hazard, until it is closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.routing.test_scenario_routing import ACROSS_THE_CORRIDOR
from tests.scenario_sections import briefings_sections
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario
from truce.mineaction import services as mineaction
from truce.mineaction.models import HazardArea
from truce.routing import planning
from truce.routing.models import Corridor
from truce.routing.services import plan_route

SECTIONS = briefings_sections("mineaction", "routing")
GORIS, STEPANAKERT = "AM-SU-001", "AZ-XA-001"


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_scenario("briefings-2020", demo_passwords=True, only=SECTIONS)
        transaction.set_rollback(True)


@pytest.fixture
def demo(loaded: LoadReport, db: None) -> Iterator[LoadReport]:
    planning.forget_graphs()
    yield loaded
    planning.forget_graphs()


def convoy(**options: Any) -> dict[str, Any]:
    analyst = User.objects.select_related("party").get(username="analyst")
    plan = plan_route(
        user=analyst, origin=GORIS, destination=STEPANAKERT, profile="lorry", **options
    )
    return plan.as_dict()


def test_the_convoy_follows_the_corridor_past_the_released_hazards(demo: LoadReport) -> None:
    assert HazardArea.objects.filter(status="open").exists()  # some are still open
    route = convoy()
    corridor = Corridor.objects.get(name="Lachin corridor")
    assert [s["key"] for s in route["segments"]] == corridor.segment_keys
    assert route["avoided"] == []


def test_a_hazard_across_the_corridor_reports_the_block_until_it_is_closed(
    demo: LoadReport,
) -> None:
    hazard = mineaction.hazard_area_record(
        actor=None,
        fields={
            "reference": "HA-LAC-NEW",
            "name": "Mines reported on the Aghavno road",
            "kind": "suspected",
            "status": "open",
            "geometry": ACROSS_THE_CORRIDOR,
            "reported_on": dt.date(2020, 11, 20),
        },
    )
    for verified_only in (False, True):
        blocked = convoy(verified_only=verified_only)
        assert blocked["found"] is False
        assert "HA-LAC-NEW" in [b.get("reference") for b in blocked["blockers"]]
    mineaction.hazard_area_update(
        actor=None,
        hazard=hazard,
        expected_version=hazard.version,
        changes={"status": "closed", "status_since": dt.date(2020, 11, 21)},
    )
    assert convoy()["found"] is True
