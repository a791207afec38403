"""OP check-ins: a post reports that it is manned and in contact.

Only the mission checks in, for a post it can see; check-ins are mission-only
records. A resend (same client_uuid, same content) returns the first one;
the same UUID with different content is a Conflict.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from truce.alerts import hooks
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import Facility, User
from truce.core.records import record_create
from truce.core.sharing import Scope, viewer_scope, visible
from truce.ledger.services import ledger_lock
from truce.lib.time import utcnow
from truce.monitoring.models import CheckIn
from truce.monitoring.services.validation import CLOCK_SKEW, POST_KINDS

STATUSES = ("normal", "degraded")
NOTE_LIMIT = 500


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    created: bool


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput("client_uuid must be a UUID", field="client_uuid") from None


def _instant(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                "checked_in_at must be an ISO 8601 date and time", field="checked_in_at"
            ) from None
    if value.tzinfo is None:
        raise InvalidInput("checked_in_at needs a time zone", field="checked_in_at")
    if value > utcnow() + CLOCK_SKEW:
        raise InvalidInput("checked_in_at is in the future", field="checked_in_at")
    return value.astimezone(dt.UTC)


@transaction.atomic
def check_in_record(
    *,
    actor: User,
    post: str | Facility,
    client_uuid: uuid.UUID | str,
    checked_in_at: dt.datetime | str | None = None,
    status: str = "normal",
    note: str = "",
) -> CheckInResult:
    """Record that a post checked in (now, unless checked_in_at says when).

    post is the facility's code (or the facility); it must be an observation
    post or checkpoint the actor may see.
    """
    if viewer_scope(actor) != Scope.MISSION:
        raise PermissionDenied("only the mission's posts check in")
    key = _uuid(client_uuid)
    at = _instant(checked_in_at)
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    note = note or ""
    if len(note) > NOTE_LIMIT:
        raise InvalidInput(f"note holds at most {NOTE_LIMIT} characters", field="note")
    code = post.code if isinstance(post, Facility) else post
    facility = (
        visible(Facility.objects.filter(code=code, kind__in=POST_KINDS), actor).first()
        if isinstance(code, str)
        else None
    )
    if facility is None:
        raise InvalidInput("unknown observation post", field="post")
    ledger_lock()
    prior = CheckIn.objects.filter(client_uuid=key).select_related("post").first()
    if prior is not None:
        same = (
            prior.post_id == facility.pk
            and prior.status == status
            and prior.note == note
            and (at is None or prior.checked_in_at == at)
        )
        if not same:
            raise Conflict(
                f"client_uuid {key} was already used for a different check-in",
                field="client_uuid",
            )
        return CheckInResult(prior, False)
    check_in = record_create(
        actor=actor,
        model=CheckIn,
        fields={
            "client_uuid": key,
            "post": facility,
            "checked_in_at": at or utcnow(),
            "reporter": actor,
            "status": status,
            "note": note,
        },
        visibility=None,
    )
    hooks.check_in_recorded(check_in, actor=actor)
    return CheckInResult(check_in, True)
