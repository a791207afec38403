"""The readiness matrix: the latest report by the day, and only what the reader may see."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Places
from tests.winter.conftest import DAY, Winter, report
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.winter.selectors import latest_report_day, readiness

pytestmark = pytest.mark.django_db


def _cells(user: User, places: Places, as_of: dt.date = DAY) -> dict[str, str]:
    state = readiness(user, as_of=as_of)
    (row,) = [r for r in state.rows if r.settlement == places.public_settlement]
    return {u: (r.state if r else "unknown") for u, r in row.reports.items()}


def test_the_mission_sees_every_report(winter: Winter, places: Places, admin_user: User) -> None:
    assert _cells(admin_user, places) == {
        "power": "partial",
        "gas": "unknown",
        "heat": "out",
        "water": "working",
    }


def test_a_party_sees_only_reports_shared_with_it(
    winter: Winter, places: Places, side_b_user: User, side_a_user: User, agency_user: User
) -> None:
    assert _cells(side_b_user, places) == {
        "power": "partial",
        "gas": "unknown",
        "heat": "unknown",
        "water": "unknown",
    }
    assert _cells(side_a_user, places)["water"] == "working"
    assert _cells(side_a_user, places)["power"] == "unknown"
    assert _cells(agency_user, places) == {
        "power": "unknown",
        "gas": "unknown",
        "heat": "out",
        "water": "unknown",
    }


def test_a_settlement_hidden_from_a_party_is_not_a_row(
    winter: Winter, places: Places, side_b_user: User
) -> None:
    report(places.side_a_settlement, "heat", "out", DAY, ["side_b"])
    rows = {r.settlement.pcode for r in readiness(side_b_user, as_of=DAY).rows}
    assert places.side_a_settlement.pcode not in rows


def test_the_state_on_a_day_is_the_latest_report_begun_by_then(
    winter: Winter, places: Places, admin_user: User
) -> None:
    report(places.public_settlement, "heat", "partial", DAY + dt.timedelta(days=2), ["agencies"])
    assert _cells(admin_user, places)["heat"] == "out"
    assert _cells(admin_user, places, DAY + dt.timedelta(days=2))["heat"] == "partial"
    # Before the first report, nothing is known.
    assert _cells(admin_user, places, DAY - dt.timedelta(days=30))["heat"] == "unknown"


def test_totals_count_settlements_per_state(
    winter: Winter, places: Places, admin_user: User, side_b_user: User
) -> None:
    state = readiness(admin_user, as_of=DAY)
    assert state.totals["heat"]["out"] == 1
    assert sum(state.totals["heat"].values()) == len(state.rows)
    assert readiness(side_b_user, as_of=DAY).totals["heat"]["out"] == 0


def test_figures_count_only_what_the_reader_sees(
    winter: Winter, admin_user: User, side_b_user: User, side_a_user: User
) -> None:
    out = figure_value("winter_settlements_with_utility_out", FigureQuery(admin_user, DAY))
    assert out.value == 1 and out.records == [winter.agencies_report]
    hidden = figure_value("winter_settlements_with_utility_out", FigureQuery(side_b_user, DAY))
    assert hidden.value == 0 and hidden.records == []

    medical = figure_value("winter_medical_needs_open", FigureQuery(admin_user, DAY))
    assert medical.value == 1 and medical.records == [winter.medical_need]
    assert figure_value("winter_medical_needs_open", FigureQuery(side_a_user, DAY)).value == 0


def test_rows_come_worst_first_then_those_without_a_report(
    winter: Winter, places: Places, admin_user: User
) -> None:
    report(places.mission_settlement, "power", "partial", DAY, ["agencies"])
    order = [row.worst for row in readiness(admin_user, as_of=DAY).rows]
    assert order[:2] == ["out", "partial"]
    assert set(order[2:]) == {"unknown"}


def test_the_matrix_opens_on_the_newest_report_day_the_reader_sees(
    winter: Winter, admin_user: User, side_b_user: User
) -> None:
    today = dt.date(2026, 12, 3)
    assert latest_report_day(admin_user, not_after=today) == DAY - dt.timedelta(days=3)
    assert latest_report_day(side_b_user, not_after=today) == DAY - dt.timedelta(days=5)
    assert latest_report_day(side_b_user, not_after=DAY - dt.timedelta(days=20)) == (
        DAY - dt.timedelta(days=20)
    )
