"""Verification: the allowed path, the responsible party, versions, notes and permissions."""

from __future__ import annotations

import json

import pytest

from tests.monitoring.conftest import Front, HookCalls, ObsFactory
from truce.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from truce.core.models import Party, User
from truce.ledger.models import LedgerEntry
from truce.ledger.services import ledger_verify
from truce.monitoring.models import Incident
from truce.monitoring.services import (
    TRANSITIONS,
    incident_add_note,
    incident_set_status,
    observation_record,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]
STATUSES = ["reported", "under_review", "verified", "unconfirmed", "dismissed"]


@pytest.fixture
def incident(front: Front, operator: User, make_obs: ObsFactory) -> Incident:
    obs = observation_record(actor=operator, data=make_obs(visibility=["side_a"])).observation
    return Incident.objects.get(pk=obs.incident_id)


def _move(incident: Incident, user: User, *path: str) -> Incident:
    for status in path:
        incident = incident_set_status(
            actor=user, incident=incident, status=status, expected_version=incident.version
        )
    return incident


def test_the_verification_path(incident: Incident, mission_user: User) -> None:
    expected = {
        "reported": {"under_review"},
        "under_review": {"verified", "unconfirmed", "dismissed"},
        "verified": {"under_review"},
        "unconfirmed": {"under_review"},
        "dismissed": {"under_review"},
    }
    assert expected == TRANSITIONS
    for status in STATUSES:
        current = Incident.objects.get(pk=incident.pk)
        current.status = status
        current.save()
        for target in STATUSES:
            fresh = Incident.objects.get(pk=incident.pk)
            call = {
                "actor": mission_user,
                "incident": fresh,
                "status": target,
                "expected_version": fresh.version,
            }
            if target in TRANSITIONS[status]:
                assert incident_set_status(**call).status == target
                Incident.objects.filter(pk=incident.pk).update(status=status)
            else:
                with pytest.raises(InvalidInput) as caught:
                    incident_set_status(**call)
                assert caught.value.field == "status"


def test_verifying_with_a_responsible_party(
    incident: Incident, mission_user: User, parties: dict[str, Party], hook_calls: HookCalls
) -> None:
    incident = _move(incident, mission_user, "under_review")
    verified = incident_set_status(
        actor=mission_user,
        incident=incident,
        status="verified",
        expected_version=incident.version,
        responsible_party="side-b",
        notes="Crater analysis: fired from the east.",
    )
    assert verified.status == "verified"
    assert verified.responsible_party == parties["side_b"]
    assert verified.notes.endswith("Z duty [verified]: Crater analysis: fired from the east.")
    entry = LedgerEntry.objects.filter(record_id=str(incident.public_id)).order_by("-seq")[0]
    assert (entry.action, entry.record_version) == ("set_status", verified.version)
    payload = json.loads(entry.payload)
    assert payload["status"] == "verified"
    assert payload["responsible_party"] == str(parties["side_b"].public_id)
    assert len(payload["observations"]) == 1
    assert hook_calls.incidents[-1] == (verified, "under_review")
    # A re-review clears the responsible party: it is named only once verified.
    again = _move(verified, mission_user, "under_review")
    assert again.responsible_party is None
    assert ledger_verify().ok


@pytest.mark.parametrize("status", ["under_review", "unconfirmed", "dismissed"])
def test_a_responsible_party_only_when_verified(
    incident: Incident, mission_user: User, status: str
) -> None:
    if status != "under_review":
        incident = _move(incident, mission_user, "under_review")
    with pytest.raises(InvalidInput) as caught:
        incident_set_status(
            actor=mission_user,
            incident=incident,
            status=status,
            expected_version=incident.version,
            responsible_party="side-a",
        )
    assert caught.value.field == "responsible_party"


@pytest.mark.parametrize("code", ["mission", "agencies", "public", "nobody"])
def test_the_responsible_party_is_side_a_or_side_b(
    incident: Incident, mission_user: User, code: str
) -> None:
    incident = _move(incident, mission_user, "under_review")
    with pytest.raises(InvalidInput) as caught:
        incident_set_status(
            actor=mission_user,
            incident=incident,
            status="verified",
            expected_version=incident.version,
            responsible_party=code,
        )
    assert caught.value.field == "responsible_party"


def test_a_stale_version_is_a_conflict(incident: Incident, mission_user: User) -> None:
    _move(incident, mission_user, "under_review")
    with pytest.raises(Conflict) as caught:
        incident_set_status(
            actor=mission_user, incident=incident, status="verified", expected_version=1
        )
    assert caught.value.field == "version"
    with pytest.raises(Conflict):
        incident_add_note(actor=mission_user, incident=incident, text="x", expected_version=1)


def test_an_unknown_status_is_refused(incident: Incident, mission_user: User) -> None:
    with pytest.raises(InvalidInput) as caught:
        incident_set_status(
            actor=mission_user, incident=incident, status="closed", expected_version=1
        )
    assert caught.value.field == "status"


def test_notes_are_appended_each_a_ledger_entry(
    incident: Incident, analyst: User, hook_calls: HookCalls
) -> None:
    first = incident_add_note(
        actor=analyst, incident=incident, text="Talked to OP A.", expected_version=1
    )
    second = incident_add_note(
        actor=analyst, incident=first, text="Crater found.", expected_version=2
    )
    lines = second.notes.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("analyst: Talked to OP A.") and lines[1].endswith("Crater found.")
    assert second.version == 3
    actions = list(
        LedgerEntry.objects.filter(record_id=str(incident.public_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["add_note", "add_note"]
    assert hook_calls.incidents[-1] == (second, "reported")
    for text in ("", "   ", "x" * 5_001):
        with pytest.raises(InvalidInput) as caught:
            incident_add_note(actor=analyst, incident=second, text=text, expected_version=3)
        assert caught.value.field == "text"


@pytest.mark.parametrize("user_fixture", ["operator", "side_a_user"])
def test_those_who_see_but_may_not_verify_are_refused(
    request: pytest.FixtureRequest, incident: Incident, user_fixture: str
) -> None:
    user: User = request.getfixturevalue(user_fixture)
    with pytest.raises(PermissionDenied):
        incident_set_status(
            actor=user, incident=incident, status="under_review", expected_version=1
        )
    with pytest.raises(PermissionDenied):
        incident_add_note(actor=user, incident=incident, text="hello", expected_version=1)


@pytest.mark.parametrize("user_fixture", ["side_b_user", "agency_user"])
def test_those_who_cannot_see_it_are_told_it_does_not_exist(
    request: pytest.FixtureRequest, incident: Incident, user_fixture: str
) -> None:
    user: User = request.getfixturevalue(user_fixture)
    with pytest.raises(NotFound):
        incident_set_status(
            actor=user, incident=incident, status="under_review", expected_version=1
        )
    with pytest.raises(NotFound):
        incident_add_note(actor=user, incident=incident, text="hello", expected_version=1)
    incident.refresh_from_db()
    assert (incident.version, incident.status) == (1, "reported")
