"""Batch ingest: all or nothing, every bad item named, resends harmless, ledger intact."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from tests.monitoring.conftest import T0, Front, HookCalls, ObsFactory
from truce.core.errors import InvalidInput
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.monitoring.models import Incident, Observation, ObservationCount
from truce.monitoring.services import (
    MAX_BATCH,
    BatchInvalid,
    observation_record,
    observations_record_batch,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]


def _at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def test_a_good_batch_is_written_with_one_ledger_entry_per_observation(
    front: Front, operator: User, make_obs: ObsFactory, hook_calls: HookCalls
) -> None:
    items = [make_obs(observed_at=_at(i * 30), bearing_deg=float(i)) for i in range(20)]
    before = LedgerEntry.objects.count()
    results = observations_record_batch(actor=operator, items=items)
    assert [r.created for r in results] == [True] * 20
    assert [str(r.observation.client_uuid) for r in results] == [i["client_uuid"] for i in items]
    assert all(r.observation.pk and r.observation.incident_id for r in results)
    assert Observation.objects.count() == 20
    observation_entries = LedgerEntry.objects.filter(record_type="monitoring.observation")
    assert observation_entries.count() == 20
    incidents = Incident.objects.count()
    assert LedgerEntry.objects.count() == before + 20 + incidents
    assert ledger_verify().ok
    assert len(hook_calls.observations) == 1 and len(hook_calls.observations[0]) == 20


def test_batch_entries_chain_like_single_appends(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    observation_record(actor=operator, data=make_obs())
    observations_record_batch(actor=operator, items=[make_obs(observed_at=_at(90))] * 1)
    observations_record_batch(
        actor=operator, items=[make_obs(observed_at=_at(200 + i)) for i in range(5)]
    )
    observation_record(actor=operator, data=make_obs(observed_at=_at(400)))
    result = ledger_verify()
    assert result.ok, result.reason
    seqs = list(LedgerEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_bad_batch_names_every_bad_item_and_writes_nothing(
    front: Front, operator: User, make_obs: ObsFactory, hook_calls: HookCalls
) -> None:
    items = [
        make_obs(),
        make_obs(bearing_deg=400),
        make_obs(),
        make_obs(observer_post="op-zz", count=-3),
        "not an object",
        make_obs(observed_at="2019-01-01T00:00:00Z"),
    ]
    entries = LedgerEntry.objects.count()
    with pytest.raises(BatchInvalid) as caught:
        observations_record_batch(actor=operator, items=items)  # type: ignore[list-item]
    errors = caught.value.errors
    assert {(e["index"], e["field"]) for e in errors} == {
        (1, "bearing_deg"),
        (3, "observer_post"),
        (3, "count"),
        (4, "item"),
        (5, "observed_at"),
    }
    assert all(e["message"] for e in errors)
    assert caught.value.status == 422
    assert isinstance(caught.value, InvalidInput)
    body = caught.value.as_dict()["error"]
    assert body["field"] == "items" and body["items"] == errors  # type: ignore[index]
    assert Observation.objects.count() == 0
    assert Incident.objects.count() == 0
    assert ObservationCount.objects.count() == 0
    assert LedgerEntry.objects.count() == entries
    assert hook_calls.observations == []


def test_more_than_the_limit_is_refused(front: Front, operator: User, make_obs: ObsFactory) -> None:
    item = make_obs()
    with pytest.raises(InvalidInput) as caught:
        observations_record_batch(actor=operator, items=[item] * (MAX_BATCH + 1))
    assert caught.value.field == "items"
    for not_a_list in ("text", {"a": 1}, None):
        with pytest.raises(InvalidInput) as caught:
            observations_record_batch(actor=operator, items=not_a_list)  # type: ignore[arg-type]
        assert caught.value.field == "items"
    assert observations_record_batch(actor=operator, items=[]) == []


def test_duplicates_in_a_batch_and_resends_follow_the_single_rules(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    stored = make_obs(observed_at=_at(1))
    observation_record(actor=operator, data=stored)
    twice = make_obs(observed_at=_at(2))
    fresh = make_obs(observed_at=_at(3))
    results = observations_record_batch(actor=operator, items=[stored, twice, fresh, twice])
    assert [r.created for r in results] == [False, True, True, False]
    assert results[1].observation.pk == results[3].observation.pk
    assert Observation.objects.count() == 3
    assert ledger_verify().ok


def test_clashing_uuids_in_a_batch_are_named_and_nothing_is_written(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    stored = make_obs()
    observation_record(actor=operator, data=stored)
    key = str(uuid.uuid4())
    items = [
        dict(stored, count=9),  # clashes with what is stored
        make_obs(client_uuid=key),
        make_obs(client_uuid=key, type="movement"),  # clashes with item 1
        make_obs(),
    ]
    with pytest.raises(BatchInvalid) as caught:
        observations_record_batch(actor=operator, items=items)
    assert [(e["index"], e["field"]) for e in caught.value.errors] == [
        (0, "client_uuid"),
        (2, "client_uuid"),
    ]
    assert Observation.objects.count() == 1


def test_a_full_batch_passes_the_ledger_check(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    items = [
        make_obs(
            observed_at=_at(i * 0.5),
            observer_post="op-a" if i % 2 else "op-b",
            bearing_deg=float((i * 37) % 360),
            distance_m=1_000.0 + i,
            visibility=["side_a"] if i % 3 == 0 else None,
        )
        for i in range(MAX_BATCH)
    ]
    results = observations_record_batch(actor=operator, items=items)
    assert len(results) == MAX_BATCH
    assert ledger_verify().ok
    # Each incident's latest entry lists exactly its observations.
    for incident in Incident.objects.filter(is_deleted=False)[:25]:
        entry = LedgerEntry.objects.filter(record_id=str(incident.public_id)).order_by("-seq")[0]
        listed = set(json.loads(entry.payload)["observations"])
        members = {str(p) for p in incident.observations.values_list("public_id", flat=True)}
        assert listed == members
        assert entry.record_version == incident.version
