"""Daily flow counts: one row per point, day, direction and escort; corrections are versions."""

from __future__ import annotations

import datetime as dt

from tests.population.conftest import Corridor
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.population.models import FlowCount
from truce.population.selectors import flow_days, monitoring_points_visible_to
from truce.population.services import flow_count_record


def record(people: int, **extra: object) -> str:
    result = flow_count_record(
        actor=None,
        point="ctp-01",
        day=dt.date(2020, 11, 15),
        direction="inbound",
        escorted=True,
        people=people,
        visibility=["both_sides", "agencies"],
        **extra,
    )
    return result.outcome


def test_a_correction_is_a_new_version_of_the_same_row(corridor: Corridor) -> None:
    assert record(100) == "created"
    assert record(100) == "unchanged"
    assert record(104) == "updated"
    row = FlowCount.objects.get()
    assert (row.people, row.version) == (104, 2)
    entries = LedgerEntry.objects.filter(record_id=str(row.public_id)).order_by("seq")
    assert [e.action for e in entries] == ["create", "correct"]


def test_daily_rows_split_direction_and_escort(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    record(100)
    flow_count_record(
        actor=None,
        point="ctp-01",
        day=dt.date(2020, 11, 15),
        direction="outbound",
        escorted=False,
        people=7,
        vehicles=2,
        visibility=["both_sides", "agencies"],
    )
    (day,) = flow_days(readers["side_b"], point="ctp-01")
    assert (day.inbound_escorted, day.outbound_other, day.inbound, day.vehicles) == (100, 7, 100, 2)


def test_monitoring_points_are_checkpoints_and_corridor_posts_the_reader_sees(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    mission = {p.code for p in monitoring_points_visible_to(readers["duty_officer"])}
    side_b = {p.code for p in monitoring_points_visible_to(readers["side_b"])}
    assert mission == {"ctp-01", "cp-m"}
    assert side_b == {"ctp-01"}


def test_a_mission_only_count_is_not_in_a_sides_days(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    flow_count_record(
        actor=None,
        point="cp-m",
        day=dt.date(2020, 11, 16),
        direction="inbound",
        escorted=False,
        people=5,
    )
    assert flow_days(readers["side_a"], point="cp-m") == []
    assert flow_days(readers["side_a"]) == []
    assert flow_days(readers["duty_officer"])[0].inbound_other == 5


def test_a_new_count_is_visible_to_whoever_sees_the_point(
    corridor: Corridor, readers: dict[str, User]
) -> None:
    result = flow_count_record(
        actor=readers["op_operator"],
        point="ctp-01",
        day=dt.date(2020, 11, 17),
        direction="outbound",
        escorted=False,
        people=12,
    )
    assert set(result.count.visibility) == {"mission", "side_a", "side_b", "agencies"}
    assert flow_days(readers["side_a"], point="ctp-01")[0].outbound_other == 12
