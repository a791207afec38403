"""Daily counts: the rollups always equal a recount of the raw rows each reader may see."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db.models import F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.monitoring.conftest import Front, ObsFactory
from truce.core.models import User
from truce.core.selectors import facilities_visible_to, zones_visible_to
from truce.monitoring.models import Observation, ObservationCount
from truce.monitoring.selectors import (
    counts_for,
    observations_visible_to,
    running_totals,
)
from truce.monitoring.services import observations_record_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]

BASE = dt.datetime(2020, 11, 18, 15, 0, tzinfo=dt.UTC)  # window of 19 Nov
WINDOWS = [dt.date(2020, 11, 19), dt.date(2020, 11, 20), dt.date(2020, 11, 21)]
READERS = ["mission_user", "side_a_user", "side_b_user", "agency_user"]

observation = st.fixed_dictionaries(
    {
        "minutes": st.integers(0, 3 * 24 * 60 - 1),
        "post": st.sampled_from(["op-a", "op-b", "cp-1", None]),
        "type": st.sampled_from(["explosion_impact", "bursts_and_shots", "movement", "other"]),
        "count": st.integers(1, 20),
        "killed_civilian": st.integers(0, 2),
        "injured_military": st.integers(0, 3),
        "visibility": st.sampled_from(
            [None, ["side_a"], ["side_b"], ["side_a", "side_b"], ["agencies"], ["public"]]
        ),
    }
)


def _item(make_obs: ObsFactory, spec: dict[str, Any]) -> dict[str, Any]:
    at = BASE + dt.timedelta(minutes=spec["minutes"])
    where: dict[str, Any] = (
        {"observer_post": spec["post"]}
        if spec["post"]
        else {"observer_kind": "patrol", "observer_post": None, "lon": 46.5, "lat": 39.1}
    )
    return make_obs(
        observed_at=at.isoformat(),
        type=spec["type"],
        count=spec["count"],
        killed_civilian=spec["killed_civilian"],
        injured_military=spec["injured_military"],
        visibility=spec["visibility"],
        **where,
    )


KEY = {"post": "observer_post__code", "zone": "zone__code", "type": "type"}


def _recount(user: User, window: dt.date, by: str) -> dict[Any, tuple[int, int]]:
    """The same question answered from the raw observations the user may see.

    A post or zone the user may not see is counted under None ("Other").
    """
    shown: set[Any] | None = None
    if by == "post":
        shown = set(facilities_visible_to(user).values_list("code", flat=True))
    elif by == "zone":
        shown = set(zones_visible_to(user).values_list("code", flat=True))
    tally: Counter[Any] = Counter()
    events: Counter[Any] = Counter()
    for row in observations_visible_to(user, window=window).values(KEY[by], "count"):
        key = row[KEY[by]]
        if shown is not None and key not in shown:
            key = None
        tally[key] += 1
        events[key] += row["count"]
    return {k: (tally[k], events[k]) for k in tally}


def _check(readers: dict[str, User]) -> None:
    for user in readers.values():
        for by in ("post", "zone", "type"):
            for window in WINDOWS:
                rows = counts_for(user, window=window, by=by)  # type: ignore[arg-type]
                got = {
                    r["key"]: (r["observations"], r["events"]) for r in rows if r["observations"]
                }
                assert got == _recount(user, window, by), (user.username, by, window)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stream=st.lists(observation, min_size=1, max_size=30), cut=st.integers(1, 30))
def test_rollups_equal_a_recount_for_every_reader(
    request: pytest.FixtureRequest,
    front: Front,
    operator: User,
    make_obs: ObsFactory,
    stream: list[dict[str, Any]],
    cut: int,
) -> None:
    readers = {name: request.getfixturevalue(name) for name in READERS}
    items = [_item(make_obs, spec) for spec in stream]
    # Any split into requests gives the same counts.
    observations_record_batch(actor=operator, items=items[:cut])
    observations_record_batch(actor=operator, items=items[cut:])
    _check(readers)
    raw = Observation.objects.aggregate(
        n=Sum(1),
        e=Sum("count"),
        k=Sum(F("killed_military") + F("killed_civilian")),
        i=Sum(F("injured_military") + F("injured_civilian")),
    )
    # The mission's rows of each grouping hold every observation once.
    for dimension in ("post", "zone", "type"):
        totals = ObservationCount.objects.filter(audience="mission", dimension=dimension).aggregate(
            n=Sum("observations"), e=Sum("events"), k=Sum("killed"), i=Sum("injured")
        )
        assert totals == raw, dimension


def test_a_side_counts_only_what_is_shared_with_it(
    front: Front, operator: User, side_a_user: User, side_b_user: User, make_obs: ObsFactory
) -> None:
    items = [
        make_obs(visibility=["side_a"], count=2),
        make_obs(count=5),
        make_obs(visibility=["public"], count=1),
        make_obs(visibility=["side_b"], type="movement"),
    ]
    observations_record_batch(actor=operator, items=items)
    window = dt.date(2020, 11, 20)

    def by_type(user: User) -> dict[Any, int]:
        return {r["key"]: r["events"] for r in counts_for(user, window=window, by="type")}

    assert by_type(side_a_user) == {"explosion_impact": 3}
    assert by_type(side_b_user) == {"explosion_impact": 1, "movement": 1}
    assert by_type(operator) == {"explosion_impact": 8, "movement": 1}
    totals = running_totals(side_a_user, until_window=window, by="type")
    assert [(r["key"], r["observations"], r["events"]) for r in totals] == [
        ("explosion_impact", 2, 3)
    ]


def test_counts_compare_with_the_previous_window(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    items = [
        make_obs(observed_at="2020-11-19T08:00:00Z", count=3),
        make_obs(observed_at="2020-11-20T08:00:00Z", count=1),
        make_obs(observed_at="2020-11-20T09:00:00Z", count=1),
        make_obs(observed_at="2020-11-20T09:30:00Z", type="movement", observer_post="op-b"),
    ]
    observations_record_batch(actor=operator, items=items)
    rows = counts_for(operator, window=dt.date(2020, 11, 20), by="type")
    assert rows == [
        {
            "key": "explosion_impact",
            "label": "Explosion: impact",
            "observations": 2,
            "events": 2,
            "previous_observations": 1,
            "previous_events": 3,
            "change": 1,
        },
        {
            "key": "movement",
            "label": "Movement of weapons or troops",
            "observations": 1,
            "events": 1,
            "previous_observations": 0,
            "previous_events": 0,
            "change": 1,
        },
    ]
    by_post = {r["key"]: r for r in counts_for(operator, window=dt.date(2020, 11, 20), by="post")}
    assert by_post["op-a"]["label"] == "OP-A"
    assert by_post["op-a"]["observations"] == 2
    totals = {
        r["key"]: r for r in running_totals(operator, until_window=dt.date(2020, 11, 20), by="zone")
    }
    assert totals["front"]["observations"] == 4
    assert totals["front"]["events"] == 6


def test_a_hidden_post_or_zone_is_counted_under_other(
    front: Front, operator: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    # Shared with side A, from the mission-only OP: side A counts it, but not by the post's name.
    observations_record_batch(
        actor=operator, items=[make_obs(observer_post="op-s", visibility=["side_a"])]
    )
    rows = counts_for(side_a_user, window=dt.date(2020, 11, 20), by="post")
    assert [(r["key"], r["label"], r["observations"]) for r in rows] == [(None, "Other", 1)]


def test_an_unknown_grouping_is_refused(front: Front, operator: User) -> None:
    from truce.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        counts_for(operator, window=dt.date(2020, 11, 20), by="weather")  # type: ignore[arg-type]
    assert caught.value.field == "by"
