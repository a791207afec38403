"""The demo's ceasefire monitoring as of 20 Nov 2020, loaded through the services.

The briefing's figure is "no violations or provocations recorded; minor incidents settled
on the ground". Loaded once for the module (rolled back at its end); each test runs in a
savepoint inside it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import transaction

from truce.alerts.evaluate import silent_posts
from truce.alerts.models import Alert, AlertRule
from truce.alerts.selectors import alert_rules_visible_to, alerts_visible_to
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import Facility, User
from truce.core.scenario import LoadReport, ScenarioError, load_scenario
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.lib import bearings
from truce.monitoring import selectors
from truce.monitoring.models import (
    VIOLATION_TYPES,
    CheckIn,
    Incident,
    IncidentResolution,
    IncidentStatus,
    Observation,
    PositionMethod,
)
from truce.monitoring.services import incident_set_status, observation_record

SCENARIO = "briefings-2020"
FOLDER = Path(settings.TRUCE_SCENARIO_DIR) / SCENARIO
BRIEFING_DAY = dt.date(2020, 11, 20)
BRIEFING_HOUR = dt.datetime(2020, 11, 20, 16, 0, tzinfo=dt.UTC)  # 19:00 Moscow time
REPORTER_SCOPE = {"operator": "mission", "liaison-a": "side_a", "liaison-b": "side_b"}
# Where the scenario author placed the two events seen by two OPs (see the data's README).
TRUE_POSITIONS = {
    "2020-11-20-grazing-dispute-north": (46.645, 40.208),
    "2020-11-20-field-access-south": (46.975, 39.650),
}


def data() -> list[dict[str, Any]]:
    text = (FOLDER / "monitoring" / "observations.yaml").read_text(encoding="utf-8")
    incidents: list[dict[str, Any]] = yaml.safe_load(text)["incidents"]
    return incidents


def uuids_of(entry: dict[str, Any]) -> set[str]:
    return {o["client_uuid"] for o in entry["observations"]}


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[LoadReport]:
    with django_db_blocker.unblock(), transaction.atomic():
        report = load_scenario(SCENARIO, demo_passwords=True)
        yield report
        transaction.set_rollback(True)


@pytest.fixture
def scenario(loaded: LoadReport, db: None) -> LoadReport:
    return loaded


def user(username: str) -> User:
    return User.objects.select_related("party").get(username=username)


def incident_of(entry: dict[str, Any]) -> Incident:
    (incident_id,) = set(
        Observation.objects.filter(client_uuid__in=uuids_of(entry)).values_list(
            "incident_id", flat=True
        )
    )
    return Incident.objects.get(pk=incident_id)


# --- what the load wrote ---------------------------------------------------------------------


def test_the_monitoring_sections_load_through_the_services(scenario: LoadReport) -> None:
    sections = {s.type: s for s in scenario.sections}
    observations = sum(len(e["observations"]) for e in data())
    assert sections["observations"].created == observations + len(data())
    assert sections["check_ins"].created == 81 == CheckIn.objects.count()
    assert sections["alert_rules"].created == 6 == AlertRule.objects.count()
    assert Observation.objects.count() == observations
    # Each write went through its service: one ledger entry per observation, check-in and
    # rule, and the incidents' own entries (created, joined, reviewed, verified).
    for model, count in ((Observation, observations), (CheckIn, 81), (AlertRule, 6)):
        assert LedgerEntry.objects.filter(record_type=model.ledger_type()).count() == count
    reviewed = LedgerEntry.objects.filter(record_type=Incident.ledger_type(), action="set_status")
    assert reviewed.count() == 2 * len(data())
    assert ledger_verify().ok


def test_no_violation_or_provocation_on_20_nov_computed_from_records(
    scenario: LoadReport,
) -> None:
    query = FigureQuery(user=user("duty"), as_of=BRIEFING_DAY)
    violations = figure_value("ceasefire_violations_verified", query)
    provocations = figure_value("provocations_recorded", query)
    assert violations.value == 0 and violations.records == []
    assert provocations.value == 0 and provocations.records == []
    # The figure is a count of records, not a typed-in 0: a verified violation changes it.
    explosion = observation_record(
        actor=user("operator"),
        data={
            "client_uuid": "00000000-0000-4000-8000-000000000001",
            "observed_at": "2020-11-20T10:00:00Z",
            "observer_kind": "op",
            "observer_post": "op-s01",
            "type": "explosion_impact",
            "bearing_deg": 90,
            "distance_m": 2000,
        },
    ).observation
    incident = explosion.incident
    assert incident is not None
    for status in (IncidentStatus.UNDER_REVIEW, IncidentStatus.VERIFIED):
        incident = incident_set_status(
            actor=user("duty"), incident=incident, status=status, expected_version=incident.version
        )
    assert figure_value("ceasefire_violations_verified", query).records == [incident]


def test_minor_incidents_of_20_nov_listed_with_their_observations(scenario: LoadReport) -> None:
    query = FigureQuery(user=user("duty"), as_of=BRIEFING_DAY)
    incidents = figure_value("incidents_in_window", query)
    observations = figure_value("observations_in_window", query)
    of_the_day = [e for e in data() if e["key"] in TRUE_POSITIONS]
    assert {i.pk for i in incidents.records} == {incident_of(e).pk for e in of_the_day}
    assert incidents.breakdown == {"Verified": 1, "Unconfirmed": 1}
    expected = set().union(*(uuids_of(e) for e in of_the_day))
    assert {str(o.client_uuid) for o in observations.records} == expected
    assert observations.value == len(expected) and observations.breakdown == {"Other": 4}
    # Every record says it is illustrative: the briefing gives no details.
    assert all("Illustrative" in source for source in observations.sources)


def test_each_minor_incident_is_settled_on_the_ground_and_not_a_violation(
    scenario: LoadReport,
) -> None:
    for entry in data():
        incident = incident_of(entry)
        members = {str(u) for u in incident.observations.values_list("client_uuid", flat=True)}
        assert members == uuids_of(entry), entry["key"]
        assert incident.type not in VIOLATION_TYPES
        assert incident.status == entry["verification"]["status"]
        assert incident.status in (IncidentStatus.VERIFIED, IncidentStatus.UNCONFIRMED)
        assert "Settled on the ground" in incident.notes and "duty" in incident.notes
        assert incident.responsible_party is None
        assert dt.date(2020, 11, 14) <= incident.started_at.date() <= BRIEFING_DAY
        assert incident.position_method != PositionMethod.NONE and incident.geometry


def test_minor_incidents_settled_on_the_ground_on_20_nov_are_counted_from_records(
    scenario: LoadReport,
) -> None:
    of_the_day = {incident_of(e).pk for e in data() if e["key"] in TRUE_POSITIONS}
    for entry in data():
        assert incident_of(entry).resolution == IncidentResolution.SETTLED_ON_GROUND
    settled = figure_value("incidents_settled_on_ground", FigureQuery(user("duty"), BRIEFING_DAY))
    assert settled.value == 2 and {i.pk for i in settled.records} == of_the_day
    assert settled.breakdown == {"Unconfirmed": 1, "Verified": 1}
    # A resolution, not the note's words: re-reviewing one takes it out of the figure.
    grazing = incident_of(next(e for e in data() if e["key"].endswith("grazing-dispute-north")))
    incident_set_status(
        actor=user("duty"),
        incident=grazing,
        status=IncidentStatus.UNDER_REVIEW,
        expected_version=grazing.version,
    )
    again = figure_value("incidents_settled_on_ground", FigureQuery(user("duty"), BRIEFING_DAY))
    assert again.value == 1 and grazing.pk not in {i.pk for i in again.records}


@pytest.mark.parametrize(
    ("username", "day", "expected"),
    [
        ("liaison-a", BRIEFING_DAY, 2),
        ("liaison-b", BRIEFING_DAY, 2),
        ("icrc", BRIEFING_DAY, 1),  # the grazing dispute; the field access is the sides' only
        ("viewer", BRIEFING_DAY, 0),
        ("liaison-a", dt.date(2020, 11, 17), 0),  # the corridor car is side B's incident
        ("liaison-b", dt.date(2020, 11, 17), 1),
        ("liaison-a", dt.date(2020, 11, 15), 1),  # the patrol held is side A's
        ("liaison-b", dt.date(2020, 11, 15), 0),
    ],
)
def test_each_side_counts_only_the_settled_incidents_shared_with_it(
    scenario: LoadReport, username: str, day: dt.date, expected: int
) -> None:
    reader = user(username)
    value = figure_value("incidents_settled_on_ground", FigureQuery(reader, day))
    visible = set(selectors.incidents_visible_to(reader))
    assert value.value == expected == len(value.records)
    assert set(value.records) <= visible


def test_events_seen_by_two_posts_have_a_fix_near_where_they_were(scenario: LoadReport) -> None:
    for entry in data():
        if entry["key"] not in TRUE_POSITIONS:
            continue
        incident = incident_of(entry)
        assert incident.position_method == PositionMethod.INTERSECTION
        assert incident.uncertainty_m is not None and incident.uncertainty_m < 1_000
        lon, lat = TRUE_POSITIONS[entry["key"]]
        _, _, error = bearings.GEOD.inv(lon, lat, incident.lon, incident.lat)
        assert error < 3 * incident.uncertainty_m


def test_every_post_checked_in_on_20_nov_and_none_is_silent_at_the_briefing_hour(
    scenario: LoadReport,
) -> None:
    latest = selectors.last_check_ins(user("duty"))
    assert len(latest) == 27 == Facility.objects.filter(kind="observation_post").count()
    for row in latest:
        assert row.checked_in_at is not None and row.checked_in_at.date() == BRIEFING_DAY
    rule = AlertRule.objects.get(kind="op_silent")
    assert silent_posts(rule, BRIEFING_HOUR) == []
    # The data, not the rule, keeps them quiet: six hours after the last round, all 27 are.
    assert len(silent_posts(rule, dt.datetime(2020, 11, 20, 21, 0, tzinfo=dt.UTC))) == 27


def test_demo_alert_rules_escalate_to_the_administrator_and_are_the_missions_own(
    scenario: LoadReport,
) -> None:
    rules = {r.kind: r for r in AlertRule.objects.all()}
    assert set(rules) == {"verified_violation", "threshold", "casualty", "op_silent", "proximity"}
    assert rules["threshold"].params["count"] == 3
    assert rules["threshold"].params["window_minutes"] == 30
    assert rules["op_silent"].params == {"hours": 6.0}
    targets = {r.params["target"] for r in AlertRule.objects.filter(kind="proximity")}
    assert targets == {"settlement", "corridor"}
    for rule in AlertRule.objects.all():
        assert [step[0] for step in rule.escalation] == ["duty_officer", "administrator"]
        assert rule.visibility == ["mission"] and rule.created_by == user("admin")
    assert list(alert_rules_visible_to(user("liaison-a"))) == []
    # The history of 14-20 Nov loads before the rules: it raises nothing years later.
    assert not Alert.objects.exists() and list(alerts_visible_to(user("duty"))) == []


def test_second_load_writes_no_ledger_entry(scenario: LoadReport) -> None:
    before = LedgerEntry.objects.count()
    versions = list(Incident.objects.order_by("pk").values_list("version", flat=True))
    again = load_scenario(SCENARIO, demo_passwords=True)
    assert LedgerEntry.objects.count() == before
    assert again.created == again.updated == 0 and again.unchanged == scenario.created
    assert list(Incident.objects.order_by("pk").values_list("version", flat=True)) == versions


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "scope"),
    [("liaison-a", "side_a"), ("liaison-b", "side_b"), ("icrc", "agencies"), ("viewer", "public")],
)
def test_each_reader_sees_only_what_the_data_shares_with_them(
    scenario: LoadReport, username: str, scope: str
) -> None:
    reader = user(username)
    expected_obs: set[str] = set()
    expected_incidents: set[int] = set()
    for entry in data():
        seen = {
            o["client_uuid"]
            for o in entry["observations"]
            if scope in o.get("visibility", []) or REPORTER_SCOPE[o["reporter"]] == scope
        }
        expected_obs |= seen
        if seen == uuids_of(entry):
            expected_incidents.add(incident_of(entry).pk)
    visible_obs = {str(o.client_uuid) for o in selectors.observations_visible_to(reader)}
    assert visible_obs == expected_obs
    assert {i.pk for i in selectors.incidents_visible_to(reader)} == expected_incidents
    # Check-ins and alerting are the mission's own.
    assert all(row.checked_in_at is None for row in selectors.last_check_ins(reader))
    total = figure_value("observations_in_window", FigureQuery(user=reader, as_of=BRIEFING_DAY))
    assert {str(o.client_uuid) for o in total.records} <= expected_obs


def test_the_sides_each_have_a_record_the_other_cannot_see(scenario: LoadReport) -> None:
    seen_a = {o.pk for o in selectors.observations_visible_to(user("liaison-a"))}
    seen_b = {o.pk for o in selectors.observations_visible_to(user("liaison-b"))}
    assert seen_a - seen_b and seen_b - seen_a and seen_a & seen_b
    incidents_a = set(selectors.incidents_visible_to(user("liaison-a")))
    incidents_b = set(selectors.incidents_visible_to(user("liaison-b")))
    assert incidents_a - incidents_b and incidents_b - incidents_a


# --- bad data ----------------------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "scenario"
    shutil.copytree(FOLDER, target)
    return target


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "item", "field"),
    [
        (
            "observations.yaml",
            "observer_post: op-n05",
            "observer_post: op-x99",
            "incidents[3] (key 2020-11-20-grazing-dispute-north) observations[1] "
            "(client_uuid 76c6fc38-ccf7-5d9c-8dc1-16e89c7bd79a)",
            "observer_post",
        ),
        (
            "observations.yaml",
            "reporter: liaison-b",
            "reporter: operator",
            "incidents[2] (key 2020-11-17-vehicle-turned-back-in-corridor) observations[2] "
            "(client_uuid 6cd579c8-5d50-5fc6-a78b-7101392475d5)",
            "reporter",
        ),
        (
            "observations.yaml",
            "status: unconfirmed",
            "status: settled",
            "incidents[4] (key 2020-11-20-field-access-south) verification",
            "status",
        ),
        (
            "observations.yaml",
            "status: unconfirmed\n      resolution: settled_on_ground",
            "status: unconfirmed\n      resolution: calmed_down",
            "incidents[4] (key 2020-11-20-field-access-south) verification",
            "resolution",
        ),
        (
            "observations.yaml",
            "status: unconfirmed\n      resolution: settled_on_ground",
            "status: dismissed\n      resolution: settled_on_ground",
            "incidents[4] (key 2020-11-20-field-access-south) verification",
            "resolution",
        ),
        (
            "check_ins.csv",
            ",op-n03,2020-11-20T02:02:00Z,",
            ",op-n03,2020-11-20 02:02,",
            "line 4 (client_uuid 30c45efa-a6ab-5761-a063-2718911f0ee7)",
            "checked_in_at",
        ),
        (
            "alert_rules.yaml",
            "window_minutes: 30",
            "window_minutes: 0",
            "rules[2] (name Three explosions in one zone within 30 minutes)",
            "params.window_minutes",
        ),
        (
            "alert_rules.yaml",
            "[[duty_officer, 15], [administrator, 30]]",
            "[[duty_officer, 15], [general, 30]]",
            "rules[1] (name Any verified ceasefire violation)",
            "escalation.1.role",
        ),
    ],
)
def test_bad_data_names_file_item_and_field_and_writes_nothing(
    scenario: LoadReport, copy: Path, file: str, old: str, new: str, item: str, field: str
) -> None:
    replace(copy / "monitoring" / file, old, new)
    before = LedgerEntry.objects.count()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(copy, demo_passwords=True)
    error = caught.value
    assert (error.file, error.item, error.field) == (f"monitoring/{file}", item, field)
    assert LedgerEntry.objects.count() == before


def test_observations_that_do_not_form_one_incident_stop_the_load(
    scenario: LoadReport, copy: Path
) -> None:
    # A second sighting 40 minutes later is not the same event to the grouping rules.
    path = copy / "monitoring" / "observations.yaml"
    replace(path, "2020-11-20T06:12:00Z", "2020-11-20T06:52:00Z")
    replace(path, "6c731ef6-362e-5177-aeb8-fb90fb2320b0", "6c731ef6-362e-5177-aeb8-fb90fb2320b1")
    before = LedgerEntry.objects.count()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(copy, demo_passwords=True)
    assert caught.value.field == "observations" and "formed 2 incidents" in str(caught.value)
    assert caught.value.item == "incidents[3] (key 2020-11-20-grazing-dispute-north) verification"
    assert LedgerEntry.objects.count() == before


def test_an_edited_resolution_is_a_re_review_and_a_new_version(
    scenario: LoadReport, copy: Path
) -> None:
    path = copy / "monitoring" / "observations.yaml"
    replace(
        path,
        "status: unconfirmed\n      resolution: settled_on_ground",
        "status: unconfirmed\n      resolution: referred_to_parties",
    )
    before = LedgerEntry.objects.count()
    report = load_scenario(copy, demo_passwords=True)
    assert report.created == 0 and report.updated == 1
    assert LedgerEntry.objects.count() == before + 2  # unconfirmed -> under review -> unconfirmed
    field_access = incident_of(next(e for e in data() if e["key"].endswith("field-access-south")))
    assert field_access.status == IncidentStatus.UNCONFIRMED
    assert field_access.resolution == IncidentResolution.REFERRED_TO_PARTIES


def test_an_edited_verification_or_rule_is_a_new_version(scenario: LoadReport, copy: Path) -> None:
    replace(copy / "monitoring" / "observations.yaml", "status: unconfirmed", "status: verified")
    replace(copy / "monitoring" / "alert_rules.yaml", "count: 3", "count: 4")
    before = LedgerEntry.objects.count()
    report = load_scenario(copy, demo_passwords=True)
    sections = {s.type: s for s in report.sections}
    assert (sections["observations"].updated, sections["alert_rules"].updated) == (1, 1)
    assert report.created == 0 and report.updated == 2
    # A re-review (unconfirmed -> under review -> verified) and the rule's new version.
    assert LedgerEntry.objects.count() == before + 3
    field_access = incident_of(next(e for e in data() if e["key"].endswith("field-access-south")))
    assert field_access.status == IncidentStatus.VERIFIED
    rule = AlertRule.objects.get(kind="threshold")
    assert rule.params["count"] == 4 and rule.version == 2
