"""Correcting a mistaken observation and withdrawing a false one.

What an observer reported is never overwritten silently: a correction or a
withdrawal is a new version of the observation (checked against the version
the caller read; a stale one is a Conflict), with its ledger entry holding
the reason and the previous value of every field it changed, so the
history shows what was first reported, who changed it, when and why.

In one transaction, after the ledger's lock (the one lock order of every
write), each service:

1. checks who may: the mission's reviewers (truce.monitoring.services.incidents
   .is_reviewer) and the users of the party that reported the observation. Anyone
   else gets NotFound, as for a record they may not see, whether they can see
   this one or not;
2. writes the observation: a correction re-checks the changed fields by the
   ingest's rules (an InvalidInput names the field) and derives again what
   depends on them (the event's position from a bearing and distance, its zone,
   its mission day); a withdrawal leaves a tombstone (is_deleted), which every
   list, count, map and figure leaves out and whose history stays readable;
3. moves the daily counts: what the observation added, as it was counted, is
   taken back and what it now counts is added (rollups.rollups_adjust);
4. brings its incident up to date: a corrected observation stays in its
   incident (merge and split move it if it now belongs elsewhere), and the
   incident's position fix, times, type, severity and casualties are computed
   again from its observations; a withdrawn one leaves its incident, and an
   incident left without observations is dissolved (a tombstone, as after a
   merge), since an incident is what its observations saw.

The client's UUID and content hash stay those of the first report, so a
resend of that report is still answered with the observation (now corrected
or withdrawn) and writes nothing.

Observations waiting for the background grouper have no incident yet; the
grouper groups them as corrected (it refuses a plan made from an older
version), and never groups a withdrawn one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction

from truce.alerts import hooks
from truce.core.errors import Conflict, InvalidInput, NotFound
from truce.core.models import User
from truce.core.sharing import scopes_allow, visibility_of
from truce.ledger.services import PendingEntry, ledger_append_many, ledger_lock
from truce.lib.time import utcnow, window_of
from truce.monitoring.models import Incident, Observation, PositionMethod
from truce.monitoring.services.incidents import is_reviewer
from truce.monitoring.services.payloads import PayloadBuilder
from truce.monitoring.services.places import places_now
from truce.monitoring.services.positions import event_positions
from truce.monitoring.services.rollups import rollups_adjust
from truce.monitoring.services.settle import (
    INCIDENT_TYPE,
    References,
    incident_payload,
    incidents_to_write,
    save_settled,
    settle,
    tombstone,
)
from truce.monitoring.services.table import MEMBER_FIELDS, ObsTable
from truce.monitoring.services.validation import (
    CASUALTY_FIELDS,
    CLOCK_SKEW,
    clean_correction,
    first_error,
)

REASON_LIMIT = 2_000
OBSERVATION_TYPE = Observation.ledger_type()
_payload = PayloadBuilder(Observation)
# Bookkeeping every new version changes: not "what was corrected".
_BOOKKEEPING = frozenset({"version", "updated_at", "updated_by", "deleted_at", "is_deleted"})
# References kept out of "previous": the version before holds them, and a reader's history
# blanks a reference to what it may not see only in the record's own fields.
_REFERENCES = frozenset({"zone"})
# Written by a correction: the fields themselves and what is derived from them.
_WRITTEN = (
    "observed_at",
    "window",
    "type",
    "count",
    "weapon_type",
    "bearing_deg",
    "distance_m",
    "direction_of_fire",
    "direction_place",
    *CASUALTY_FIELDS,
    "text",
    "geometry",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "position_method",
    "zone",
    "version",
    "updated_at",
    "updated_by",
)


def may_correct(user: User | None, observation: Observation) -> bool:
    """Whether the user may correct or withdraw the observation (see the module docstring).

    Decides which forms a screen offers; the services check again on every write.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if not scopes_allow(visibility_of(observation), user):
        return False
    return is_reviewer(user) or user.party_id == observation.reporting_party_id


def _locked(actor: User, observation: Observation, expected_version: int) -> Observation:
    """The current row, locked, with what its ledger payload names."""
    current = (
        Observation.objects.select_for_update(of=("self",))
        .select_related(
            "observer_post", "zone", "reporter", "reporting_party", "created_by", "updated_by"
        )
        .defer("zone__geometry", "observer_post__geometry")
        .filter(pk=observation.pk)
        .first()
    )
    if current is None or not may_correct(actor, current):
        raise NotFound("no such observation", field="id")
    if current.is_deleted:
        raise Conflict("the observation has been withdrawn", field="expected_version")
    if current.version != expected_version:
        raise Conflict(
            f"the observation is at version {current.version}, not {expected_version}: "
            "reload it and apply your change again",
            field="expected_version",
        )
    return current


def _reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("say why (a reason is kept in the record's history)", field="reason")
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(f"a reason holds at most {REASON_LIMIT} characters", field="reason")
    return reason.strip()


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 7)


def _place(current: Observation, given: tuple[float | None, float | None]) -> None:
    """The event's position, method and zone, derived again as the ingest derives them."""
    where = event_positions(
        [given[0]],
        [given[1]],
        [current.observer_lon],
        [current.observer_lat],
        [current.bearing_deg],
        [current.distance_m],
    )
    lon, lat = _rounded(float(where.lon[0])), _rounded(float(where.lat[0]))
    current.geometry = None if lon is None else {"type": "Point", "coordinates": [lon, lat]}
    current.min_lon = current.max_lon = lon
    current.min_lat = current.max_lat = lat
    current.position_method = where.method[0]
    post = current.observer_post
    if post is not None and post.zone_id:
        return  # an OP's report is its post's zone's, wherever the event was
    zones = places_now().zones
    at_lon = lon if lon is not None else current.observer_lon
    at_lat = lat if lat is not None else current.observer_lat
    found = int(
        zones.zones_at(
            [np.nan if at_lon is None else at_lon], [np.nan if at_lat is None else at_lat]
        )[0]
    )
    current.zone = zones.by_id.get(found)


def _member_rows(incident_id: int) -> list[tuple[Any, ...]]:
    return list(
        Observation.objects.filter(incident_id=incident_id, is_deleted=False)
        .order_by("observed_at", "id")
        .values_list(*MEMBER_FIELDS)
    )


def _refresh_incident(
    actor: User, incident_id: int, *, action: str, observation: Observation, left: bool
) -> Incident:
    """Recompute the incident from its observations (left: one of them has left it)."""
    incident = incidents_to_write().select_for_update(of=("self",)).get(pk=incident_id)
    previous = incident.status
    rows = _member_rows(incident_id)
    if not rows:
        entries = tombstone([incident], actor=actor, reason="its last observation was withdrawn")
        ledger_append_many(actor=actor, entries=entries)
        hooks.incident_changed(incident, actor=actor, previous_status=previous)
        return incident
    settled = settle(
        actor=actor,
        members=ObsTable.from_rows(rows, {}),
        group=np.zeros(len(rows), np.int64),
        targets=[incident],
        membership_changed=[left],
        references=References(),
    )
    if not settled.updated:
        return incident  # nothing the observations decide has changed
    save_settled(settled)
    payload = incident_payload(incident, [str(r[1]) for r in rows])
    if not left:
        # A member, listed anyway. One that left is not named: without it the incident
        # may be shared more widely than it was, with readers who may not see it.
        payload[action] = str(observation.public_id)
    entry = PendingEntry(
        action=action,
        record_type=INCIDENT_TYPE,
        record_id=str(incident.public_id),
        record_version=incident.version,
        payload=payload,
    )
    ledger_append_many(actor=actor, entries=[entry])
    hooks.incident_changed(incident, actor=actor, previous_status=previous)
    return incident


def _new_version(current: Observation, actor: User) -> None:
    current.version += 1
    current.updated_at = utcnow()
    current.updated_by = actor


def _entry(action: str, current: Observation, extra: Mapping[str, Any]) -> PendingEntry:
    payload = _payload(current)
    payload.update(extra)
    return PendingEntry(
        action=action,
        record_type=OBSERVATION_TYPE,
        record_id=str(current.public_id),
        record_version=current.version,
        payload=payload,
    )


@transaction.atomic
def observation_correct(
    *,
    actor: User,
    observation: Observation,
    changes: Mapping[str, Any],
    expected_version: int,
    reason: str,
) -> Observation:
    """Correct what an observation says; returns its new version.

    changes holds the fields to correct (validation.CORRECTABLE_FIELDS: time,
    type, count, weapon, bearing, distance, given position, direction of fire,
    casualties, text), checked as the ingest checks them. Raises NotFound for
    a user who may not correct it, Conflict for a stale expected_version or a
    withdrawn observation, InvalidInput naming the field at fault (a
    correction that changes nothing names "changes").
    """
    ledger_lock()
    current = _locked(actor, observation, expected_version)
    why = _reason(reason)
    values, problems = clean_correction(
        changes, earliest=settings.TRUCE_CEASEFIRE_START, latest=utcnow() + CLOCK_SKEW
    )
    if problems:
        raise first_error(problems.items())
    before = _payload(current)
    # The values the rollups counted, kept before the changes are applied.
    counted = copy.copy(current)
    given = (
        (current.min_lon, current.min_lat)
        if current.position_method == PositionMethod.GIVEN
        else (None, None)
    )
    if "lon" in values:
        given = (values.pop("lon"), values.pop("lat"))
    for name, value in values.items():
        setattr(current, name, value)
    current.window = window_of(current.observed_at)
    _place(current, given)
    after = _payload(current)
    changed = sorted(k for k in after if k not in _BOOKKEEPING and after[k] != before[k])
    if not changed:
        raise InvalidInput("the correction leaves the observation as it was", field="changes")
    _new_version(current, actor)
    current.save(update_fields=_WRITTEN)
    rollups_adjust(removed=[counted], added=[current])
    previous = {name: before[name] for name in changed if name not in _REFERENCES}
    extra = {"reason": why, "previous": previous}
    ledger_append_many(actor=actor, entries=[_entry("correct", current, extra)])
    if current.incident_id is not None:
        current.incident = _refresh_incident(
            actor,
            current.incident_id,
            action="observation_corrected",
            observation=current,
            left=False,
        )
    return current


@transaction.atomic
def observation_withdraw(
    *, actor: User, observation: Observation, expected_version: int, reason: str
) -> Observation:
    """Withdraw a false report: a tombstone, out of every count, list, map and figure.

    The observation leaves its incident, which is recomputed (or dissolved if
    it had no other observation); its history stays readable. Raises as
    observation_correct does.
    """
    ledger_lock()
    current = _locked(actor, observation, expected_version)
    why = _reason(reason)
    incident_id = current.incident_id
    _new_version(current, actor)
    current.is_deleted = True
    current.deleted_at = current.updated_at
    current.incident = None
    current.save(
        update_fields=[
            "is_deleted",
            "deleted_at",
            "incident",
            "version",
            "updated_at",
            "updated_by",
        ]
    )
    rollups_adjust(removed=[current], added=[])
    # Neither entry names the other record: the incident may be hidden from readers of
    # the observation, and once it has left, the observation from readers of the incident.
    ledger_append_many(actor=actor, entries=[_entry("withdraw", current, {"reason": why})])
    if incident_id is not None:
        _refresh_incident(
            actor, incident_id, action="observation_withdrawn", observation=current, left=True
        )
    return current
