"""Writes of mine action records: every bad input names its field and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.mineaction.conftest import DAY, MineAction, line, square, task
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.mineaction import services, task_services
from truce.mineaction.models import (
    Activity,
    DeviceCount,
    HazardArea,
    HazardStatus,
    LandRelease,
    RoadCheck,
)
from truce.mineaction.selectors import hazards_state_key, open_hazards_for_routing

pytestmark = pytest.mark.django_db

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[46.0, 39.0], [46.1, 39.1], [46.1, 39.0], [46.0, 39.1], [46.0, 39.0]]],
}


def _nothing_written(call: Any, field: str) -> None:
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.field == field, caught.value
    assert LedgerEntry.objects.count() == before


def _hazard_fields(**extra: Any) -> dict[str, Any]:
    return {
        "reference": "HA-NEW",
        "name": "New",
        "kind": "suspected",
        "reported_on": DAY,
        "geometry": square(46.0, 39.0),
        **extra,
    }


def test_a_hazard_area_has_its_geodesic_area_and_versions_on_status_change(
    ma: MineAction,
) -> None:
    area = ma.public_hazard
    assert 80e4 < area.area_m2 < 110e4  # about 0.86 km x 1.11 km
    closed = services.hazard_area_change_status(
        actor=None,
        hazard=area,
        expected_version=area.version,
        status="closed",
        since=dt.date(2020, 11, 21),
        released_by=ma.public_result,
    )
    assert (closed.status, closed.version, closed.released_by) == ("closed", 2, ma.public_result)
    entries = LedgerEntry.objects.filter(record_id=str(area.public_id)).order_by("seq")
    assert [e.record_version for e in entries] == [1, 2]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"geometry": BOWTIE}, "geometry"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[46, 39], [46.1, 39]]]}}, "geometry"),
        ({"geometry": {"type": "Point", "coordinates": [46, 39]}}, "geometry"),
        ({"settlement": "NOPE"}, "settlement"),
        ({"admin_area": "NOPE"}, "admin_area"),
        ({"reported_on": "yesterday"}, "reported_on"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_hazard_is_refused_naming_the_field(
    ma: MineAction, fields: dict[str, Any], field: str
) -> None:
    _nothing_written(
        lambda: services.hazard_area_record(actor=None, fields=_hazard_fields(**fields)), field
    )


def test_a_status_change_through_update_keeps_the_routing_contract(ma: MineAction) -> None:
    closed = services.hazard_area_update(
        actor=None,
        hazard=ma.public_hazard,
        expected_version=1,
        changes={"status": "closed", "status_since": DAY},
    )
    assert (closed.status, closed.status_since, closed.version) == ("closed", DAY, 2)
    reopened = services.hazard_area_update(
        actor=None, hazard=closed, expected_version=2, changes={"status": "open"}
    )
    assert reopened.status == "open" and reopened.released_by is None
    _nothing_written(
        lambda: services.hazard_area_update(
            actor=None, hazard=reopened, expected_version=3, changes={"status": "gone"}
        ),
        "status",
    )


def test_a_bad_status_change_names_its_field(ma: MineAction) -> None:
    _nothing_written(
        lambda: services.hazard_area_change_status(
            actor=None, hazard=ma.public_hazard, expected_version=1, status="gone", since=DAY
        ),
        "status",
    )
    # A release of another hazard is not this one's.
    _nothing_written(
        lambda: services.hazard_area_change_status(
            actor=None,
            hazard=ma.public_hazard,
            expected_version=1,
            status="closed",
            since=DAY,
            released_by=ma.side_b_result,
        ),
        "released_by",
    )


def test_a_stale_version_is_a_conflict(ma: MineAction) -> None:
    services.hazard_area_update(
        actor=None, hazard=ma.public_hazard, expected_version=1, changes={"name": "Renamed"}
    )
    with pytest.raises(Conflict):
        services.hazard_area_update(
            actor=None, hazard=ma.public_hazard, expected_version=1, changes={"name": "Again"}
        )


def test_routing_sees_every_open_hazard_and_the_state_key_moves(ma: MineAction) -> None:
    key = hazards_state_key()
    refs = {h.reference for h in open_hazards_for_routing()}
    assert refs == {"HA-PUB", "HA-B", "HA-M"}
    services.hazard_area_change_status(
        actor=None, hazard=ma.mission_hazard, expected_version=1, status="closed", since=DAY
    )
    assert {h.reference for h in open_hazards_for_routing()} == {"HA-PUB", "HA-B"}
    assert hazards_state_key() != key


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "demining"}, "kind"),
        ({"organisation": "nobody"}, "organisation"),
        ({"hazard": "HA-NONE"}, "hazard"),
        ({"hazard": None}, "hazard"),  # only EOD spot tasks may have none
        ({"settlement": "NOPE"}, "settlement"),
        ({"end_date": dt.date(2020, 11, 1)}, "end_date"),
        ({"status": "paused"}, "status"),
        ({"start_date": None}, "start_date"),
    ],
)
def test_a_bad_activity_is_refused_naming_the_field(
    ma: MineAction, fields: dict[str, Any], field: str
) -> None:
    base = {
        "reference": "T-NEW",
        "kind": "clearance",
        "organisation": "eng",
        "hazard": "HA-PUB",
        "start_date": dt.date(2020, 11, 14),
    }
    _nothing_written(
        lambda: task_services.activity_record(actor=None, fields={**base, **fields}), field
    )


def test_an_eod_spot_task_needs_no_hazard_but_a_place(ma: MineAction, places: Any) -> None:
    eod = task_services.activity_record(
        actor=None,
        fields={
            "reference": "EOD-1",
            "kind": "eod",
            "organisation": "eng",
            "settlement": places.public_settlement.pcode,
            "start_date": DAY,
        },
    )
    assert eod.hazard is None and eod.settlement == places.public_settlement
    _nothing_written(
        lambda: task_services.activity_record(
            actor=None,
            fields={"reference": "EOD-2", "kind": "eod", "organisation": "eng", "start_date": DAY},
        ),
        "settlement",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cleared_m2": -1}, "cleared_m2"),
        ({"reduced_m2": -5, "cleared_m2": 10}, "reduced_m2"),
        ({"cancelled_m2": "lots"}, "cancelled_m2"),
        ({"cleared_m2": 0}, "cleared_m2"),
        ({"reported_on": "2020-11-01", "cleared_m2": 1}, "reported_on"),  # before the task
        ({"cleared_m2": 5_000_000}, "cleared_m2"),  # more than the hazard's area
    ],
)
def test_a_bad_land_release_is_refused_naming_the_field(
    ma: MineAction, fields: dict[str, Any], field: str
) -> None:
    _nothing_written(
        lambda: task_services.land_release_record(
            actor=None, activity=ma.public_task, fields={"reported_on": DAY, **fields}
        ),
        field,
    )


def test_released_land_over_all_results_cannot_exceed_the_area(ma: MineAction) -> None:
    area = ma.public_hazard.area_m2
    already = ma.public_result.released_m2
    # Up to the tolerance is accepted (a drawn outline is not the surveyed boundary) ...
    task_services.land_release_record(
        actor=None,
        activity=ma.public_task,
        fields={"reported_on": DAY, "cleared_m2": area * 1.04 - already},
    )
    # ... and one m2 more over the tolerance, on another task of the same hazard, is not.
    second = task("T-PUB-2", ma.public_hazard, ["public"])
    with pytest.raises(InvalidInput) as caught:
        task_services.land_release_record(
            actor=None,
            activity=second,
            fields={"reported_on": DAY, "reduced_m2": area * 0.02},
        )
    assert caught.value.field == "reduced_m2" and "HA-PUB" in caught.value.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "landmine"}, "category"),
        ({"category": "uxo", "found": -1}, "found"),
        ({"category": "uxo", "found": 1.5}, "found"),
        ({"category": "uxo", "found": 2, "destroyed": 3}, "destroyed"),
    ],
)
def test_a_bad_device_count_is_refused_naming_the_field(
    ma: MineAction, fields: dict[str, Any], field: str
) -> None:
    _nothing_written(
        lambda: task_services.device_count_record(
            actor=None, activity=ma.public_task, fields={"reported_on": DAY, **fields}
        ),
        field,
    )


def test_more_destroyed_than_found_is_accepted_when_explained(ma: MineAction) -> None:
    row = task_services.device_count_record(
        actor=None,
        activity=ma.public_task,
        fields={
            "reported_on": DAY,
            "category": "abandoned_ordnance",
            "found": 2,
            "destroyed": 10,
            "destroyed_note": "8 handed in by residents",
        },
    )
    assert row.destroyed == 10


def test_a_road_check_measures_its_line_geodesically(ma: MineAction) -> None:
    # 0.1 degree of longitude at 39.45 N is about 8.6 km.
    assert 8500 < ma.public_road.length_m < 8700
    assert ma.public_road.km == pytest.approx(ma.public_road.length_m / 1000)
    assert ma.side_b_road.km == 12.5  # the operator's stated figure wins


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"geometry": square(46, 39)}, "geometry"),
        ({"geometry": {"type": "LineString", "coordinates": [[46, 39]]}}, "geometry"),
        ({"organisation": "nobody"}, "organisation"),
        ({"result": "fine"}, "result"),
        ({"stated_km": -3}, "stated_km"),
        ({"checked_on": None}, "checked_on"),
        ({"settlement": "NOPE"}, "settlement"),
    ],
)
def test_a_bad_road_check_is_refused_naming_the_field(
    ma: MineAction, fields: dict[str, Any], field: str
) -> None:
    base = {
        "reference": "RC-NEW",
        "name": "Road",
        "organisation": "eng",
        "checked_on": DAY,
        "result": "clear",
        "geometry": line(46.0, 39.0),
    }
    _nothing_written(
        lambda: task_services.road_check_record(actor=None, fields={**base, **fields}), field
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"settlement": "NOPE"}, "settlement"),
        ({"buildings": 0}, "buildings"),
        ({"buildings": -2}, "buildings"),
        ({"geometry": line(46, 39)}, "geometry"),
    ],
)
def test_a_bad_building_check_is_refused_naming_the_field(
    ma: MineAction, places: Any, fields: dict[str, Any], field: str
) -> None:
    base = {
        "organisation": "eng",
        "settlement": places.public_settlement.pcode,
        "checked_on": DAY,
        "buildings": 3,
    }
    _nothing_written(
        lambda: task_services.building_check_record(actor=None, fields={**base, **fields}),
        field,
    )


def test_an_accident_counts_victims_and_stays_with_the_mission(ma: MineAction, places: Any) -> None:
    accident = task_services.accident_record(
        actor=None,
        fields={
            "occurred_on": DAY,
            "settlement": places.public_settlement.pcode,
            "device_category": "ap_mine",
            "device_type": "PMN-2",
            "injured_men": 1,
            "killed_boys": 1,
        },
    )
    assert (accident.killed, accident.injured, accident.visibility) == (1, 1, ["mission"])
    _nothing_written(
        lambda: task_services.accident_record(
            actor=None,
            fields={
                "occurred_on": DAY,
                "settlement": places.public_settlement.pcode,
                "device_category": "ap_mine",
                "injured_women": -1,
            },
        ),
        "injured_women",
    )
    _nothing_written(
        lambda: task_services.accident_record(
            actor=None,
            fields={
                "occurred_on": DAY,
                "device_category": "rock",
                "settlement": places.public_settlement.pcode,
            },
        ),
        "device_category",
    )
    # No names: the record has no field for one.
    _nothing_written(
        lambda: task_services.accident_record(
            actor=None,
            fields={
                "occurred_on": DAY,
                "device_category": "uxo",
                "settlement": places.public_settlement.pcode,
                "victim_name": "X",
            },
        ),
        "victim_name",
    )


def test_a_batch_writes_all_or_nothing(ma: MineAction) -> None:
    rows = [
        {
            "reference": "RC-1",
            "name": "a",
            "organisation": "eng",
            "checked_on": DAY,
            "result": "clear",
            "geometry": line(46.0, 39.0),
        },
        {
            "reference": "RC-2",
            "name": "b",
            "organisation": "eng",
            "checked_on": DAY,
            "result": "clear",
            "geometry": BOWTIE,
        },
    ]
    before = (RoadCheck.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(InvalidInput) as caught:
        task_services.batch_record(actor=None, kind="road_checks", rows=rows)
    assert caught.value.field == "geometry" and "row 2" in caught.value.message
    assert (RoadCheck.objects.count(), LedgerEntry.objects.count()) == before


def test_an_activity_with_a_bad_result_writes_nothing(ma: MineAction) -> None:
    counts = (Activity.objects.count(), LandRelease.objects.count(), DeviceCount.objects.count())
    with pytest.raises(InvalidInput) as caught:
        task_services.activity_record(
            actor=None,
            fields={
                "reference": "T-X",
                "kind": "clearance",
                "organisation": "eng",
                "hazard": "HA-PUB",
                "start_date": DAY,
            },
            results=[{"reported_on": DAY, "cleared_m2": 10}],
            devices=[{"reported_on": DAY, "category": "bogus"}],
        )
    assert caught.value.field == "category"
    assert (
        Activity.objects.count(),
        LandRelease.objects.count(),
        DeviceCount.objects.count(),
    ) == counts


def test_only_mission_staff_and_agencies_record(ma: MineAction, side_a_user: User) -> None:
    with pytest.raises(PermissionDenied):
        services.hazard_area_record(actor=side_a_user, fields=_hazard_fields())
    with pytest.raises(PermissionDenied):
        task_services.land_release_record(
            actor=side_a_user, activity=ma.public_task, fields={"reported_on": DAY, "cleared_m2": 1}
        )
    assert HazardArea.objects.filter(status=HazardStatus.OPEN).count() == 3
