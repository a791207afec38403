"""Automatic grouping: observations of one event become one incident, others do not."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.monitoring.conftest import OP_A, OP_B, T0, Front, ObsFactory, sighting
from truce.core.models import User
from truce.lib import bearings
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services import (
    incident_split,
    observation_record,
    observations_record_batch,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]

TARGET = (46.40, 39.56)


def _at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _incident_of(obs: Observation) -> Incident:
    obs.refresh_from_db()
    assert obs.incident is not None
    return obs.incident


def test_two_ops_seeing_one_explosion_make_one_incident_fixed_near_it(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    rng = np.random.default_rng(3)
    bearing_a, _ = sighting(OP_A, TARGET)
    bearing_b, _ = sighting(OP_B, TARGET)
    results = observations_record_batch(
        actor=operator,
        items=[
            make_obs(bearing_deg=round(bearing_a + rng.normal(0, 1.5), 1), type="explosion_impact"),
            make_obs(
                observer_post="op-b",
                bearing_deg=round(bearing_b + rng.normal(0, 1.5), 1),
                type="explosion_undetermined",
                observed_at=_at(1),
            ),
        ],
    )
    first, second = (r.observation for r in results)
    assert first.incident_id == second.incident_id
    incident = Incident.objects.get()
    assert incident.position_method == "intersection"
    assert incident.observation_count == 2
    lon, lat = incident.geometry["coordinates"]
    error = bearings.GEOD.inv(lon, lat, *TARGET)[2]
    assert incident.uncertainty_m is not None
    assert error <= 2 * incident.uncertainty_m
    assert (incident.started_at, incident.ended_at) == (T0, T0 + dt.timedelta(minutes=1))


def test_events_far_apart_in_time_are_separate_incidents(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    bearing_a, _ = sighting(OP_A, TARGET)
    bearing_b, _ = sighting(OP_B, TARGET)
    a = observation_record(actor=operator, data=make_obs(bearing_deg=bearing_a)).observation
    b = observation_record(
        actor=operator,
        data=make_obs(observer_post="op-b", bearing_deg=bearing_b, observed_at=_at(11)),
    ).observation
    assert a.incident_id != b.incident_id
    assert Incident.objects.count() == 2


def test_events_far_apart_in_space_are_separate_incidents(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    near = observation_record(actor=operator, data=make_obs(lon=46.40, lat=39.56)).observation
    close = observation_record(
        actor=operator, data=make_obs(lon=46.42, lat=39.57, observed_at=_at(2))
    ).observation
    far = observation_record(
        actor=operator, data=make_obs(lon=46.46, lat=39.56, observed_at=_at(3))
    ).observation  # some 5 km east
    assert near.incident_id == close.incident_id
    assert far.incident_id != near.incident_id
    incident = _incident_of(near)
    assert incident.position_method == "given"
    assert incident.uncertainty_m is not None and incident.uncertainty_m > 500


def test_a_position_near_a_bearing_line_joins_and_one_far_from_it_does_not(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    bearing, _ = sighting(OP_A, TARGET)
    line = observation_record(actor=operator, data=make_obs(bearing_deg=bearing)).observation
    on_line = observation_record(
        actor=operator,
        data=make_obs(observer_kind="patrol", observer_post=None, lon=46.401, lat=39.561),
    ).observation
    # Ten km north of the line: same time, same type, not the same event.
    off_line = observation_record(
        actor=operator,
        data=make_obs(observer_kind="patrol", observer_post=None, lon=46.35, lat=39.75),
    ).observation
    assert on_line.incident_id == line.incident_id
    assert off_line.incident_id != line.incident_id


def test_incompatible_types_do_not_group(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    explosion = observation_record(actor=operator, data=make_obs(lon=46.4, lat=39.56)).observation
    outgoing = observation_record(
        actor=operator, data=make_obs(lon=46.4, lat=39.56, type="explosion_outgoing")
    ).observation
    shots = observation_record(
        actor=operator, data=make_obs(lon=46.4, lat=39.56, type="bursts_and_shots")
    ).observation
    assert explosion.incident_id == outgoing.incident_id
    assert shots.incident_id != explosion.incident_id


def test_one_observers_bearings_apart_are_separate_events(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    a = observation_record(actor=operator, data=make_obs(bearing_deg=10.0)).observation
    b = observation_record(actor=operator, data=make_obs(bearing_deg=100.0)).observation
    c = observation_record(actor=operator, data=make_obs(bearing_deg=14.0)).observation
    assert a.incident_id != b.incident_id
    assert c.incident_id == a.incident_id


def test_parallel_bearings_from_two_ops_do_not_group(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    # Both look due north, 17 km apart: the lines never come within 3 km.
    a = observation_record(actor=operator, data=make_obs(bearing_deg=0.0)).observation
    b = observation_record(
        actor=operator, data=make_obs(observer_post="op-b", bearing_deg=0.0)
    ).observation
    assert a.incident_id != b.incident_id


def test_reports_without_any_geometry_group_by_zone(
    front: Front, operator: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    first = observation_record(
        actor=operator, data=make_obs(type="restriction_of_movement")
    ).observation
    second = observation_record(
        actor=operator, data=make_obs(observer_post="op-b", type="restriction_of_movement")
    ).observation
    elsewhere = observation_record(
        actor=operator,
        data=make_obs(
            observer_kind="patrol",
            observer_post=None,
            observer_lon=46.5,
            observer_lat=39.0,
            type="restriction_of_movement",
        ),
    ).observation
    complaint = observation_record(
        actor=side_a_user,
        data=make_obs(observer_kind="party_complaint", observer_post=None, type="provocation"),
    ).observation
    assert first.incident_id == second.incident_id
    assert elsewhere.incident_id != first.incident_id
    assert _incident_of(complaint).zone is None


def test_an_incident_grouped_by_hand_is_not_joined(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory
) -> None:
    a = observation_record(actor=operator, data=make_obs(lon=46.4, lat=39.56)).observation
    b = observation_record(actor=operator, data=make_obs(lon=46.4, lat=39.56)).observation
    split_off = incident_split(actor=analyst, incident=_incident_of(a), observations=[b])
    c = observation_record(actor=operator, data=make_obs(lon=46.4, lat=39.56)).observation
    assert c.incident_id not in {_incident_of(a).pk, split_off.pk}


def test_an_incidents_fields_come_from_its_observations(
    front: Front, operator: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    shared = observation_record(
        actor=operator,
        data=make_obs(
            lon=46.4, lat=39.56, injured_civilian=1, count=4, visibility=["side_a", "side_b"]
        ),
    ).observation
    incident = _incident_of(shared)
    assert incident.visibility == ["mission", "side_a", "side_b"]
    assert (incident.killed, incident.injured, incident.severity) == (0, 1, "high")
    observation_record(
        actor=operator,
        data=make_obs(
            lon=46.401, lat=39.56, killed_civilian=1, injured_civilian=1, observed_at=_at(3)
        ),
    )
    incident.refresh_from_db()
    # Mission-only observation joined: the incident is now mission-only.
    assert incident.visibility == ["mission"]
    # Observers of one event report the same casualties: the largest figure, not the sum.
    assert (incident.killed, incident.injured, incident.severity) == (1, 1, "critical")
    assert incident.version == 2
    assert incident.observation_count == 2


@pytest.mark.parametrize(
    ("changes", "severity"),
    [
        ({"type": "illumination_flare"}, "low"),
        ({"type": "other"}, "low"),
        ({"type": "explosion_impact"}, "medium"),
        ({"type": "restriction_of_movement"}, "medium"),
        ({"type": "bursts_and_shots", "count": 10}, "high"),
        ({"type": "civilian_harm"}, "high"),
        ({"type": "movement", "injured_military": 5}, "critical"),
    ],
)
def test_severity_rule(
    front: Front, operator: User, make_obs: ObsFactory, changes: dict, severity: str
) -> None:
    obs = observation_record(actor=operator, data=make_obs(**changes)).observation
    assert _incident_of(obs).severity == severity


def test_references_count_per_mission_day(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    refs = []
    for at in ("2020-11-20T08:00:00Z", "2020-11-20T09:00:00Z", "2020-11-20T14:30:00Z"):
        obs = observation_record(actor=operator, data=make_obs(observed_at=at)).observation
        refs.append(_incident_of(obs).reference)
    # 14:30 UTC is 18:30 in Baku: the window of 21 November has begun.
    assert refs == ["INC-20201120-0001", "INC-20201120-0002", "INC-20201121-0001"]


def test_the_window_setting_is_read(
    front: Front, operator: User, make_obs: ObsFactory, settings
) -> None:
    settings.TRUCE_GROUPING_WINDOW_MINUTES = 30
    a = observation_record(actor=operator, data=make_obs(lon=46.4, lat=39.56)).observation
    b = observation_record(
        actor=operator, data=make_obs(lon=46.4, lat=39.56, observed_at=_at(25))
    ).observation
    assert a.incident_id == b.incident_id


def test_a_late_report_joins_the_incident_of_its_event(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    early = observation_record(
        actor=operator, data=make_obs(lon=46.4, lat=39.56, observed_at=_at(30))
    ).observation
    # Sent later, observed earlier: still the same event.
    late = observation_record(
        actor=operator, data=make_obs(lon=46.4, lat=39.56, observed_at=_at(25))
    ).observation
    assert late.incident_id == early.incident_id
    assert _incident_of(late).started_at == T0 + dt.timedelta(minutes=25)


def test_a_steady_exchange_at_one_place_is_one_incident_up_to_the_maximum_span(
    front: Front, operator: User, make_obs: ObsFactory, settings
) -> None:
    """Each report is within the window of the one before; the exchange goes on."""
    results = observations_record_batch(
        actor=operator,
        items=[make_obs(lon=46.4, lat=39.56, observed_at=_at(m)) for m in (0, 6, 12, 18, 24)],
    )
    assert len({r.observation.incident_id for r in results}) == 1
    settings.TRUCE_GROUPING_MAX_SPAN_MINUTES = 15
    # One at a time, elsewhere: a new incident once the first is 15 minutes old.
    singles = [
        observation_record(
            actor=operator, data=make_obs(lon=46.6, lat=39.56, observed_at=_at(m))
        ).observation.incident_id
        for m in (0, 6, 12, 18, 24)
    ]
    assert singles[:3] == [singles[0]] * 3
    assert singles[3:] == [singles[3]] * 2
    assert singles[3] != singles[0]


def test_observations_far_apart_along_a_chain_of_positions_do_not_chain(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    # Positions 2 km apart in a line: each near the next, the far end 8 km from the first.
    lons = [46.40 + i * 0.0233 for i in range(5)]
    results = observations_record_batch(
        actor=operator, items=[make_obs(lon=lon, lat=39.56) for lon in lons]
    )
    incidents = [r.observation.incident_id for r in results]
    assert len(set(incidents)) >= 2
    for incident in Incident.objects.all():
        members = list(incident.observations.values_list("min_lon", flat=True))
        assert max(members) - min(members) < 0.0233 * 3  # within ~2 x 3 km of the leader
