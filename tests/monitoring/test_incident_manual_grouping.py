"""Merging and splitting incidents by hand: ledger entries, derived fields, permissions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.monitoring.conftest import T0, Front, HookCalls, ObsFactory
from truce.core.errors import InvalidInput, NotFound, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services import incident_merge, incident_split, observation_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]


def _at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _observe(user: User, make_obs: ObsFactory, **changes: object) -> Observation:
    return observation_record(actor=user, data=make_obs(**changes)).observation


@pytest.fixture
def three(front: Front, operator: User, make_obs: ObsFactory) -> list[Incident]:
    """Three separate incidents: far apart in space, close in time."""
    observations = [
        _observe(operator, make_obs, lon=46.30, lat=39.56, killed_military=1, observed_at=_at(0)),
        _observe(operator, make_obs, lon=46.40, lat=39.56, observed_at=_at(1)),
        _observe(
            operator, make_obs, lon=46.50, lat=39.56, visibility=["side_a"], observed_at=_at(2)
        ),
    ]
    incidents = [Incident.objects.get(pk=o.incident_id) for o in observations]
    assert len({i.pk for i in incidents}) == 3
    return incidents


def _entries(incident: Incident) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(record_id=str(incident.public_id)).order_by("seq"))


def test_merge_moves_every_observation_into_the_earliest_and_dissolves_the_rest(
    three: list[Incident], analyst: User, hook_calls: HookCalls
) -> None:
    first, second, third = three
    merged = incident_merge(actor=analyst, incidents=[third, second, first])
    assert merged.pk == first.pk
    assert merged.grouped_by_hand
    assert merged.observation_count == 3
    assert merged.killed == 1
    assert merged.position_method == "given"
    assert merged.visibility == ["mission"]
    assert merged.version == 2
    assert Observation.objects.filter(incident=merged).count() == 3
    for gone in (second, third):
        gone.refresh_from_db()
        assert gone.is_deleted
        last = _entries(gone)[-1]
        assert last.action == "delete"
        assert json.loads(last.payload)["deletion_reason"] == f"merged into {merged.reference}"
    entry = _entries(merged)[-1]
    assert (entry.action, entry.actor, entry.record_version) == ("merge", "analyst", 2)
    payload = json.loads(entry.payload)
    assert len(payload["observations"]) == 3
    assert payload["merged_from"] == sorted([second.reference, third.reference])
    assert ledger_verify().ok
    changed = [i.pk for i, _ in hook_calls.incidents[-3:]]
    assert sorted(changed) == sorted(i.pk for i in three)


def test_merge_into_a_chosen_incident(three: list[Incident], analyst: User) -> None:
    merged = incident_merge(actor=analyst, incidents=three[:2], into=three[2])
    assert merged.pk == three[2].pk
    assert merged.observation_count == 3


def test_merge_needs_two_incidents(three: list[Incident], analyst: User) -> None:
    with pytest.raises(InvalidInput) as caught:
        incident_merge(actor=analyst, incidents=[three[0], three[0]])
    assert caught.value.field == "incidents"


def test_split_moves_observations_into_a_new_incident(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory, hook_calls: HookCalls
) -> None:
    a = _observe(operator, make_obs, lon=46.40, lat=39.56)
    b = _observe(operator, make_obs, lon=46.41, lat=39.56, injured_civilian=2, observed_at=_at(1))
    c = _observe(operator, make_obs, lon=46.40, lat=39.57, observed_at=_at(2))
    incident = Incident.objects.get(pk=a.incident_id)
    assert incident.observation_count == 3 and incident.injured == 2
    created = incident_split(actor=analyst, incident=incident, observations=[b])
    incident.refresh_from_db()
    b.refresh_from_db()
    assert b.incident_id == created.pk
    assert (incident.observation_count, incident.injured) == (2, 0)
    assert (created.observation_count, created.injured) == (1, 2)
    assert incident.grouped_by_hand and created.grouped_by_hand
    assert created.reference == "INC-20201120-0002"
    assert created.started_at == T0 + dt.timedelta(minutes=1)
    kept_entry, created_entry = _entries(incident)[-1], _entries(created)[-1]
    assert kept_entry.action == "split"
    assert json.loads(kept_entry.payload)["split_into"] == created.reference
    assert sorted(json.loads(kept_entry.payload)["observations"]) == sorted(
        [str(a.public_id), str(c.public_id)]
    )
    assert created_entry.action == "create"
    assert json.loads(created_entry.payload)["observations"] == [str(b.public_id)]
    assert ledger_verify().ok
    assert hook_calls.incidents[-1] == (created, None)


def test_split_refuses_foreign_all_or_no_observations(
    front: Front, operator: User, analyst: User, make_obs: ObsFactory
) -> None:
    a = _observe(operator, make_obs, lon=46.40, lat=39.56)
    b = _observe(operator, make_obs, lon=46.40, lat=39.56)
    other = _observe(operator, make_obs, lon=46.80, lat=39.56)
    incident = Incident.objects.get(pk=a.incident_id)
    for moving in ([], [a, b], [other]):
        with pytest.raises(InvalidInput) as caught:
            incident_split(actor=analyst, incident=incident, observations=moving)
        assert caught.value.field == "observations"


@pytest.mark.parametrize("user_fixture", ["operator", "side_a_user", "agency_user"])
def test_only_reviewers_may_merge_or_split(
    request: pytest.FixtureRequest, three: list[Incident], user_fixture: str
) -> None:
    user: User = request.getfixturevalue(user_fixture)
    shared = three[2]  # shared with side A: side A sees it, may not change it
    error = PermissionDenied if user.party.scope in ("mission", "side_a") else NotFound
    with pytest.raises(error):
        incident_merge(actor=user, incidents=[shared, shared])
    with pytest.raises(error):
        incident_split(actor=user, incident=shared, observations=[])


def test_a_hidden_incident_is_not_found(
    three: list[Incident], side_a_user: User, side_b_user: User
) -> None:
    for user in (side_a_user, side_b_user):
        with pytest.raises(NotFound):
            incident_merge(actor=user, incidents=three[:2])
        with pytest.raises(NotFound):
            incident_split(actor=user, incident=three[0], observations=[])
    assert not Incident.objects.filter(grouped_by_hand=True).exists()


@pytest.mark.parametrize("user_fixture", ["mission_user", "analyst", "admin_user"])
def test_duty_officers_analysts_and_administrators_may_merge(
    request: pytest.FixtureRequest, three: list[Incident], user_fixture: str
) -> None:
    user: User = request.getfixturevalue(user_fixture)
    assert incident_merge(actor=user, incidents=three[:2]).observation_count == 2
