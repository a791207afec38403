"""The monitoring figures: values, breakdowns and the records behind them, per reader."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.conftest import Front, ObsFactory
from tests.scenario_sections import MONITORING
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.monitoring.models import Incident
from truce.monitoring.services import incident_set_status, observations_record_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]
DAY = dt.date(2020, 11, 20)


def _verify(incident: Incident, user: User) -> Incident:
    for status in ("under_review", "verified"):
        incident = incident_set_status(
            actor=user, incident=incident, status=status, expected_version=incident.version
        )
    return incident


@pytest.fixture
def day(front: Front, operator: User, make_obs: ObsFactory) -> list[Incident]:
    results = observations_record_batch(
        actor=operator,
        items=[
            make_obs(lon=46.30, lat=39.56, visibility=["side_a"]),
            make_obs(lon=46.50, lat=39.56, type="illumination_flare"),
            make_obs(lon=46.70, lat=39.56, type="provocation", count=2),
            make_obs(lon=46.70, lat=39.80, type="provocation", observed_at="2020-11-20T15:00:00Z"),
        ],
    )
    return [Incident.objects.get(pk=r.observation.incident_id) for r in results]


def test_verified_violations_count_only_verified_violation_types(
    day: list[Incident], mission_user: User, side_a_user: User
) -> None:
    query = FigureQuery(user=mission_user, as_of=DAY)
    empty = figure_value("ceasefire_violations_verified", query)
    assert (empty.value, empty.records) == (0, [])
    explosion, flare, provocation, _ = day
    for incident in (explosion, flare):
        _verify(incident, mission_user)
    incident_set_status(
        actor=mission_user, incident=provocation, status="under_review", expected_version=1
    )
    value = figure_value("ceasefire_violations_verified", query)
    assert value.value == 1
    assert [r.pk for r in value.records] == [explosion.pk]
    assert value.breakdown == {"Explosion: impact": 1}
    assert (
        figure_value(
            "ceasefire_violations_verified", FigureQuery(user=side_a_user, as_of=DAY)
        ).value
        == 1
    )
    next_day = FigureQuery(user=mission_user, as_of=DAY + dt.timedelta(days=1))
    assert figure_value("ceasefire_violations_verified", next_day).value == 0


def test_provocations_are_counted_in_their_mission_day(
    day: list[Incident], mission_user: User, side_b_user: User
) -> None:
    value = figure_value("provocations_recorded", FigureQuery(user=mission_user, as_of=DAY))
    assert value.value == 1
    assert value.unit == "observations"
    # 15:00 UTC is 19:00 in Baku: the next mission day.
    later = FigureQuery(user=mission_user, as_of=DAY + dt.timedelta(days=1))
    assert figure_value("provocations_recorded", later).value == 1
    assert (
        figure_value("provocations_recorded", FigureQuery(user=side_b_user, as_of=DAY)).value == 0
    )


def test_observations_and_incidents_in_the_window_with_breakdowns(
    day: list[Incident], mission_user: User, side_a_user: User
) -> None:
    query = FigureQuery(user=mission_user, as_of=DAY)
    observations = figure_value("observations_in_window", query)
    assert observations.value == 3
    assert observations.breakdown == {
        "Explosion: impact": 1,
        "Illumination flare": 1,
        "Provocation": 1,
    }
    assert len(observations.records) == 3
    _verify(day[0], mission_user)
    incidents = figure_value("incidents_in_window", query)
    assert incidents.value == 3
    assert incidents.breakdown == {"Reported": 2, "Verified": 1}
    side_a = FigureQuery(user=side_a_user, as_of=DAY)
    assert figure_value("observations_in_window", side_a).value == 1
    assert figure_value("incidents_in_window", side_a).breakdown == {"Verified": 1}


def test_without_a_date_the_figures_answer_for_the_current_mission_day(
    day: list[Incident], mission_user: User
) -> None:
    assert figure_value("observations_in_window", FigureQuery(user=mission_user)).value == 0


def test_the_demo_says_no_violations_or_provocations_on_20_november() -> None:
    from truce.core.models import User as UserModel
    from truce.core.scenario import load_scenario

    load_scenario("briefings-2020", demo_passwords=False, only=MONITORING)
    duty = UserModel.objects.get(username="duty")
    query = FigureQuery(user=duty, as_of=DAY)
    violations = figure_value("ceasefire_violations_verified", query)
    provocations = figure_value("provocations_recorded", query)
    assert (violations.value, violations.records) == (0, [])
    assert (provocations.value, provocations.records) == (0, [])
    # The minor incidents settled on the ground are there, none of a violation type.
    settled = Incident.objects.filter(status="verified")
    assert settled.exists()
