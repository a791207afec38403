"""`truce simulate`: the generator (deterministic, realistic by profile, geometrically true)
and the command end to end (into the database, to JSONL, and over the API)."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import uuid
from collections import Counter, defaultdict
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from truce.alerts.models import Alert
from truce.core import services as core_services
from truce.core.models import User
from truce.core.scenario import load_scenario
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.lib import bearings
from truce.monitoring import selectors
from truce.monitoring.models import CheckIn, Incident, Observation
from truce.monitoring.scenario import OBSERVATION_FIELDS
from truce.monitoring.simulate import (
    BEARING_NOISE_DEG,
    EXPLOSION_TYPES,
    KINDS,
    Layout,
    SimDay,
    Simulator,
    TrueEvent,
    events_by_id,
)

FOLDER = Path(settings.TRUCE_SCENARIO_DIR) / "briefings-2020"
START = dt.datetime(2020, 11, 21, 14, 0, tzinfo=dt.UTC)  # 18:00 mission time, after the demo day
MISSION_TZ = "Asia/Baku"


@pytest.fixture(scope="module")
def layout() -> Layout:
    return Layout.from_geojson(
        json.loads((FOLDER / "facilities.geojson").read_text(encoding="utf-8")),
        json.loads((FOLDER / "zones.geojson").read_text(encoding="utf-8")),
    )


def week(layout: Layout, profile: str, seed: int = 7) -> list[SimDay]:
    return list(Simulator(layout, start=START, days=7, seed=seed, profile=profile).run())


def stream(days: list[SimDay]) -> list[tuple[dict[str, Any], int, str]]:
    return [(o.data, o.event, o.party) for d in days for o in d.observations]


def true_distance(post: Any, event: TrueEvent) -> tuple[float, float]:
    azimuth, _, meters = bearings.GEOD.inv(post.lon, post.lat, event.lon, event.lat)
    return azimuth % 360.0, meters


# --- the generator ------------------------------------------------------------------------------


def test_same_seed_gives_the_same_stream_and_another_seed_another(layout: Layout) -> None:
    first = Simulator(layout, start=START, days=2, seed=7, profile="tense")
    again = Simulator(layout, start=START, days=2, seed=7, profile="tense")
    days, days_again = list(first.run()), list(again.run())
    assert stream(days) == stream(days_again)
    assert [d.check_ins for d in days] == [d.check_ins for d in days_again]
    assert stream(days) != stream(list(Simulator(layout, start=START, days=2, seed=8).run()))
    # A day is the same whether drawn alone or as part of a longer run.
    alone = list(Simulator(layout, start=START, days=1, seed=7, profile="tense").run())
    assert stream(alone) == stream(days[:1])
    uuids = [o["client_uuid"] for o, _, _ in stream(days)]
    uuids += [c.client_uuid for d in days for c in d.check_ins]
    assert len(uuids) == len(set(uuids))


def test_each_item_is_an_ingest_dict_of_a_simulated_observation(layout: Layout) -> None:
    for day in week(layout, "mixed"):
        for obs in day.observations:
            data = obs.data
            assert set(data) <= OBSERVATION_FIELDS
            at = dt.datetime.fromisoformat(data["observed_at"])
            assert at == obs.at and day.start <= at < day.end
            assert "Simulated" in data["source"] and data["text"].startswith("Simulated")
            if obs.party == "mission":
                assert data["observer_kind"] == "op" and 0 <= data["bearing_deg"] < 360
            else:
                assert data["observer_kind"] == "party_complaint" and "lon" in data


def test_posts_report_bearing_distance_and_time_with_realistic_errors(layout: Layout) -> None:
    posts = {p.code: p for p in layout.posts}
    bearing_errors: list[float] = []
    days = week(layout, "tense")
    events = events_by_id(days)
    for obs in (o for d in days for o in d.observations):
        event = events[obs.event]
        if event.kind not in KINDS:  # volleys scatter around their exchange's centre
            continue
        azimuth, meters = true_distance(posts[obs.data["observer_post"]], event)
        error = float(bearings.angle_difference_deg(obs.data["bearing_deg"], azimuth))
        bearing_errors.append(error)
        assert error < 4 * BEARING_NOISE_DEG
        if "distance_m" in obs.data:
            # Within 25 % of the truth, give or take the rounding to 50 m.
            assert 0.75 * meters - 25 <= obs.data["distance_m"] <= 1.25 * meters + 25
        assert abs((obs.at - event.started_at).total_seconds()) <= 60
    rms = (sum(e * e for e in bearing_errors) / len(bearing_errors)) ** 0.5
    assert len(bearing_errors) > 100 and 1.5 < rms < 3.5


def test_profiles_differ_as_their_names_say(layout: Layout) -> None:
    per_day = {
        profile: [len(d.observations) for d in week(layout, profile)]
        for profile in ("quiet", "mixed", "tense")
    }
    means = {profile: statistics.mean(n) for profile, n in per_day.items()}
    assert means["quiet"] < means["mixed"] < means["tense"]
    quiet = week(layout, "quiet")
    types = Counter(o.data["type"] for d in quiet for o in d.observations)
    assert not set(types) & {*EXPLOSION_TYPES, "civilian_harm"}
    assert {"illumination_flare", "bursts_and_shots"} <= set(types)
    assert all(d.silent is None for d in quiet)
    tense = week(layout, "tense")
    for day in tense:
        exchanges = [e for e in day.events if e.kind == "exchange"]
        assert exchanges and day.silent is not None
        posts = defaultdict(set)
        for obs in day.observations:
            posts[obs.event].add(obs.data.get("observer_post"))
        assert any(len(posts[e.id]) >= 2 for e in exchanges)
    reports = [o for d in tense for o in d.observations if o.party != "mission"]
    assert {o.party for o in reports} == {"side_a", "side_b"}
    casualties = [o for o in reports if o.data.get("injured_civilian")]
    assert casualties and all(o.data["type"] == "civilian_harm" for o in casualties)


def test_more_at_night_and_flares_only_at_night(layout: Layout) -> None:
    zone = ZoneInfo(MISSION_TZ)

    def at_night(moment: dt.datetime) -> bool:
        hour = moment.astimezone(zone).hour
        return hour >= 18 or hour < 6

    reports: Counter[str] = Counter()
    for day in week(layout, "mixed") + week(layout, "tense"):
        for obs in day.observations:
            reports["night" if at_night(obs.at) else "day"] += 1
        for event in day.events:
            # A report may be a minute off; the flare itself went up at night.
            if event.kind == "flare":
                assert at_night(event.started_at), event
            if event.kind == "movement":
                assert not at_night(event.started_at), event
    # Night is half the hours and has three times the rate of most kinds.
    assert reports["night"] > 1.5 * reports["day"]


def test_bearings_of_several_posts_intersect_near_the_true_event(layout: Layout) -> None:
    posts = {p.code: p for p in layout.posts}
    errors: list[float] = []
    within = 0
    days = week(layout, "tense") + week(layout, "mixed")
    events = events_by_id(days)
    by_event: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for obs in (o for d in days for o in d.observations if o.party == "mission"):
        by_event[obs.event][obs.data["observer_post"]].append(obs.data["bearing_deg"])
    for event_id, seen in by_event.items():
        if len(seen) < 2:
            continue
        lines = [
            (posts[code].lon, posts[code].lat, bearings.circular_mean_deg(values))
            for code, values in seen.items()
        ]
        fix = bearings.intersect_bearings(lines, sigma_deg=BEARING_NOISE_DEG)
        if fix is None:  # nearly parallel bearings: refused, as it should be
            continue
        event = events[event_id]
        _, _, error = bearings.GEOD.inv(event.lon, event.lat, fix.lon, fix.lat)
        errors.append(error)
        assert fix.uncertainty_m is not None
        within += error <= 3 * fix.uncertainty_m + 300  # volleys scatter ~250 m
    errors.sort()
    assert len(errors) >= 20
    assert statistics.median(errors) < 500
    assert errors[int(0.9 * len(errors))] < 1_500
    assert within >= 0.9 * len(errors)


def test_a_silent_post_neither_checks_in_nor_reports_for_the_rest_of_its_day(
    layout: Layout,
) -> None:
    for day in week(layout, "tense"):
        assert day.silent is not None
        post, since = day.silent
        assert not [c for c in day.check_ins if c.post == post and c.checked_in_at >= since]
        assert not [
            o for o in day.observations if o.data.get("observer_post") == post and o.at >= since
        ]
        last = max(c.checked_in_at for c in day.check_ins if c.post == post)
        assert day.end - last > dt.timedelta(hours=6)
        others = {
            c.post for c in day.check_ins if c.checked_in_at >= day.end - dt.timedelta(hours=2)
        }
        assert len(others) == len(layout.posts) - 1 and post not in others


# --- the command ----------------------------------------------------------------------------------


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def recovered(days: list[SimDay]) -> tuple[float, float]:
    """Share of observations in their incident's main event, and in their event's main incident."""
    incident_of = dict(Observation.objects.values_list("client_uuid", "incident_id"))
    pairs = [
        (o.event, incident_of[uuid.UUID(o.data["client_uuid"])])
        for d in days
        for o in d.observations
    ]
    by_incident: dict[int, Counter[int]] = defaultdict(Counter)
    by_event: dict[int, Counter[int]] = defaultdict(Counter)
    for event, incident in pairs:
        by_incident[incident][event] += 1
        by_event[event][incident] += 1
    purity = sum(c.most_common(1)[0][1] for c in by_incident.values()) / len(pairs)
    completeness = sum(c.most_common(1)[0][1] for c in by_event.values()) / len(pairs)
    return purity, completeness


@pytest.mark.django_db
def test_a_tense_day_into_the_database_counts_fixes_and_alerts(layout: Layout) -> None:
    load_scenario("briefings-2020", demo_passwords=True)
    output = simulate("--profile", "tense", "--seed", "7", "--batch", "50")
    day = Simulator(layout, start=START, seed=7, profile="tense").day(0)
    assert Observation.objects.filter(observed_at__gte=START).count() == len(day.observations)
    assert CheckIn.objects.filter(checked_in_at__gte=START).count() == len(day.check_ins)
    assert "observations: 50 of" in output and "/s)" in output
    duty = User.objects.get(username="duty")
    windows = {
        Observation.objects.get(client_uuid=o.data["client_uuid"]).window for o in day.observations
    }
    for window in windows:
        rows = selectors.counts_for(duty, window=window, by="type")
        rows_here = Observation.objects.filter(window=window)
        assert sum(r["observations"] for r in rows) == rows_here.count() > 0
        assert sum(r["events"] for r in rows) == sum(rows_here.values_list("count", flat=True))
        assert f"Mission day {window}" in output
    fixed = Incident.objects.filter(started_at__gte=START).exclude(position_method="")
    assert fixed.filter(position_method="intersection").exists()
    assert f"with a position fix: {fixed.count()}" in output
    raised = Alert.objects.count()
    assert raised >= 1 and f"Alerts raised: {raised}" in output
    purity, completeness = recovered([day])
    assert purity >= 0.9 and completeness >= 0.9
    assert ledger_verify().ok
    # Running it again writes nothing: the client UUIDs come from the seed.
    before = LedgerEntry.objects.count()
    assert "Recorded 0 new observations" in simulate("--profile", "tense", "--seed", "7")
    assert LedgerEntry.objects.count() == before
    # The silent post raises its alert on the tick at the end of the day.
    assert day.silent is not None
    tick = StringIO()
    call_command("alerts", "tick", "--now", "2020-11-22T14:00:00Z", stdout=tick)
    assert "raised 1," in tick.getvalue()
    assert Alert.objects.get(kind="op_silent").facility.code == day.silent[0]  # type: ignore[union-attr]
    assert ledger_verify().ok


@pytest.mark.django_db
def test_out_writes_the_stream_as_json_lines(layout: Layout, tmp_path: Path) -> None:
    target = tmp_path / "day.jsonl"
    output = simulate("--profile", "quiet", "--seed", "3", "--out", str(target))
    day = Simulator(layout, start=START, seed=3, profile="quiet").day(0)
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    observations = [row for row in lines if row["record"] == "observation"]
    check_ins = [row for row in lines if row["record"] == "check_in"]
    assert [row["data"] for row in observations] == [o.data for o in day.observations]
    assert [row["event"] for row in observations] == [o.event for o in day.observations]
    assert [row["data"] for row in check_ins] == [c.data() for c in day.check_ins]
    assert f"Wrote {len(lines):,} lines" in output
    assert not Observation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2030-01-01T14:00:00Z"], "in the future"),
        (["--start", "2020-11-01T14:00:00Z"], "before the ceasefire"),
        (["--start", "2020-11-21T14:00:00"], "UTC offset"),
        (["--batch", "1001"], "batch"),
        (["--via-api", "ftp://example.org", "--token", "t", "--profile", "quiet"], "http"),
        ([], "no observation posts"),
    ],
)
def test_bad_options_are_one_line_naming_the_option(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        simulate(*args)


@pytest.mark.django_db(transaction=True)
def test_via_api_posts_batches_with_bearer_tokens(live_server: Any) -> None:
    load_scenario("briefings-2020", demo_passwords=True)
    tokens = {
        name: core_services.token_create(actor=None, user=name, name="simulate")[1]
        for name in ("operator", "liaison-a", "liaison-b")
    }
    # Only ever to this machine's test server.
    url = live_server.url.replace("//localhost:", "//127.0.0.1:")
    assert url.startswith("http://127.0.0.1:")
    args = ["--profile", "tense", "--seed", "11", "--batch", "40", "--via-api", url]
    args += ["--token", tokens["operator"], "--token-side-a", tokens["liaison-a"]]
    output = simulate(*args, "--token-side-b", tokens["liaison-b"])
    day = Simulator(
        Layout.from_geojson(
            json.loads((FOLDER / "facilities.geojson").read_text(encoding="utf-8")),
            json.loads((FOLDER / "zones.geojson").read_text(encoding="utf-8")),
        ),
        start=START,
        seed=11,
        profile="tense",
    ).day(0)
    stored = set(Observation.objects.values_list("client_uuid", flat=True))
    assert {uuid.UUID(o.data["client_uuid"]) for o in day.observations} <= stored
    parties = Counter(
        Observation.objects.filter(observed_at__gte=START).values_list(
            "reporting_party__scope", flat=True
        )
    )
    assert parties["mission"] and parties["side_a"] + parties["side_b"] >= 1
    assert CheckIn.objects.filter(checked_in_at__gte=START).count() == len(day.check_ins)
    assert f"({len(day.observations):,} new)" in output and "Mission day 2020-11-22" in output
    # A resend over a bad link is harmless.
    again = simulate(*args, "--token-side-b", tokens["liaison-b"])
    assert "(0 new)" in again
