"""Each incident's map feature, kept by database triggers, follows every kind of write.

The map reads the stored text (truce/monitoring/map_features.py); these tests
hold it equal, value for value, to the feature built from the model instance
after ingest, merge, split, status changes, notes and bulk updates, and check
that a dropped trigger is put back after migrate.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tests.monitoring.conftest import T0, Front, ObsFactory
from truce.core.models import User
from truce.monitoring import map_features
from truce.monitoring.models import Incident, Observation
from truce.monitoring.serializers import IncidentUrls, incident_feature, incident_map_geojson
from truce.monitoring.services import (
    incident_add_note,
    incident_merge,
    incident_set_status,
    incident_split,
    observation_record,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]


def _at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _observe(user: User, make_obs: ObsFactory, **changes: object) -> Observation:
    return observation_record(actor=user, data=make_obs(**changes)).observation


def stored() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT incident_id, feature FROM {map_features.TABLE}")  # noqa: S608
        return dict(cursor.fetchall())


def assert_features_follow(user: User) -> None:
    """Every incident's stored text, completed as the map completes it, equals the reference."""
    texts = stored()
    incidents = list(Incident.objects.select_related("zone"))
    assert sorted(texts) == sorted(i.pk for i in incidents)
    urls = IncidentUrls()
    for incident in incidents:
        expected = incident_feature(incident, user, urls)
        zone = json.dumps(expected["properties"]["zone"])
        url = json.dumps(expected["properties"]["url"])
        text = f'{texts[incident.pk]}, "zone": {zone}, "url": {url}}}}}'
        got = json.loads(text)
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_features_follow_ingest_merge_split_status_and_notes(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory
) -> None:
    a = _observe(operator, make_obs, lon=46.30, lat=39.56, killed_military=1, observed_at=_at(0))
    b = _observe(operator, make_obs, lon=46.40, lat=39.56, observed_at=_at(1))
    _observe(operator, make_obs, lon=46.50, lat=39.56, observed_at=_at(2))
    assert_features_follow(analyst)

    first, second = (Incident.objects.get(pk=o.incident_id) for o in (a, b))
    merged = incident_merge(actor=analyst, incidents=[first, second])
    assert_features_follow(analyst)
    assert json.loads(stored()[merged.pk] + "}}")["properties"]["observation_count"] == 2

    created = incident_split(actor=analyst, incident=merged, observations=[b])
    assert_features_follow(analyst)
    assert created.pk in stored()

    created.refresh_from_db()
    reviewed = incident_set_status(
        actor=analyst, incident=created, status="under_review", expected_version=created.version
    )
    incident_add_note(
        actor=analyst, incident=reviewed, text="seen by two posts", expected_version=2
    )
    assert_features_follow(analyst)
    assert json.loads(stored()[created.pk] + "}}")["properties"]["status"] == "under_review"


def test_floats_are_written_exactly_and_names_escaped(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory
) -> None:
    observation = _observe(operator, make_obs, lon=46.30, lat=39.56)
    # Values no service writes (17 significant digits, a quote in the name), set in
    # bulk as the grouper and regrouping write: the text still reads back the same.
    Incident.objects.filter(pk=observation.incident_id).update(
        uncertainty_m=0.1 + 0.2,
        min_lon=46.300000000000004,
        reference='INC-"quoted"-\u0531',
    )
    assert_features_follow(analyst)
    feature = json.loads(stored()[observation.incident_id] + "}}")
    assert feature["properties"]["uncertainty_m"] == 0.1 + 0.2
    assert feature["bbox"][0] == 46.300000000000004


def test_a_deleted_row_takes_its_feature_with_it(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    observation = _observe(operator, make_obs, lon=46.30, lat=39.56)
    Observation.objects.filter(pk=observation.pk).delete()
    Incident.objects.filter(pk=observation.incident_id).delete()
    assert observation.incident_id not in stored()


def test_migrate_puts_back_triggers_a_table_rebuild_dropped(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory
) -> None:
    _observe(operator, make_obs, lon=46.30, lat=39.56)
    with connection.cursor() as cursor:
        # What a rebuild of the incident table does to them (SQLite's way to alter it).
        if connection.vendor == "sqlite":
            for name in ("monitoring_incident_map_ai", "monitoring_incident_map_au"):
                cursor.execute(f"DROP TRIGGER {name}")
        else:
            cursor.execute(f"DROP TRIGGER {map_features._PG_TRIGGER} ON monitoring_incident")
        cursor.execute(f"DELETE FROM {map_features.TABLE}")  # noqa: S608
    assert not map_features.installed(connection)
    call_command("migrate", verbosity=0)
    assert map_features.installed(connection)
    assert_features_follow(analyst)  # rebuilt for the rows written meanwhile
    _observe(operator, make_obs, lon=46.60, lat=39.56, observed_at=_at(30))
    assert_features_follow(analyst)


def test_the_map_shows_another_party_nothing_of_a_record_kept_from_it(
    front: Front, operator: User, make_obs: ObsFactory, side_a_plain: User
) -> None:
    _observe(operator, make_obs, lon=46.30, lat=39.56, visibility=["side_b"])
    _observe(operator, make_obs, lon=46.50, lat=39.56, visibility=["side_a"], observed_at=_at(9))
    body: dict[str, Any] = json.loads(incident_map_geojson(side_a_plain))
    coordinates = [f["geometry"]["coordinates"][0] for f in body["features"]]
    assert coordinates == [46.5]
