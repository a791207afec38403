"""Recording observations, one or a batch, and everything that follows in one transaction.

The path, for one observation or a thousand, in two phases.

Outside the write lock (so another request's write can go on meanwhile):

1. load the actor's posts in one query and check every item in memory (a bad
   batch names every bad item and writes nothing);
2. place each event (given, or bearing and distance on the ellipsoid), find
   its zone (STRtree, cached per process) and build its row and the text of
   its ledger payload.

Inside one transaction, after locking the ledger's head (concurrent ingests
queue here, so the idempotency check sees every earlier commit):

3. look up the client UUIDs already stored: a resend answers with the first
   observation, a clash is refused;
4. group the new observations with each other and with recent ones into
   incidents, and fix each touched incident's position (inline grouping;
   in the background, grouper.py does this after the commit);
5. insert incidents and observations in bulk, chain one ledger entry per
   observation and per created or changed incident, and add to the daily
   count rollups (one upsert per distinct key);
6. tell the alerting side (truce.alerts.hooks), still inside the transaction
   (in the background only the threshold rules: the grouper raises the
   per-event ones once the incidents exist).

Nothing is written before phase 3, so a refused item leaves no trace.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction

from truce.alerts import evaluate, hooks
from truce.alerts.models import RuleKind
from truce.core.errors import Conflict, InvalidInput, PermissionDenied
from truce.core.models import User
from truce.core.sharing import Scope, share_columns_for
from truce.ledger.models import LedgerHead
from truce.ledger.selectors import type_heads
from truce.ledger.services import PendingEntry, ledger_append_many, ledger_lock
from truce.lib.canonical import canonical_json
from truce.lib.time import utcnow
from truce.monitoring.models import Observation
from truce.monitoring.services import group_commit, grouper, joining
from truce.monitoring.services.bulk import InsertRows, Maker, fetch_all, insert_returning_ids
from truce.monitoring.services.payloads import PayloadBuilder
from truce.monitoring.services.places import PLACE_TYPES, Places, places_now
from truce.monitoring.services.positions import event_positions
from truce.monitoring.services.rollups import rollups_add
from truce.monitoring.services.table import (
    rows_of,
)
from truce.monitoring.services.validation import (
    POST_TYPES,
    CleanItem,
    ValidationContext,
    clean_item,
    errors_as_list,
    first_error,
)

MAX_BATCH = 1000
_committer = group_commit.GroupCommitter()
OBSERVATION_TYPE = Observation.ledger_type()
_payload = PayloadBuilder(Observation)
_make = Maker(Observation)
_rows = InsertRows(Observation)


@dataclass(frozen=True)
class RecordResult:
    """The observation stored for an item, and whether this call created it."""

    observation: Observation
    created: bool


class BatchInvalid(InvalidInput):
    """A batch with bad items: every one is named in errors, and nothing was written."""

    status = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        bad = len({e["index"] for e in errors})
        super().__init__(
            f"{bad} item(s) of the batch are invalid; nothing was written", field="items"
        )
        self.errors = errors

    def as_dict(self) -> dict[str, object]:
        body = super().as_dict()
        error = body["error"]
        assert isinstance(error, dict)
        error["items"] = self.errors
        return body


def observation_record(*, actor: User, data: Mapping[str, Any]) -> RecordResult:
    """Record one observation; a resend with the same client_uuid and content is harmless.

    Raises InvalidInput naming the field, or Conflict(field="client_uuid") when
    the UUID was already used for different content. Where grouping is done
    in the background, reports arriving together share one transaction
    (group_commit.py), each with the answer it would get alone.
    """
    if grouper.in_background():
        _check_reporter(actor)
        return _committer.record(actor, data)
    return _ingest(actor, [data], single=True)[0]


def prepare_reports(actor: User, items: Sequence[Any]) -> Any:
    """Phase one for a batch of one reporter's items (group commit): BatchInvalid if any is bad."""
    return _prepare(actor, items, single=False)


def commit_reports(actor: User, prepared: Any, head: LedgerHead) -> list[RecordResult]:
    """Phase two, in the caller's transaction after ledger_lock(): BatchInvalid for clashes."""
    return _commit(actor, prepared, head, single=False)


def observations_record_batch(
    *, actor: User, items: Sequence[Mapping[str, Any]]
) -> list[RecordResult]:
    """Record up to 1,000 observations, all or nothing; results follow the items' order.

    Raises BatchInvalid (422) listing {"index", "field", "message"} for every
    bad item, client_uuid conflicts included.
    """
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Sequence):
        raise InvalidInput("items must be a list of observations", field="items")
    if len(items) > MAX_BATCH:
        raise InvalidInput(
            f"a batch holds at most {MAX_BATCH} observations, not {len(items)}", field="items"
        )
    if not items:
        return []
    return _ingest(actor, items, single=False)


_CLASH = "was already used for a different observation"


def _conflict_message(client_uuid: uuid.UUID) -> str:
    return f"client_uuid {client_uuid} {_CLASH}"


def is_clash(error: Mapping[str, Any]) -> bool:
    """Whether a BatchInvalid item is a client UUID already used for other content."""
    return error.get("field") == "client_uuid" and str(error.get("message", "")).endswith(_CLASH)


@dataclass
class _Prepared:
    """A request's items, checked and built, ready for the locked phase."""

    # Index of each distinct client UUID's first item, in item order.
    first: dict[uuid.UUID, CleanItem]
    # Every item by index, pointing at the first item of its client UUID.
    items: dict[int, CleanItem]
    built: dict[uuid.UUID, Observation]
    payloads: dict[uuid.UUID, str]
    rows: dict[uuid.UUID, list[Any]]
    alerts: hooks.ObservationAlertPlan | None


# Every per-process cache the ingest reads, checked with one query per request.
CACHED_TYPES = (*POST_TYPES, *PLACE_TYPES, *hooks.PLAN_TYPES)


def _prepare(actor: User, items: Sequence[Any], *, single: bool) -> _Prepared:
    """Check and build every item; raises before anything is written."""
    heads = type_heads(CACHED_TYPES)
    ctx = ValidationContext.load(actor, items, heads)
    errors: list[dict[str, Any]] = []
    first: dict[uuid.UUID, CleanItem] = {}
    by_index: dict[int, CleanItem] = {}
    for index, item in enumerate(items):
        clean, problems = clean_item(ctx, index, item)
        if problems:
            if single:
                raise first_error(problems.items())
            errors.extend(errors_as_list(index, problems))
            continue
        assert clean is not None
        earlier = first.get(clean.client_uuid)
        if earlier is None:
            first[clean.client_uuid] = clean
        elif earlier.content_sha256 != clean.content_sha256:
            errors.append(
                {
                    "index": index,
                    "field": "client_uuid",
                    "message": _conflict_message(clean.client_uuid),
                }
            )
            continue
        by_index[index] = first[clean.client_uuid]
    if errors:
        # Name clashes with stored observations too, so one answer lists every
        # bad item (a read: no lock is needed to refuse).
        errors += _clashes(actor, _existing(list(first)), first, by_index)
        raise BatchInvalid(sorted(errors, key=lambda e: e["index"]))
    unique = list(first.values())
    observations = _build(actor, unique, places_now(heads)) if unique else []
    built = {o.client_uuid: o for o in observations}
    payloads = {o.client_uuid: canonical_json(_payload(o)) for o in observations}
    rows = dict(zip(built, _rows.rows(observations), strict=True))
    kinds = [RuleKind.THRESHOLD] if grouper.in_background() else evaluate.OBSERVATION_KINDS
    alerts = hooks.plan_observation_alerts(observations, heads, kinds) if observations else None
    return _Prepared(
        first=first, items=by_index, built=built, payloads=payloads, rows=rows, alerts=alerts
    )


def _clashes(
    actor: User,
    existing: dict[uuid.UUID, Observation],
    first: dict[uuid.UUID, CleanItem],
    by_index: dict[int, CleanItem],
) -> list[dict[str, Any]]:
    """Items whose client UUID is stored for other content (or another party's report)."""
    errors = []
    for client_uuid, clean in first.items():
        prior = existing.get(client_uuid)
        # Another party's observation is a clash even with the same content.
        if prior is not None and (
            prior.content_sha256 != clean.content_sha256
            or prior.reporting_party_id != actor.party_id
        ):
            errors += [
                {"index": i, "field": "client_uuid", "message": _conflict_message(client_uuid)}
                for i, item in by_index.items()
                if item is clean
            ]
    return errors


def _check_reporter(actor: User | None) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("observations are reported by signed-in users")


def _ingest(actor: User, items: Sequence[Any], *, single: bool) -> list[RecordResult]:
    _check_reporter(actor)
    prepared = _prepare(actor, items, single=single)
    with transaction.atomic():
        head = ledger_lock()
        return _commit(actor, prepared, head, single=single)


def _commit(
    actor: User, prepared: _Prepared, head: LedgerHead, *, single: bool
) -> list[RecordResult]:
    existing = _existing(list(prepared.first))
    errors = _clashes(actor, existing, prepared.first, prepared.items)
    if errors:
        if single:
            raise Conflict(errors[0]["message"], field="client_uuid")
        raise BatchInvalid(sorted(errors, key=lambda e: e["index"]))
    new = [prepared.built[key] for key in prepared.first if key not in existing]
    _write(actor, new, prepared, head)
    created: set[uuid.UUID] = set()
    out = []
    for index in sorted(prepared.items):
        client_uuid = prepared.items[index].client_uuid
        prior = existing.get(client_uuid)
        if prior is not None:
            out.append(RecordResult(prior, False))
        else:
            # The first item of a client UUID created it; repeats in the batch did not.
            out.append(RecordResult(prepared.built[client_uuid], client_uuid not in created))
            created.add(client_uuid)
    return out


def _existing(keys: list[uuid.UUID]) -> dict[uuid.UUID, Observation]:
    """Stored observations with these client UUIDs (a light query first: resends are rare)."""
    if not keys:
        return {}
    found = fetch_all(_ids_by_client_uuid(len(keys)), [_uuid_db(k) for k in keys])
    if not found:
        return {}
    rows = (
        Observation.objects.filter(pk__in=[row[0] for row in found])
        .select_related("observer_post", "zone", "reporting_party")
        # Zone outlines are large; a resend's caller has no use for them.
        .defer("zone__geometry", "observer_post__geometry")
    )
    return {o.client_uuid: o for o in rows}


_uuid_field = Observation._meta.get_field("client_uuid")


def _uuid_db(value: uuid.UUID) -> Any:
    return _uuid_field.get_db_prep_value(value, connection)


def _ids_by_client_uuid(n: int) -> str:
    # Plain SQL: on the path of every ingest, single or batch; an IN list of n.
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * n)
    return (
        f"SELECT {q('id')} FROM {q(Observation._meta.db_table)} "  # noqa: S608
        f"WHERE {q('client_uuid')} IN ({marks})"
    )


def _build(actor: User, items: Sequence[CleanItem], places: Places) -> list[Observation]:
    """Unsaved observations with their positions, zones and visibility."""
    olon = [c.post.min_lon if c.post else c.observer_lon for c in items]
    olat = [c.post.min_lat if c.post else c.observer_lat for c in items]
    where = event_positions(
        [c.lon for c in items],
        [c.lat for c in items],
        olon,
        olat,
        [c.bearing_deg for c in items],
        [c.distance_m for c in items],
    )
    zones = places.zones
    # The post's zone if it has one, else the zone of the event (or the observer).
    # Only reports whose post has no zone need a lookup (an OP's report is its post's).
    zone_ids = np.zeros(len(items), np.int64)
    lookup = np.array([not (c.post and c.post.zone_id) for c in items], bool)
    if lookup.any():
        lon_any = np.where(np.isfinite(where.lon), where.lon, np.array(olon, dtype=float))
        lat_any = np.where(np.isfinite(where.lat), where.lat, np.array(olat, dtype=float))
        zone_ids[lookup] = zones.zones_at(lon_any[lookup], lat_any[lookup])
    now = utcnow()
    party = actor.party
    observations = []
    lons, lats, zone_list = where.lon.tolist(), where.lat.tolist(), zone_ids.tolist()
    shares: dict[frozenset[Scope], dict[str, bool]] = {}
    for i, c in enumerate(items):
        lon = None if math.isnan(lons[i]) else round(lons[i], 7)
        lat = None if math.isnan(lats[i]) else round(lats[i], 7)
        zone = c.post.zone if c.post and c.post.zone_id else zones.by_id.get(zone_list[i])
        key = frozenset(c.scopes)
        if key not in shares:
            shares[key] = share_columns_for(c.scopes)
        values = {
            "client_uuid": c.client_uuid,
            "content_sha256": c.content_sha256,
            "observed_at": c.observed_at,
            "window": c.window,
            "observer_kind": c.observer_kind,
            "observer_post_id": c.post.pk if c.post else None,
            "observer_label": c.observer_label,
            "observer_lon": olon[i],
            "observer_lat": olat[i],
            "reporter_id": actor.pk,
            "reporting_party_id": party.pk,
            "type": c.type,
            "count": c.count,
            "weapon_type": c.weapon_type,
            "bearing_deg": c.bearing_deg,
            "distance_m": c.distance_m,
            "position_method": where.method[i],
            "direction_of_fire": c.direction_of_fire,
            "direction_place": c.direction_place,
            "killed_military": c.killed_military,
            "killed_civilian": c.killed_civilian,
            "injured_military": c.injured_military,
            "injured_civilian": c.injured_civilian,
            "text": c.text,
            "zone_id": zone.pk if zone else None,
            "geometry": None if lon is None else {"type": "Point", "coordinates": [lon, lat]},
            "min_lon": lon,
            "min_lat": lat,
            "max_lon": lon,
            "max_lat": lat,
            "source": c.source,
            "confidence": c.confidence,
            "created_at": now,
            "updated_at": now,
            "created_by_id": actor.pk,
            "updated_by_id": actor.pk,
            **shares[key],
        }
        related = {
            "observer_post": c.post,
            "reporter": actor,
            "reporting_party": party,
            "zone": zone,
            "created_by": actor,
            "updated_by": actor,
        }
        observations.append(_make(values, related))
    return observations


def _write(actor: User, new: list[Observation], prepared: _Prepared, head: LedgerHead) -> None:
    if not new:
        return
    background = grouper.in_background()
    joined = None
    if not background:
        joined = joining.apply_join(
            joining.plan_join(actor, rows_of(new), [o.observed_at for o in new], places_now())
        )
        for observation, incident in zip(new, joined.incident_of_fresh, strict=True):
            observation.incident = incident
    rows = [prepared.rows[o.client_uuid] for o in new]
    _rows.refresh(rows, new, ["incident_id"])
    insert_returning_ids(new, rows)
    entries = [
        PendingEntry(
            action="create",
            record_type=OBSERVATION_TYPE,
            record_id=str(o.public_id),
            record_version=1,
            payload=prepared.payloads[o.client_uuid],
        )
        for o in new
    ]
    ledger_append_many(actor=actor, entries=entries + (joined.entries if joined else []), head=head)
    rollups_add(new)
    if joined is None:
        # Events are for the grouper to form; thresholds count observations now.
        hooks.observations_recorded(
            new, actor=actor, plan=prepared.alerts, kinds=[RuleKind.THRESHOLD]
        )
        transaction.on_commit(grouper.wake_local)
        return
    hooks.observations_recorded(new, actor=actor, plan=prepared.alerts)
    for incident, previous in joined.changed:
        hooks.incident_changed(incident, actor=actor, previous_status=previous)
