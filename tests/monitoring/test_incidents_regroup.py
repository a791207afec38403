"""Regrouping a time range: the same rules in one pass, people's work left alone."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from tests.monitoring.conftest import T0, Front, ObsFactory
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.lib.canonical import canonical_json
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services import (
    incident_set_status,
    incident_split,
    incidents_regroup,
    observations_record_batch,
    table,
)
from truce.monitoring.services.settle import References
from truce.monitoring.services.table import epoch_us

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]
START = T0 - dt.timedelta(hours=1)
END = T0 + dt.timedelta(hours=3)


def _at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _ingest(user: User, make_obs: ObsFactory, minutes: list[float]) -> list[Observation]:
    items = [make_obs(lon=46.40, lat=39.56, observed_at=_at(m)) for m in minutes]
    return [r.observation for r in observations_record_batch(actor=user, items=items)]


def _groups() -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for obs in Observation.objects.order_by("observed_at"):
        groups.setdefault(obs.incident_id or 0, []).append(obs.observed_at.strftime("%H:%M"))
    return sorted(groups.values())


def test_regrouping_follows_changed_rules_and_a_second_run_writes_nothing(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory, settings
) -> None:
    _ingest(operator, make_obs, [0, 8, 30, 38])
    assert _groups() == [["08:00", "08:08"], ["08:30", "08:38"]]
    first_refs = set(Incident.objects.values_list("reference", flat=True))
    settings.TRUCE_GROUPING_WINDOW_MINUTES = 40
    assert incidents_regroup(actor=analyst, start=START, end=END) == 1
    assert _groups() == [["08:00", "08:08", "08:30", "08:38"]]
    live = Incident.objects.get(is_deleted=False)
    assert live.reference in first_refs  # the group keeps the identity of most of its rows
    assert live.observation_count == 4
    gone = Incident.objects.get(is_deleted=True)
    last = LedgerEntry.objects.filter(record_id=str(gone.public_id)).order_by("-seq")[0]
    assert last.action == "delete"
    assert json.loads(last.payload)["deletion_reason"] == "regrouped"
    entries = LedgerEntry.objects.count()
    assert incidents_regroup(actor=analyst, start=START, end=END) == 1
    assert LedgerEntry.objects.count() == entries
    settings.TRUCE_GROUPING_WINDOW_MINUTES = 5
    assert incidents_regroup(actor=analyst, start=START, end=END) == 4
    assert _groups() == [["08:00"], ["08:08"], ["08:30"], ["08:38"]]
    assert ledger_verify().ok


def test_incidents_people_worked_on_keep_their_observations(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory, settings
) -> None:
    a, b, c, _ = _ingest(operator, make_obs, [0, 5, 60, 65])
    split = incident_split(
        actor=analyst, incident=Incident.objects.get(pk=a.incident_id), observations=[b]
    )
    reviewed = Incident.objects.get(pk=c.incident_id)
    incident_set_status(
        actor=analyst, incident=reviewed, status="under_review", expected_version=reviewed.version
    )
    before = {o.pk: o.incident_id for o in Observation.objects.all()}
    settings.TRUCE_GROUPING_WINDOW_MINUTES = 120
    incidents_regroup(actor=analyst, start=START, end=END)
    after = {o.pk: o.incident_id for o in Observation.objects.all()}
    assert after == before
    assert split.pk == after[b.pk]
    # A new observation may still join an incident under review, not one grouped by hand.
    (late,) = _ingest(operator, make_obs, [66])
    assert late.incident_id == reviewed.pk


def test_observations_without_an_incident_are_grouped(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory
) -> None:
    _ingest(operator, make_obs, [0, 2, 4])
    Observation.objects.update(incident=None)
    assert incidents_regroup(actor=None, start=START, end=END) == 1
    assert Observation.objects.filter(incident__isnull=True).count() == 0
    assert ledger_verify().ok


def test_an_incident_reaching_outside_the_range_is_regrouped_whole(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory, settings
) -> None:
    _ingest(operator, make_obs, [0, 3, 6, 9])
    assert len(_groups()) == 1
    settings.TRUCE_GROUPING_WINDOW_MINUTES = 2
    # The range covers only the first observation; the whole incident is regrouped.
    incidents_regroup(actor=analyst, start=T0, end=T0 + dt.timedelta(minutes=1))
    assert _groups() == [["08:00"], ["08:03"], ["08:06"], ["08:09"]]


def test_who_may_regroup(front: Front, operator: User, side_a_user: User) -> None:
    for user in (operator, side_a_user):
        with pytest.raises(PermissionDenied):
            incidents_regroup(actor=user, start=START, end=END)


def test_the_range_must_make_sense(front: Front, analyst: User) -> None:
    with pytest.raises(InvalidInput) as caught:
        incidents_regroup(actor=analyst, start=END, end=START)
    assert caught.value.field == "end"
    with pytest.raises(InvalidInput) as caught:
        incidents_regroup(actor=analyst, start=dt.datetime(2020, 11, 20), end=END)  # noqa: DTZ001
    assert caught.value.field == "start"
    assert incidents_regroup(actor=analyst, start=START, end=END) == 0


def _spread(user: User, make_obs: ObsFactory, specs: list[tuple[float, float, float]]) -> None:
    items = [
        make_obs(lon=lon, lat=lat, observed_at=_at(minutes), visibility=["side_a"])
        for minutes, lon, lat in specs
    ]
    observations_record_batch(actor=user, items=items)


def test_each_new_incident_is_recorded_as_its_record_reads(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory
) -> None:
    _spread(operator, make_obs, [(0, 46.40, 39.56), (3, 46.401, 39.561), (5, 46.6, 39.6)])
    earlier = set(Incident.objects.values_list("pk", flat=True))
    Observation.objects.update(incident=None)
    assert incidents_regroup(actor=analyst, start=START, end=END) == 2
    formed = Incident.objects.exclude(pk__in=earlier)
    assert formed.count() == 2
    for incident in formed:
        entry = LedgerEntry.objects.filter(record_id=str(incident.public_id)).latest("seq")
        members = sorted(str(o.public_id) for o in incident.observations.all())
        expected = {**incident.ledger_payload(), "observations": members}
        assert json.loads(entry.payload) == json.loads(canonical_json(expected))
        assert entry.payload == canonical_json(expected)
        assert (entry.action, entry.actor, entry.record_version) == ("create", "analyst", 1)
        # Stored exactly as the ORM stores times: its first observation matches it.
        assert incident.observations.filter(observed_at=F("incident__started_at")).exists()
        assert Incident.objects.filter(started_at=incident.started_at, pk=incident.pk).exists()
        if connection.vendor == "sqlite":
            # Raw readers (the map) see the text the ORM would have written.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT CAST(geometry AS text), CAST(started_at AS text) "
                    "FROM monitoring_incident WHERE id = %s",
                    [incident.pk],
                )
                geometry, started = cursor.fetchone()
            field = Incident._meta.get_field("geometry")
            assert geometry == field.get_db_prep_save(incident.geometry, connection)
            assert started == str(incident.started_at.replace(tzinfo=None))
    assert ledger_verify().ok


def test_a_regroup_over_more_incidents_than_one_query_names(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory, settings, monkeypatch
) -> None:
    monkeypatch.setattr(table, "CHUNK_IDS", 2)
    # Five places some 4 km apart, each seen again every 20 minutes.
    _spread(operator, make_obs, [(m, 46.30 + 0.05 * (m % 5), 39.56) for m in range(0, 60, 4)])
    before = _groups()
    assert len(before) == 15
    settings.TRUCE_GROUPING_WINDOW_MINUTES = 30
    entries = LedgerEntry.objects.count()
    assert incidents_regroup(actor=analyst, start=START, end=END) == 5
    assert LedgerEntry.objects.count() > entries
    settings.TRUCE_GROUPING_WINDOW_MINUTES = 10
    entries = LedgerEntry.objects.count()
    assert incidents_regroup(actor=analyst, start=START, end=END) == 15
    assert _groups() == before
    assert LedgerEntry.objects.count() > entries
    entries = LedgerEntry.objects.count()
    incidents_regroup(actor=analyst, start=START, end=END)
    assert LedgerEntry.objects.count() == entries
    assert ledger_verify().ok


_runs = itertools.count()
spot = st.tuples(st.integers(0, 90), st.integers(0, 4), st.integers(0, 2))


@examples(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spots=st.lists(spot, min_size=1, max_size=12), window=st.sampled_from([5, 10, 30]))
def test_regrouping_an_unchanged_range_writes_nothing(
    front: Front,
    operator: User,
    analyst: User,
    make_obs: ObsFactory,
    settings: Any,
    spots: list[tuple[int, int, int]],
    window: int,
) -> None:
    # Each example on its own day, so the examples sharing the database do not meet.
    day = dt.timedelta(days=next(_runs))
    items = [
        make_obs(
            lon=46.30 + 0.02 * x,
            lat=39.55 + 0.02 * y,
            observed_at=(T0 + day + dt.timedelta(minutes=m)).isoformat(),
        )
        for m, x, y in spots
    ]
    observations_record_batch(actor=operator, items=items)
    settings.TRUCE_GROUPING_WINDOW_MINUTES = window
    start, end = START + day, END + day
    incidents_regroup(actor=analyst, start=start, end=end)
    links = dict(Observation.objects.values_list("pk", "incident_id"))
    versions = dict(Incident.objects.values_list("pk", "version"))
    entries = LedgerEntry.objects.count()
    formed = incidents_regroup(actor=analyst, start=start, end=end)
    assert LedgerEntry.objects.count() == entries
    assert dict(Observation.objects.values_list("pk", "incident_id")) == links
    assert dict(Incident.objects.values_list("pk", "version")) == versions
    in_range = Observation.objects.filter(observed_at__gte=start, observed_at__lt=end)
    assert formed == len({links[pk] for pk in in_range.values_list("pk", flat=True)})


def test_references_taken_together_number_as_taken_one_by_one(front: Front) -> None:
    # 14:00 UTC is 18:00 in Baku: the boundary between two mission days.
    instants = [
        dt.datetime(2020, 11, 20, 13, 0, tzinfo=dt.UTC),
        dt.datetime(2020, 11, 20, 14, 0, tzinfo=dt.UTC),
        dt.datetime(2020, 11, 20, 13, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2020, 11, 22, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2020, 11, 20, 15, 0, tzinfo=dt.UTC),
    ]
    one_by_one = References()
    expected = [one_by_one.take(i) for i in instants]
    together = References()
    assert together.take_many(epoch_us(instants)) == expected
    assert together.take(instants[0]) == one_by_one.take(instants[0])
