"""The demo roads' scenario sections on a copy of the scenario: bad data stops the load
naming file, item and field with nothing written; an edited file is a new version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.scenario_sections import briefings_sections
from truce.core.scenario import ScenarioError, load_scenario
from truce.routing.models import Corridor, RoadNetwork, RoadSegment, SegmentStatus

pytestmark = pytest.mark.django_db
SECTIONS = briefings_sections("routing")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "scenario"
    shutil.copytree(Path(settings.TRUCE_SCENARIO_DIR) / "briefings-2020", target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_status_of_an_unknown_segment_stops_the_load(copy: Path) -> None:
    _replace(copy / "routing" / "segment_statuses.csv", "agdam-01,closed", "agdam-99,closed")
    with pytest.raises(ScenarioError) as error:
        load_scenario(copy, demo_passwords=True, only=SECTIONS)
    assert error.value.field == "segment" and "agdam-99" in error.value.message
    assert error.value.file == "routing/segment_statuses.csv"
    assert not RoadNetwork.objects.exists() and not SegmentStatus.objects.exists()


def test_a_corridor_of_an_unknown_segment_stops_the_load(copy: Path) -> None:
    _replace(copy / "routing" / "corridors.yaml", "corridor-07]", "corridor-77]")
    with pytest.raises(ScenarioError) as error:
        load_scenario(copy, demo_passwords=True, only=SECTIONS)
    assert error.value.field == "segments" and "corridor-77" in error.value.message
    assert not RoadNetwork.objects.exists() and not Corridor.objects.exists()


def test_a_bad_status_names_its_field(copy: Path) -> None:
    _replace(copy / "routing" / "segment_statuses.csv", "agdam-01,closed", "agdam-01,mined")
    with pytest.raises(ScenarioError) as error:
        load_scenario(copy, demo_passwords=True, only=SECTIONS)
    assert error.value.field == "status"


def test_an_edited_network_file_is_a_new_version_keeping_the_statuses(copy: Path) -> None:
    load_scenario(copy, demo_passwords=True, only=SECTIONS)
    network = RoadNetwork.objects.get(slug="briefings-2020-roads")
    _replace(copy / "routing" / "roads.geojson", '"maxweight":12', '"maxweight":10')
    again = load_scenario(copy, demo_passwords=True, only=SECTIONS)
    (networks,) = [s for s in again.sections if s.type == "routing.networks"]
    assert networks.updated == 1
    network.refresh_from_db()
    assert network.version == 2
    assert RoadSegment.objects.get(network=network, key="martakert-02").max_weight_t == 10.0
    assert RoadSegment.objects.get(network=network, key="corridor-04").status == "verified_clear"
