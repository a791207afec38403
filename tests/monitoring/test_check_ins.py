"""OP check-ins: the mission's, idempotent, and the latest per post in one query."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.monitoring.conftest import Front, HookCalls
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.lib.time import utcnow
from truce.monitoring.models import CheckIn
from truce.monitoring.selectors import last_check_ins
from truce.monitoring.services import check_in_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]
AT = dt.datetime(2020, 11, 20, 6, 0, tzinfo=dt.UTC)


def test_a_check_in_is_recorded_once(front: Front, operator: User, hook_calls: HookCalls) -> None:
    key = uuid.uuid4()
    first = check_in_record(actor=operator, post="op-a", client_uuid=key, checked_in_at=AT)
    assert first.created
    assert first.check_in.visibility == ["mission"]
    assert first.check_in.reporter == operator
    entries = LedgerEntry.objects.count()
    again = check_in_record(actor=operator, post="op-a", client_uuid=str(key), checked_in_at=AT)
    assert not again.created and again.check_in.pk == first.check_in.pk
    # A resend without a time (the server's clock) is the same check-in too.
    assert not check_in_record(actor=operator, post="op-a", client_uuid=key).created
    assert LedgerEntry.objects.count() == entries
    assert CheckIn.objects.count() == 1
    assert hook_calls.check_ins == [first.check_in]
    with pytest.raises(Conflict) as caught:
        check_in_record(actor=operator, post="op-a", client_uuid=key, status="degraded")
    assert caught.value.field == "client_uuid"


def test_a_facility_object_names_the_post_too(front: Front, operator: User) -> None:
    result = check_in_record(actor=operator, post=front.op_b, client_uuid=uuid.uuid4())
    assert result.check_in.post == front.op_b
    assert abs(result.check_in.checked_in_at - utcnow()) < dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"post": "op-zz"}, "post"),
        ({"post": "wh-1"}, "post"),
        ({"status": "asleep"}, "status"),
        ({"client_uuid": "nope"}, "client_uuid"),
        ({"checked_in_at": "2020-11-20T06:00:00"}, "checked_in_at"),
        ({"checked_in_at": "later"}, "checked_in_at"),
        ({"checked_in_at": utcnow() + dt.timedelta(hours=1)}, "checked_in_at"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_bad_check_ins_name_the_field(
    front: Front, operator: User, changes: dict, field: str
) -> None:
    call = {"actor": operator, "post": "op-a", "client_uuid": uuid.uuid4(), **changes}
    with pytest.raises(InvalidInput) as caught:
        check_in_record(**call)
    assert caught.value.field == field
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("user_fixture", ["side_a_user", "side_b_user", "agency_user"])
def test_only_the_mission_checks_in(
    request: pytest.FixtureRequest, front: Front, user_fixture: str
) -> None:
    user: User = request.getfixturevalue(user_fixture)
    with pytest.raises(PermissionDenied):
        check_in_record(actor=user, post="op-a", client_uuid=uuid.uuid4())


def test_the_latest_check_in_per_post_in_one_query(front: Front, operator: User) -> None:
    for hours, status in ((0, "normal"), (2, "degraded"), (1, "normal")):
        check_in_record(
            actor=operator,
            post="op-a",
            client_uuid=uuid.uuid4(),
            checked_in_at=AT + dt.timedelta(hours=hours),
            status=status,
            note=f"after {hours} h",
        )
    with CaptureQueriesContext(connection) as queries:
        rows = last_check_ins(operator)
    assert len(queries) == 1
    by_post = {row.post: row for row in rows}
    assert set(by_post) == {"op-a", "op-b", "op-s"}  # observation posts only
    latest = by_post["op-a"]
    assert (latest.checked_in_at, latest.status, latest.note) == (
        AT + dt.timedelta(hours=2),
        "degraded",
        "after 2 h",
    )
    assert latest.post_code == "op-a" and latest.post_name == "OP-A"
    assert by_post["op-b"].checked_in_at is None
