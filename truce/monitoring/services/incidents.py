"""What people do to incidents: merge, split, verify, annotate.

Each is one ledger entry per incident it changes, and is allowed to mission
users with the duty officer, analyst or administrator role. A user who may
not see an incident gets NotFound, as if it did not exist; one who may see it
but not change it gets PermissionDenied.

Verification follows the missions' usual path:

    reported -> under_review -> verified | unconfirmed | dismissed
    verified | unconfirmed | dismissed -> under_review   (a re-review)

A responsible party (side A or side B) is named only when the incident is
set to verified; a re-review clears it. So is a resolution (how the mission
dealt with it: settled on the ground, referred to the parties), recorded only
with a verified or unconfirmed status: each move to such a status states it
again, and a re-review clears it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import transaction

from truce.alerts import hooks
from truce.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from truce.core.models import Party, RoleCode, User
from truce.core.sharing import Scope, can_see
from truce.ledger.services import PendingEntry, ledger_append_many, ledger_lock
from truce.lib.time import iso_utc, utcnow
from truce.monitoring.models import Incident, IncidentResolution, IncidentStatus, Observation
from truce.monitoring.services.settle import (
    INCIDENT_TYPE,
    References,
    incident_payload,
    incidents_to_write,
    settle,
    tombstone,
)
from truce.monitoring.services.table import MEMBER_FIELDS, ObsTable

REVIEWER_ROLES = (RoleCode.DUTY_OFFICER.value, RoleCode.ANALYST.value, RoleCode.ADMINISTRATOR.value)
S = IncidentStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REPORTED: frozenset({S.UNDER_REVIEW}),
    S.UNDER_REVIEW: frozenset({S.VERIFIED, S.UNCONFIRMED, S.DISMISSED}),
    S.VERIFIED: frozenset({S.UNDER_REVIEW}),
    S.UNCONFIRMED: frozenset({S.UNDER_REVIEW}),
    S.DISMISSED: frozenset({S.UNDER_REVIEW}),
}
NOTE_LIMIT = 5_000
# Statuses that may carry a resolution: a dismissed report was no incident to resolve.
RESOLVED_STATUSES = frozenset({S.VERIFIED, S.UNCONFIRMED})
RESOLUTIONS = frozenset(IncidentResolution.values)


def is_reviewer(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.party.scope == Scope.MISSION
        and (user.is_superuser or user.has_role(*REVIEWER_ROLES))
    )


def _locked(actor: User, incidents: Sequence[Incident]) -> list[Incident]:
    """The current rows, locked, in the order given; NotFound/PermissionDenied as documented."""
    ids = [i.pk for i in incidents]
    rows = incidents_to_write().select_for_update(of=("self",)).filter(pk__in=ids)
    by_id = {row.pk: row for row in rows}
    current = [by_id.get(pk) for pk in ids]
    found = [row for row in current if row is not None and can_see(row, actor)]
    if len(found) != len(current):
        raise NotFound("no such incident", field="incident")
    if not is_reviewer(actor):
        raise PermissionDenied(
            "only the mission's duty officers, analysts and administrators may change incidents"
        )
    return found


def _check_version(incident: Incident, expected_version: int) -> None:
    if incident.version != expected_version:
        raise Conflict(
            f"the incident is at version {incident.version}, not {expected_version}: "
            "reload it and apply your change again",
            field="version",
        )


def _member_rows(incident_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    return list(
        Observation.objects.filter(incident_id__in=incident_ids).values_list(*MEMBER_FIELDS)
    )


def _recompute(
    actor: User, incidents: Sequence[Incident | None], rows: list[tuple[Any, ...]], slot: list[int]
) -> list[Incident]:
    """Refresh the derived fields of the incidents (None: a new one) from their members."""
    members = ObsTable.from_rows(rows, {})
    settled = settle(
        actor=actor,
        members=members,
        group=np.array(slot, np.int64),
        targets=incidents,
        membership_changed=[True] * len(incidents),
        references=References(),
    )
    result = [i for i in settled.incidents if isinstance(i, Incident)]
    for incident in result:
        incident.grouped_by_hand = True
        incident.save()
    return result


def _entry(incident: Incident, action: str, members: Sequence[str], **extra: Any) -> PendingEntry:
    payload = incident_payload(incident, members)
    payload.update(extra)
    return PendingEntry(
        action=action,
        record_type=INCIDENT_TYPE,
        record_id=str(incident.public_id),
        record_version=incident.version,
        payload=payload,
    )


@transaction.atomic
def incident_merge(
    *, actor: User, incidents: Sequence[Incident], into: Incident | None = None
) -> Incident:
    """Merge incidents into one (by default the earliest); the others are dissolved."""
    ledger_lock()
    chosen = list({i.pk: i for i in [*incidents, *([into] if into else [])]}.values())
    rows = _locked(actor, chosen)
    if len(rows) < 2:
        raise InvalidInput("a merge needs at least two different incidents", field="incidents")
    if into is None:
        target = min(rows, key=lambda i: (i.started_at, i.reference))
    else:
        target = next(row for row in rows if row.pk == into.pk)
    others = [row for row in rows if row.pk != target.pk]
    previous = {row.pk: row.status for row in rows}
    Observation.objects.filter(incident__in=others).update(incident=target)
    member_rows = _member_rows([target.pk])
    (merged,) = _recompute(actor, [target], member_rows, [0] * len(member_rows))
    members = [str(r[1]) for r in member_rows]
    entries = [_entry(merged, "merge", members, merged_from=sorted(o.reference for o in others))]
    entries += tombstone(others, actor=actor, reason=f"merged into {merged.reference}")
    ledger_append_many(actor=actor, entries=entries)
    for incident in [merged, *others]:
        hooks.incident_changed(incident, actor=actor, previous_status=previous[incident.pk])
    return merged


@transaction.atomic
def incident_split(
    *, actor: User, incident: Incident, observations: Sequence[Observation]
) -> Incident:
    """Move the given observations out of an incident into a new one, which is returned."""
    ledger_lock()
    (source,) = _locked(actor, [incident])
    moving = {o.pk for o in observations}
    member_rows = _member_rows([source.pk])
    member_ids = {r[0] for r in member_rows}
    if not moving:
        raise InvalidInput("name the observations to move", field="observations")
    if not moving <= member_ids:
        raise InvalidInput(
            "every observation to move must belong to the incident", field="observations"
        )
    if moving == member_ids:
        raise InvalidInput(
            "a split leaves at least one observation in the incident", field="observations"
        )
    slot = [1 if r[0] in moving else 0 for r in member_rows]
    kept, created = _recompute(actor, [source, None], member_rows, slot)
    Observation.objects.filter(pk__in=moving).update(incident=created)
    ids_kept = [str(r[1]) for r, s in zip(member_rows, slot, strict=True) if s == 0]
    ids_moved = [str(r[1]) for r, s in zip(member_rows, slot, strict=True) if s == 1]
    ledger_append_many(
        actor=actor,
        entries=[
            _entry(kept, "split", ids_kept, split_into=created.reference),
            _entry(created, "create", ids_moved, split_from=kept.reference),
        ],
    )
    hooks.incident_changed(kept, actor=actor, previous_status=kept.status)
    hooks.incident_changed(created, actor=actor, previous_status=None)
    return created


def _append_note(incident: Incident, actor: User, text: str, label: str = "") -> None:
    if len(text) > NOTE_LIMIT:
        raise InvalidInput(f"a note holds at most {NOTE_LIMIT} characters", field="notes")
    when = iso_utc(utcnow().replace(microsecond=0))
    tag = f" [{label}]" if label else ""
    line = f"{when} {actor.username}{tag}: {text.strip()}"
    incident.notes = f"{incident.notes}\n{line}" if incident.notes else line


def _save_version(incident: Incident, actor: User, action: str) -> None:
    incident.version += 1
    incident.updated_at = utcnow()
    incident.updated_by = actor
    incident.save()
    members = [
        str(p)
        for p in Observation.objects.filter(incident=incident).values_list("public_id", flat=True)
    ]
    ledger_append_many(actor=actor, entries=[_entry(incident, action, members)])


def _responsible(code: str) -> Party:
    party = Party.objects.filter(
        code=code, is_deleted=False, scope__in=[Scope.SIDE_A, Scope.SIDE_B]
    ).first()
    if party is None:
        raise InvalidInput(
            f"responsible_party {code!r} is not the code of side A's or side B's party",
            field="responsible_party",
        )
    return party


@transaction.atomic
def incident_set_status(
    *,
    actor: User,
    incident: Incident,
    status: str,
    expected_version: int,
    responsible_party: str | None = None,
    notes: str | None = None,
    resolution: str | None = None,
) -> Incident:
    """Move an incident along the verification path (see the module docstring).

    resolution is one of IncidentResolution's values ("" or None: none recorded),
    only with a verified or unconfirmed status; it is in the ledger entry with
    the status.
    """
    ledger_lock()
    (current,) = _locked(actor, [incident])
    _check_version(current, expected_version)
    if status not in TRANSITIONS:
        raise InvalidInput(
            f"unknown status {status!r}; use one of {', '.join(TRANSITIONS)}", field="status"
        )
    if status not in TRANSITIONS[current.status]:
        allowed = ", ".join(sorted(TRANSITIONS[current.status]))
        raise InvalidInput(
            f"an incident that is {current.status} can move only to: {allowed}", field="status"
        )
    if responsible_party and status != IncidentStatus.VERIFIED:
        raise InvalidInput(
            "a responsible party is named only when the incident is verified",
            field="responsible_party",
        )
    if resolution and resolution not in RESOLUTIONS:
        choices = ", ".join(sorted(r for r in RESOLUTIONS if r))
        raise InvalidInput(
            f"unknown resolution {resolution!r}; use one of {choices} (or none)",
            field="resolution",
        )
    if resolution and status not in RESOLVED_STATUSES:
        raise InvalidInput(
            "a resolution is recorded only when the incident is verified or unconfirmed",
            field="resolution",
        )
    previous = current.status
    current.status = status
    current.responsible_party = _responsible(responsible_party) if responsible_party else None
    current.resolution = resolution or IncidentResolution.NONE
    if notes:
        _append_note(current, actor, notes, label=status)
    _save_version(current, actor, "set_status")
    hooks.incident_changed(current, actor=actor, previous_status=previous)
    return current


@transaction.atomic
def incident_add_note(
    *, actor: User, incident: Incident, text: str, expected_version: int
) -> Incident:
    """Append a dated, signed line to the incident's notes."""
    ledger_lock()
    (current,) = _locked(actor, [incident])
    _check_version(current, expected_version)
    if not text or not text.strip():
        raise InvalidInput("a note needs some text", field="text")
    try:
        _append_note(current, actor, text)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="text") from exc
    _save_version(current, actor, "add_note")
    hooks.incident_changed(current, actor=actor, previous_status=current.status)
    return current
