"""Single reports arriving together share a transaction, each with its own answer."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from typing import Any

import pytest
from django.db import connections, transaction
from pytest_django.fixtures import Settings

from tests.monitoring.conftest import T0, Front, ObsFactory
from truce.core.errors import Conflict, InvalidInput
from truce.core.models import User
from truce.ledger.models import LedgerEntry, LedgerHead
from truce.ledger.services import ledger_verify
from truce.monitoring.models import Observation
from truce.monitoring.services import ingest, observation_record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hook_calls")]


@pytest.fixture(autouse=True)
def background(settings: Settings) -> None:
    settings.TRUCE_GROUPING = "background"


def _at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def _together(reports: list[tuple[User, dict[str, Any]]]) -> tuple[list[Any], int]:
    """Send the reports from threads while this thread holds the write lock, so they
    queue together; returns each one's answer (or exception) and the transactions used."""
    commits = []
    real = ingest.commit_reports

    def counting(*args: Any, **kwargs: Any) -> Any:
        commits.append(1)
        return real(*args, **kwargs)

    answers: list[Any] = [None] * len(reports)

    def send(i: int, actor: User, data: dict[str, Any]) -> None:
        try:
            answers[i] = observation_record(actor=actor, data=data)
        except Exception as exc:
            answers[i] = exc
        finally:
            connections.close_all()

    ingest.commit_reports = counting  # type: ignore[assignment]
    try:
        threads = [
            threading.Thread(target=send, args=(i, actor, data))
            for i, (actor, data) in enumerate(reports)
        ]
        with transaction.atomic():
            LedgerHead.objects.filter(id=1).update(seq=LedgerHead.objects.get(id=1).seq)
            for thread in threads:
                thread.start()
            time.sleep(0.5)  # all of them queue behind this transaction
        for thread in threads:
            thread.join(30)
    finally:
        ingest.commit_reports = real  # type: ignore[assignment]
    return answers, len(commits)


def test_reports_queued_together_are_written_in_one_or_two_transactions(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    items = [make_obs(observed_at=_at(i)) for i in range(8)]
    answers, transactions = _together([(operator, item) for item in items])

    assert all(a.created for a in answers), answers
    # Each report gets its own observation back.
    assert [str(a.observation.client_uuid) for a in answers] == [i["client_uuid"] for i in items]
    # The first leads alone (it was waiting at the lock); the rest queued behind it.
    assert transactions <= 2
    assert Observation.objects.count() == 8
    assert ledger_verify().ok


def test_a_bad_report_or_a_clash_fails_alone_and_the_rest_are_written(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    stored = make_obs(observed_at=_at(0))
    observation_record(actor=operator, data=stored)
    good = [make_obs(observed_at=_at(i)) for i in range(1, 4)]
    bad_bearing = make_obs(observed_at=_at(5), bearing_deg=400)
    clash = dict(stored, count=7)
    resend = dict(stored)
    answers, _ = _together(
        [(operator, d) for d in [good[0], bad_bearing, good[1], clash, resend, good[2]]]
    )

    assert isinstance(answers[1], InvalidInput) and answers[1].field == "bearing_deg"
    assert isinstance(answers[3], Conflict) and answers[3].field == "client_uuid"
    assert answers[4].created is False  # a resend gets the first observation
    assert str(answers[4].observation.client_uuid) == stored["client_uuid"]
    assert [answers[i].created for i in (0, 2, 5)] == [True, True, True]
    assert Observation.objects.count() == 4
    assert ledger_verify().ok


def test_the_same_report_twice_in_a_group_is_written_once(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    twice = make_obs(observed_at=_at(1))
    answers, _ = _together([(operator, twice), (operator, dict(twice))])
    assert sorted(a.created for a in answers) == [False, True]
    assert answers[0].observation.pk == answers[1].observation.pk
    assert Observation.objects.count() == 1


def test_reports_of_two_reporters_keep_their_own_reporter_and_ledger_actor(
    front: Front, operator: User, parties: Any, make_obs: ObsFactory
) -> None:
    from truce.core import services

    other = services.user_create(
        actor=None,
        username="operator2",
        party=parties["mission"],
        roles=["op_operator"],
        password=None,
    )
    items = [make_obs(observed_at=_at(i)) for i in range(4)]
    answers, _ = _together([(operator if i % 2 else other, d) for i, d in enumerate(items)])

    for i, answer in enumerate(answers):
        expected = operator if i % 2 else other
        assert answer.observation.reporter_id == expected.pk
        entry = LedgerEntry.objects.get(
            record_type="monitoring.observation", record_id=str(answer.observation.public_id)
        )
        assert entry.actor == expected.username
    assert ledger_verify().ok


def test_a_report_alone_is_written_at_once(
    front: Front, operator: User, make_obs: ObsFactory
) -> None:
    started = time.monotonic()
    result = observation_record(actor=operator, data=make_obs(client_uuid=str(uuid.uuid4())))
    assert result.created
    assert time.monotonic() - started < 5
    assert Observation.objects.filter(pk=result.observation.pk).exists()
