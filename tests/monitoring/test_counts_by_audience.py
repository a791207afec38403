"""Counts from the audience rollup: each reader sums exactly the observations it may see.

Every mix of share flags, every kind of reader (the public included), labels
that follow the registry at once (no stale cache), the ingest's contract of
rollups_add, and the migration's rebuild against what the service wrote.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps

from tests.monitoring.conftest import Front, ObsFactory
from truce.core import services as core_services
from truce.core.models import User
from truce.core.sharing import SHARE_COLUMNS, Scope, viewer_scope, visible
from truce.monitoring.models import Observation, ObservationCount
from truce.monitoring.selectors import (
    counts_for,
    observation_totals,
    observations_visible_to,
    running_totals,
)
from truce.monitoring.services import observations_record_batch
from truce.monitoring.services.rollups import audiences, rollups_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]

WINDOW = dt.date(2020, 11, 20)
SHARED = ("side_a", "side_b", "agencies", "public")
# Every subset of the four shareable scopes (the empty one is mission-only).
MIXES = [list(c) for n in range(5) for c in itertools.combinations(SHARED, n)]


@pytest.fixture
def readers(
    mission_user: User, side_a_user: User, side_b_user: User, agency_user: User
) -> dict[str, User | None]:
    return {
        "mission": mission_user,
        "side_a": side_a_user,
        "side_b": side_b_user,
        "agencies": agency_user,
        "anonymous": None,
    }


@pytest.fixture
def every_mix(front: Front, operator: User, make_obs: ObsFactory) -> list[Observation]:
    items = [
        make_obs(visibility=mix or None, count=index + 1, type=("movement", "other")[index % 2])
        for index, mix in enumerate(MIXES)
    ]
    observations_record_batch(actor=operator, items=items)
    return list(Observation.objects.order_by("count"))


def test_every_mix_of_share_flags_is_counted_for_exactly_its_readers(
    every_mix: list[Observation], readers: dict[str, User | None]
) -> None:
    assert len(every_mix) == len(MIXES) == 16
    for name, user in readers.items():
        seen = observations_visible_to(user, window=WINDOW)
        for by in ("post", "zone", "type"):
            rows = counts_for(user, window=WINDOW, by=by)  # type: ignore[arg-type]
            assert sum(r["observations"] for r in rows) == seen.count(), (name, by)
            assert sum(r["events"] for r in rows) == sum(o.count for o in seen), (name, by)
        by_type = observation_totals(user, window=WINDOW)
        assert by_type == {
            t: n for t in ("movement", "other") if (n := seen.filter(type=t).count())
        }, name


def test_audiences_follow_the_rule_of_visible(
    every_mix: list[Observation], readers: dict[str, User | None]
) -> None:
    for o in every_mix:
        flags = [bool(getattr(o, SHARE_COLUMNS[s])) for s in SHARE_COLUMNS]
        expected = {
            viewer_scope(user)
            for user in readers.values()
            if visible(Observation.objects.filter(pk=o.pk), user).exists()
        }
        assert set(audiences(*flags)) == expected, flags


def test_a_party_sees_no_count_of_mission_only_observations(
    front: Front, operator: User, side_a_user: User, side_b_user: User, make_obs: ObsFactory
) -> None:
    observations_record_batch(actor=operator, items=[make_obs(count=4), make_obs(count=2)])
    assert sum(r["observations"] for r in counts_for(operator, window=WINDOW, by="type")) == 2
    for user in (side_a_user, side_b_user, None):
        for by in ("post", "zone", "type"):
            assert counts_for(user, window=WINDOW, by=by) == []  # type: ignore[arg-type]
            assert running_totals(user, until_window=WINDOW, by=by) == []  # type: ignore[arg-type]
        assert observation_totals(user, window=WINDOW) == {}


def test_labels_follow_the_registry_at_once(
    front: Front, operator: User, admin_user: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    observations_record_batch(
        actor=operator, items=[make_obs(observer_post="op-a", visibility=["side_a"])]
    )

    def post_rows(user: User) -> list[tuple[Any, str, int]]:
        rows = counts_for(user, window=WINDOW, by="post")
        return [(r["key"], r["label"], r["observations"]) for r in rows]

    assert post_rows(side_a_user) == [("op-a", "OP-A", 1)]
    post = core_services.facility_update(
        actor=admin_user,
        facility=front.op_a,
        expected_version=front.op_a.version,
        changes={"name": "Alpha"},
    )
    assert post_rows(side_a_user) == [("op-a", "Alpha", 1)]
    post = core_services.facility_update(
        actor=admin_user,
        facility=post,
        expected_version=post.version,
        changes={},
        visibility=["mission"],
    )
    # Hidden from side A now: still counted, under "Other"; the mission still sees the post.
    assert post_rows(side_a_user) == [(None, "Other", 1)]
    assert post_rows(operator) == [("op-a", "Alpha", 1)]
    core_services.registry_delete(actor=admin_user, record=post, expected_version=post.version)
    assert post_rows(operator) == [(None, "Other", 1)]
    zones = running_totals(side_a_user, until_window=WINDOW, by="zone")
    assert [(r["key"], r["observations"]) for r in zones] == [("front", 1)]


def test_rollups_add_takes_any_objects_with_the_attributes(front: Front) -> None:
    def seen(**overrides: Any) -> SimpleNamespace:
        values: dict[str, Any] = {
            "window": WINDOW,
            "observer_post_id": front.op_a.pk,
            "zone_id": front.zone.pk,
            "type": "movement",
            "count": 3,
            "killed_military": 1,
            "killed_civilian": 0,
            "injured_military": 0,
            "injured_civilian": 2,
            "share_side_a": True,
            "share_side_b": False,
            "share_agencies": False,
            "share_public": False,
        }
        return SimpleNamespace(**(values | overrides))

    touched = rollups_add([seen(), seen(observer_post_id=None, zone_id=None), seen()])
    # Two audiences (mission, side A) x (two posts + two zones + one type).
    assert touched == 10
    rows = ObservationCount.objects.filter(audience=Scope.SIDE_A, dimension="type")
    assert [(r.key_type, r.observations, r.events, r.killed, r.injured) for r in rows] == [
        ("movement", 3, 9, 3, 6)
    ]
    assert rollups_add([]) == 0


def test_the_migration_rebuilds_what_the_service_wrote(
    front: Front, operator: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    items = [
        make_obs(
            visibility=mix or None,
            count=index % 4 + 1,
            killed_civilian=index % 2,
            injured_military=index % 3,
            observed_at=(dt.datetime(2020, 11, 19, 8, tzinfo=dt.UTC) + dt.timedelta(hours=index))
            .isoformat()
            .replace("+00:00", "Z"),
        )
        for index, mix in enumerate(MIXES * 3)
    ]
    observations_record_batch(actor=operator, items=items)
    observations_record_batch(
        actor=side_a_user,
        items=[make_obs(observer_kind="party_complaint", observer_post=None, lon=46.5, lat=39.6)],
    )
    columns = ("audience", "dimension", "window", "key_id", "key_type", "observations")
    columns += ("events", "killed", "injured")
    written = sorted(ObservationCount.objects.values_list(*columns))
    assert written
    ObservationCount.objects.all().delete()
    migration = importlib.import_module(
        "truce.monitoring.migrations.0002_observation_count_by_audience"
    )
    migration.rebuild_by_audience(apps, None)
    assert sorted(ObservationCount.objects.values_list(*columns)) == written
