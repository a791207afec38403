"""Correcting and withdrawing observations: versions, ledger, counts, incidents, who may.

Every check of the counts compares the rollups with a recount of the raw
observations each reader may see, so a correction or a withdrawal that left
a count behind (or counted a tombstone) shows as a difference.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.monitoring.conftest import OP_A, OP_B, T0, Front, ObsFactory, sighting
from truce.core.errors import Conflict, InvalidInput, NotFound
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.selectors import facilities_visible_to, zones_visible_to
from truce.ledger.models import LedgerEntry
from truce.ledger.selectors import record_history
from truce.ledger.services import ledger_verify
from truce.lib.bearings import GEOD
from truce.monitoring.models import Incident, Observation, ObservationCount
from truce.monitoring.selectors import (
    counts_for,
    incidents_visible_to,
    observations_visible_to,
    running_totals,
)
from truce.monitoring.serializers import incident_map_geojson
from truce.monitoring.services import (
    grouper,
    may_correct,
    observation_correct,
    observation_record,
    observation_withdraw,
    observations_record_batch,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]

DAY = dt.date(2020, 11, 20)
WINDOWS = [dt.date(2020, 11, 19), DAY, dt.date(2020, 11, 21)]
READERS = ["mission_user", "side_a_user", "side_b_user", "agency_user"]
KEY = {"post": "observer_post__code", "zone": "zone__code", "type": "type"}
TARGET = (46.40, 39.56)


def _recount(user: User, window: dt.date, by: str) -> dict[Any, tuple[int, int]]:
    """Observations and events per key, from the raw rows the user may see."""
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


def assert_counts_match_the_records(readers: list[User]) -> None:
    for user in readers:
        for by in ("post", "zone", "type"):
            for window in WINDOWS:
                rows = counts_for(user, window=window, by=by)  # type: ignore[arg-type]
                # No row is left counting nothing: a withdrawn last observation removes it.
                assert all(r["observations"] or r["previous_observations"] for r in rows)
                got = {
                    r["key"]: (r["observations"], r["events"]) for r in rows if r["observations"]
                }
                assert got == _recount(user, window, by), (user.username, by, window)
    live = Observation.objects.filter(is_deleted=False)
    raw = live.aggregate(
        n=Sum(1),
        e=Sum("count"),
        k=Sum(F("killed_military") + F("killed_civilian")),
        i=Sum(F("injured_military") + F("injured_civilian")),
    )
    for dimension in ("post", "zone", "type"):
        totals = ObservationCount.objects.filter(audience="mission", dimension=dimension).aggregate(
            n=Sum("observations"), e=Sum("events"), k=Sum("killed"), i=Sum("injured")
        )
        assert totals == raw, dimension
    assert not ObservationCount.objects.filter(observations=0).exists()


@pytest.fixture
def readers(request: pytest.FixtureRequest) -> list[User]:
    return [request.getfixturevalue(name) for name in READERS]


def _record(actor: User, make_obs: ObsFactory, **overrides: Any) -> Observation:
    return observation_record(actor=actor, data=make_obs(**overrides)).observation


def _correct(actor: User, o: Observation, reason: str = "typo", **changes: Any) -> Observation:
    return observation_correct(
        actor=actor,
        observation=o,
        changes=changes,
        expected_version=o.version,
        reason=reason,
    )


def _withdraw(actor: User, o: Observation, reason: str = "false report") -> Observation:
    return observation_withdraw(
        actor=actor, observation=o, expected_version=o.version, reason=reason
    )


# --- the counts ----------------------------------------------------------------------------


def test_a_correction_moves_the_count_from_the_old_key_to_the_new(
    front: Front, operator: User, mission_user: User, readers: list[User], make_obs: ObsFactory
) -> None:
    o = _record(operator, make_obs, count=3, visibility=["side_a"], killed_civilian=1)
    _record(operator, make_obs, observer_post="op-b", type="movement")
    by_type = {r["key"]: r["events"] for r in counts_for(mission_user, window=DAY, by="type")}
    assert by_type == {"explosion_impact": 3, "movement": 1}

    # Another type, another mission day, another count and casualties in one correction.
    corrected = _correct(
        mission_user,
        o,
        type="bursts_and_shots",
        observed_at="2020-11-20T15:00:00Z",  # after 18:00 in Baku: the 21st's window
        count=5,
        killed_civilian=0,
        injured_military=2,
    )
    assert corrected.window == dt.date(2020, 11, 21)
    assert corrected.version == 2
    by_type = {r["key"]: r["events"] for r in counts_for(mission_user, window=DAY, by="type")}
    assert by_type == {"movement": 1}
    later = counts_for(mission_user, window=dt.date(2020, 11, 21), by="type")
    assert [(r["key"], r["observations"], r["events"]) for r in later if r["observations"]] == [
        ("bursts_and_shots", 1, 5)
    ]
    totals = {
        r["key"]: r
        for r in running_totals(mission_user, until_window=dt.date(2020, 11, 21), by="type")
    }
    assert (totals["bursts_and_shots"]["killed"], totals["bursts_and_shots"]["injured"]) == (0, 2)
    assert_counts_match_the_records(readers)


def test_withdrawing_subtracts_and_leaves_no_empty_row(
    front: Front, operator: User, mission_user: User, readers: list[User], make_obs: ObsFactory
) -> None:
    kept = _record(operator, make_obs, count=2)
    lone = _record(operator, make_obs, observer_post="op-b", type="provocation", count=4)
    _withdraw(operator, lone)
    rows = counts_for(mission_user, window=DAY, by="type")
    assert [(r["key"], r["observations"], r["events"]) for r in rows] == [
        ("explosion_impact", 1, 2)
    ]
    by_post = {r["key"] for r in counts_for(mission_user, window=DAY, by="post")}
    assert by_post == {"op-a"}
    assert_counts_match_the_records(readers)
    _withdraw(operator, kept)
    assert counts_for(mission_user, window=DAY, by="zone") == []
    assert not ObservationCount.objects.exists()


observation = st.fixed_dictionaries(
    {
        "minutes": st.integers(0, 2 * 24 * 60 - 1),
        "post": st.sampled_from(["op-a", "op-b", None]),
        "type": st.sampled_from(["explosion_impact", "movement", "other"]),
        "count": st.integers(1, 9),
        "killed_civilian": st.integers(0, 2),
        "visibility": st.sampled_from([None, ["side_a"], ["side_b"], ["agencies"], ["public"]]),
    }
)
change = st.one_of(
    st.just({"withdraw": True}),
    st.fixed_dictionaries({"type": st.sampled_from(["movement", "provocation", "other"])}),
    st.fixed_dictionaries({"count": st.integers(1, 9)}),
    st.fixed_dictionaries({"minutes": st.integers(0, 2 * 24 * 60 - 1)}),
    st.fixed_dictionaries({"injured_civilian": st.integers(0, 3), "killed_civilian": st.just(0)}),
    st.fixed_dictionaries({"lon": st.floats(46.1, 46.8), "lat": st.floats(38.9, 39.8)}),
)
BASE = dt.datetime(2020, 11, 19, 15, 0, tzinfo=dt.UTC)  # window of 20 Nov


def _spec_item(make_obs: ObsFactory, spec: dict[str, Any]) -> dict[str, Any]:
    where: dict[str, Any] = (
        {"observer_post": spec["post"]}
        if spec["post"]
        else {"observer_kind": "patrol", "observer_post": None, "lon": 46.5, "lat": 39.1}
    )
    return make_obs(
        observed_at=(BASE + dt.timedelta(minutes=spec["minutes"])).isoformat(),
        type=spec["type"],
        count=spec["count"],
        killed_civilian=spec["killed_civilian"],
        visibility=spec["visibility"],
        **where,
    )


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stream=st.lists(observation, min_size=1, max_size=12),
    edits=st.lists(st.tuples(st.integers(0, 11), change), min_size=1, max_size=8),
)
def test_after_any_corrections_and_withdrawals_the_counts_equal_a_recount(
    front: Front,
    operator: User,
    readers: list[User],
    make_obs: ObsFactory,
    stream: list[dict[str, Any]],
    edits: list[tuple[int, dict[str, Any]]],
) -> None:
    results = observations_record_batch(
        actor=operator, items=[_spec_item(make_obs, s) for s in stream]
    )
    ids = [r.observation.pk for r in results]
    for index, edit in edits:
        current = Observation.objects.get(pk=ids[index % len(ids)])
        if current.is_deleted:
            continue
        if edit.get("withdraw"):
            _withdraw(operator, current)
            continue
        values = dict(edit)
        if "minutes" in values:
            values = {"observed_at": (BASE + dt.timedelta(minutes=values["minutes"])).isoformat()}
        try:
            _correct(operator, current, **values)
        except InvalidInput as exc:
            assert exc.field == "changes"  # the edit left it as it was
    assert_counts_match_the_records(readers)
    assert ledger_verify().ok


# --- versions and the ledger -----------------------------------------------------------------


def test_a_correction_is_a_new_version_with_its_reason_and_previous_values(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    o = _record(operator, make_obs, count=2, weapon_type="mortar", text="two impacts")
    corrected = _correct(operator, o, reason="miscounted", count=3, text="three impacts")
    entry = LedgerEntry.objects.filter(record_id=str(o.public_id)).order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.record_version, entry.actor) == ("correct", 2, "operator")
    payload = json.loads(entry.payload)
    assert payload["count"] == 3 and payload["text"] == "three impacts"
    assert payload["reason"] == "miscounted"
    assert payload["previous"] == {"count": 2, "text": "two impacts"}
    # The first report stays as it was in its own entry, and the chain still verifies.
    first = LedgerEntry.objects.get(record_id=str(o.public_id), record_version=1)
    assert json.loads(first.payload)["count"] == 2
    assert ledger_verify().ok
    # What a resend of the first report is matched on does not change.
    assert corrected.client_uuid == o.client_uuid and corrected.content_sha256 == o.content_sha256
    again = observation_record(
        actor=operator,
        data=make_obs(
            client_uuid=str(o.client_uuid), count=2, weapon_type="mortar", text="two impacts"
        ),
    )
    assert not again.created and again.observation.pk == o.pk
    assert Observation.objects.get(pk=o.pk).count == 3


def test_a_stale_version_is_refused_and_nothing_is_written(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    o = _record(operator, make_obs)
    _correct(operator, o, count=4)
    before = LedgerEntry.objects.count()
    with pytest.raises(Conflict) as caught:
        observation_correct(
            actor=operator, observation=o, changes={"count": 5}, expected_version=1, reason="x"
        )
    assert caught.value.field == "expected_version"
    with pytest.raises(Conflict):
        observation_withdraw(actor=operator, observation=o, expected_version=1, reason="x")
    assert LedgerEntry.objects.count() == before
    assert Observation.objects.get(pk=o.pk).count == 4


def test_a_withdrawn_observation_cannot_be_corrected_or_withdrawn_again(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    o = _record(operator, make_obs)
    gone = _withdraw(operator, o)
    assert gone.is_deleted and gone.deleted_at is not None and gone.version == 2
    with pytest.raises(Conflict):
        _correct(operator, gone, count=2)
    with pytest.raises(Conflict):
        _withdraw(operator, gone)
    entry = LedgerEntry.objects.filter(record_id=str(o.public_id)).order_by("-seq").first()
    assert entry is not None and entry.action == "withdraw"
    payload = json.loads(entry.payload)
    assert payload["is_deleted"] is True and payload["reason"] == "false report"
    assert ledger_verify().ok


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bearing_deg": 400}, "bearing_deg"),
        ({"distance_m": -5}, "distance_m"),
        ({"distance_m": 10_000_000}, "distance_m"),
        ({"count": 0}, "count"),
        ({"count": 1.5}, "count"),
        ({"type": "fireworks"}, "type"),
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"observed_at": "2020-11-20T08:00:00"}, "observed_at"),
        ({"observed_at": "2020-11-01T08:00:00Z"}, "observed_at"),
        ({"observed_at": "2999-01-01T00:00:00Z"}, "observed_at"),
        ({"lon": 46.5}, "lat"),
        ({"lon": 200, "lat": 39.5}, "lon"),
        ({"killed_civilian": -1}, "killed_civilian"),
        ({"injured_military": "two"}, "injured_military"),
        ({"weapon_type": "x" * 101}, "weapon_type"),
        ({"direction_of_fire": "sideways"}, "direction_of_fire"),
        ({"observer_post": "op-b"}, "observer_post"),
        ({"visibility": ["public"]}, "visibility"),
        ({}, "changes"),
        ({"count": 1}, "changes"),  # the same as stored: nothing to correct
    ],
)
def test_bad_values_are_refused_naming_the_field(
    front: Front, operator: User, make_obs: ObsFactory, changes: dict[str, Any], field: str
) -> None:
    o = _record(operator, make_obs)
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as caught:
        observation_correct(
            actor=operator, observation=o, changes=changes, expected_version=1, reason="fix"
        )
    assert caught.value.field == field, caught.value.message
    assert LedgerEntry.objects.count() == before
    assert Observation.objects.get(pk=o.pk).version == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_reason_is_required(
    front: Front, operator: User, make_obs: ObsFactory, reason: str
) -> None:
    o = _record(operator, make_obs)
    with pytest.raises(InvalidInput) as caught:
        _correct(operator, o, reason=reason, count=2)
    assert caught.value.field == "reason"
    with pytest.raises(InvalidInput) as caught:
        _withdraw(operator, o, reason=reason)
    assert caught.value.field == "reason"


# --- position, zone and incident ---------------------------------------------------------------


def test_the_position_is_derived_again_from_a_corrected_bearing_and_distance(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    o = _record(operator, make_obs, bearing_deg=90, distance_m=2000)
    assert o.position_method == "bearing_distance"
    corrected = _correct(operator, o, bearing_deg=180, distance_m=3000)
    lon, lat, _ = GEOD.fwd(OP_A[0], OP_A[1], 180, 3000)
    assert corrected.geometry is not None
    assert corrected.geometry["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    assert (corrected.min_lon, corrected.min_lat) == tuple(corrected.geometry["coordinates"])
    # Without a distance there is no position of the event; the post's zone stays.
    bare = _correct(operator, corrected, distance_m=None)
    assert bare.geometry is None and bare.position_method == "" and bare.min_lon is None
    assert bare.zone == front.zone


def test_a_patrols_corrected_position_finds_its_zone_again(
    front: Front, operator: User, mission_user: User, make_obs: ObsFactory
) -> None:
    o = _record(operator, make_obs, observer_kind="patrol", observer_post=None, lon=46.5, lat=39.5)
    assert o.zone == front.zone and o.position_method == "given"
    moved = _correct(operator, o, lon=46.5, lat=39.0)  # the southern zone
    assert moved.zone == front.south and moved.geometry == {
        "type": "Point",
        "coordinates": [46.5, 39.0],
    }
    zones = {r["key"] for r in counts_for(mission_user, window=DAY, by="zone")}
    assert zones == {"south"}
    # A correction of the bearing does not move a position the patrol gave.
    same = _correct(operator, moved, bearing_deg=45, distance_m=500)
    assert same.geometry == moved.geometry and same.position_method == "given"


def _two_post_incident(operator: User, make_obs: ObsFactory) -> tuple[Observation, Observation]:
    bearing_a, _ = sighting(OP_A, TARGET)
    bearing_b, _ = sighting(OP_B, TARGET)
    a = _record(operator, make_obs, bearing_deg=round(bearing_a, 1), visibility=["side_a"])
    b = _record(
        operator,
        make_obs,
        observer_post="op-b",
        bearing_deg=round(bearing_b, 1),
        observed_at=(T0 + dt.timedelta(minutes=1)).isoformat(),
        visibility=["side_a", "side_b"],
    )
    a.refresh_from_db()
    assert a.incident_id is not None and a.incident_id == b.incident_id
    return a, b


def test_the_incident_is_recomputed_from_the_corrected_observation(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    a, b = _two_post_incident(operator, make_obs)
    incident = Incident.objects.get(pk=a.incident_id)
    assert incident.position_method == "intersection"
    assert (incident.killed, incident.injured, incident.severity) == (0, 0, "medium")
    version = incident.version
    _correct(operator, b, killed_civilian=1, injured_civilian=2)
    incident.refresh_from_db()
    assert (incident.killed, incident.injured, incident.severity) == (1, 2, "critical")
    assert incident.version == version + 1 and incident.observation_count == 2
    entry = LedgerEntry.objects.filter(record_id=str(incident.public_id)).order_by("-seq")[0]
    assert entry.action == "observation_corrected"
    payload = json.loads(entry.payload)
    assert payload["observation_corrected"] == str(b.public_id)
    assert sorted(payload["observations"]) == sorted([str(a.public_id), str(b.public_id)])
    # A correction that changes nothing the incident is made from leaves it alone.
    _correct(operator, Observation.objects.get(pk=b.pk), text="seen through the haze")
    incident.refresh_from_db()
    assert incident.version == version + 1
    assert ledger_verify().ok


def test_a_withdrawn_observation_leaves_its_incident_and_the_last_dissolves_it(
    front: Front,
    operator: User,
    side_a_user: User,
    side_b_user: User,
    make_obs: ObsFactory,
) -> None:
    a, b = _two_post_incident(operator, make_obs)
    incident = Incident.objects.get(pk=a.incident_id)
    # Shared with side A only: b alone is shared with side B as well.
    assert list(incidents_visible_to(side_b_user)) == []
    _withdraw(operator, a)
    incident.refresh_from_db()
    assert Observation.objects.get(pk=a.pk).incident_id is None
    assert incident.observation_count == 1 and not incident.is_deleted
    # One bearing without a distance fixes no position: the intersection went with a.
    assert incident.position_method == "" and incident.geometry is None
    # What is left is shared with both sides, so now side B sees the incident.
    assert [i.pk for i in incidents_visible_to(side_b_user)] == [incident.pk]
    entry = LedgerEntry.objects.filter(record_id=str(incident.public_id)).order_by("-seq")[0]
    assert entry.action == "observation_withdrawn"
    assert json.loads(entry.payload)["observations"] == [str(b.public_id)]
    # Side B now reads the incident's history, and learns nothing of side A's report there.
    for item in record_history(incident, side_b_user):
        assert str(a.public_id) not in json.dumps(item.data)
    assert [i.entry.action for i in record_history(incident, side_b_user)] == [
        "observation_withdrawn"
    ]

    _withdraw(operator, Observation.objects.get(pk=b.pk))
    incident.refresh_from_db()
    assert incident.is_deleted
    last = LedgerEntry.objects.filter(record_id=str(incident.public_id)).order_by("-seq")[0]
    assert last.action == "delete" and "withdrawn" in json.loads(last.payload)["deletion_reason"]
    for reader in (operator, side_a_user):
        assert list(incidents_visible_to(reader)) == []
        assert json.loads(incident_map_geojson(reader, window=DAY))["features"] == []
    # What `truce ledger verify` runs, over a chain holding corrections and withdrawals.
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    assert out.getvalue().startswith("Ledger intact:")


def test_withdrawn_observations_leave_the_lists_counts_and_figures(
    front: Front, operator: User, side_a_user: User, make_obs: ObsFactory
) -> None:
    where = {"bearing_deg": 0, "distance_m": 3000, "visibility": ["side_a"]}
    provocation = _record(operator, make_obs, type="provocation", **where)
    _record(operator, make_obs, observer_post="op-b", **where)
    for reader in (operator, side_a_user):
        query = FigureQuery(user=reader, as_of=DAY)
        assert figure_value("provocations_recorded", query).value == 1
        assert figure_value("observations_in_window", query).value == 2
    before = json.loads(incident_map_geojson(operator, window=DAY))["features"]
    _withdraw(operator, provocation)
    for reader in (operator, side_a_user):
        query = FigureQuery(user=reader, as_of=DAY)
        assert figure_value("provocations_recorded", query).value == 0
        observations = figure_value("observations_in_window", query)
        assert observations.value == 1
        assert provocation.pk not in {o.pk for o in observations.records}
        assert provocation.pk not in {o.pk for o in observations_visible_to(reader)}
        assert figure_value("incidents_in_window", query).value == 1
    after = json.loads(incident_map_geojson(operator, window=DAY))["features"]
    assert len(before) == 2 and len(after) == 1
    assert provocation.incident is not None
    assert str(provocation.incident.public_id) not in {f["id"] for f in after}


# --- who may -----------------------------------------------------------------------------------


def test_only_the_reporting_party_and_the_missions_reviewers_may_correct(
    front: Front,
    operator: User,
    mission_user: User,
    analyst: User,
    side_a_user: User,
    side_a_plain: User,
    side_b_user: User,
    make_obs: ObsFactory,
) -> None:
    # Shared with both sides: they see it, and still may not change the mission's report.
    mission_report = _record(operator, make_obs, visibility=["side_a", "side_b"])
    complaint = _record(
        side_a_user,
        make_obs,
        observer_kind="party_complaint",
        observer_post=None,
        lon=46.5,
        lat=39.5,
        visibility=["side_b"],
    )
    assert may_correct(operator, mission_report) and may_correct(mission_user, mission_report)
    assert may_correct(side_a_plain, complaint) and may_correct(analyst, complaint)
    assert not may_correct(operator, complaint)  # a mission user who is no reviewer
    for outsider, record in (
        (side_a_user, mission_report),
        (side_b_user, mission_report),
        (side_b_user, complaint),
        (operator, complaint),
    ):
        assert not may_correct(outsider, record)
        before = LedgerEntry.objects.count()
        with pytest.raises(NotFound) as caught:
            _correct(outsider, Observation.objects.get(pk=record.pk), count=9)
        assert caught.value.message == "no such observation"
        with pytest.raises(NotFound):
            _withdraw(outsider, Observation.objects.get(pk=record.pk))
        assert LedgerEntry.objects.count() == before
    # The side's own users (any of them) and a mission reviewer may.
    fixed = _correct(side_a_plain, complaint, count=2)
    fixed = _correct(analyst, fixed, text="as the liaison officer said")
    assert fixed.version == 3 and fixed.updated_by == analyst


# --- background grouping ---------------------------------------------------------------------


@pytest.fixture
def background(settings: SettingsWrapper) -> None:
    settings.TRUCE_GROUPING = "background"


@pytest.mark.usefixtures("background")
def test_the_grouper_groups_a_pending_observation_as_corrected_and_never_a_withdrawn_one(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    kept = _record(operator, make_obs, count=2)
    gone = _record(operator, make_obs, observer_post="op-b", type="movement")
    assert kept.incident_id is None and gone.incident_id is None
    _correct(operator, kept, count=7, injured_civilian=1)
    _withdraw(operator, gone)
    assert grouper.group_all_pending() == 1
    kept.refresh_from_db()
    assert kept.incident is not None
    assert (kept.incident.observation_count, kept.incident.injured) == (1, 1)
    assert Observation.objects.get(pk=gone.pk).incident_id is None
    assert not grouper.pending_exist()


@pytest.mark.usefixtures("background")
def test_a_plan_made_before_a_correction_is_not_applied(
    front: Front, operator: User, make_obs: ObsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    o = _record(operator, make_obs, count=2)
    real_plan = grouper._plan
    calls: list[int] = []

    def plan_then_correct(limit: int) -> Any:
        planned = real_plan(limit)
        if not calls:
            # The correction commits between the plan (outside the lock) and its write.
            _correct(operator, Observation.objects.get(pk=o.pk), injured_military=3)
        calls.append(1)
        return planned

    monkeypatch.setattr(grouper, "_plan", plan_then_correct)
    assert grouper.group_pending() == 1
    assert len(calls) == 2  # planned again under the lock
    incident = Observation.objects.get(pk=o.pk).incident
    assert incident is not None and incident.injured == 3
