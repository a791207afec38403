"""Regrouping a time range: the same rules in one pass, people's work left alone."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.monitoring.conftest import T0, Front, ObsFactory
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services import (
    incident_set_status,
    incident_split,
    incidents_regroup,
    observations_record_batch,
)

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
