"""Writing incidents after grouping: derived fields, references, versions, ledger entries.

Shared by the ingest, the regrouping of a time range and the manual merge and
split, so an incident's fields mean the same whichever way it was formed.
An incident's ledger payload lists its observations' public ids: grouping is
the incident's business, so an observation's own version never changes when
it moves between incidents.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from truce.core.sharing import SHARE_COLUMNS
from truce.ledger.services import PendingEntry
from truce.lib.time import utcnow, window_bounds, window_of
from truce.monitoring.models import Incident
from truce.monitoring.services.bulk import update_many
from truce.monitoring.services.derive import Derived, derive
from truce.monitoring.services.incident_rows import (
    NewIncidents,
    insert_new,
    new_incidents,
    new_payloads,
)
from truce.monitoring.services.payloads import PayloadBuilder
from truce.monitoring.services.places import Places, places_now
from truce.monitoring.services.positions import FixParams
from truce.monitoring.services.table import (
    ObsTable,
    epoch_us,
    fetch_rows,
    from_epoch_us,
    uuid_text,
)

if TYPE_CHECKING:
    from truce.core.models import User

IntArray = npt.NDArray[np.int64]

INCIDENT_TYPE = Incident.ledger_type()
RELATED = ("zone", "nearest_settlement", "responsible_party", "created_by", "updated_by")


def incidents_to_write() -> QuerySet[Incident]:
    """Incidents with what their ledger payload names, but not the zones' large outlines."""
    return Incident.objects.select_related(*RELATED).defer("zone__geometry")


SHARE_NAMES = tuple(SHARE_COLUMNS.values())
# Fields set from the observations; compared to tell a real change from a no-op.
DERIVED_FIELDS = (
    "geometry",
    "position_method",
    "uncertainty_m",
    "zone_id",
    "nearest_settlement_id",
    "settlement_distance_m",
    "started_at",
    "ended_at",
    "observation_count",
    "killed",
    "injured",
    "severity",
    "type",
    *SHARE_NAMES,
)
WRITTEN_FIELDS = (
    *(f.removesuffix("_id") for f in DERIVED_FIELDS),
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "version",
    "updated_at",
    "updated_by",
)

_payload = PayloadBuilder(Incident)


def incident_payload(incident: Incident, observation_ids: Iterable[str]) -> dict[str, Any]:
    payload = _payload(incident)
    payload["observations"] = sorted(observation_ids)
    return payload


class References:
    """Hands out INC-YYYYMMDD-NNNN per mission day (the window the incident starts in).

    Rows are never removed (a dissolved incident is a tombstone), so the count
    of a day's references is its last number; the ledger's lock, held by every
    monitoring write, keeps two writers from taking the same one.
    """

    def __init__(self) -> None:
        self._next: dict[dt.date, int] = {}

    def _first_free(self, day: dt.date) -> int:
        if day not in self._next:
            prefix = f"INC-{day:%Y%m%d}-"
            # A range on the unique index ("." sorts right after "-"), not a LIKE scan.
            taken = Incident.objects.filter(
                reference__gte=prefix, reference__lt=prefix[:-1] + "."
            ).count()
            self._next[day] = taken + 1
        return self._next[day]

    def take(self, started_at: dt.datetime) -> str:
        day = window_of(started_at)
        number = self._first_free(day)
        self._next[day] = number + 1
        return f"INC-{day:%Y%m%d}-{number:04d}"

    def take_many(self, started_us: IntArray) -> list[str]:
        """take() for each start (microseconds since 1970), in the order given.

        The mission days are found by comparing the instants with the days'
        bounds (few days for many incidents), not one time-zone conversion each.
        """
        if started_us.size == 0:
            return []
        first = window_of(from_epoch_us(int(started_us.min())))
        last = window_of(from_epoch_us(int(started_us.max())))
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        ends = epoch_us([window_bounds(day)[1] for day in days])
        which = np.searchsorted(ends, started_us, side="right")
        out: list[str] = [""] * started_us.size
        for d in np.unique(which).tolist():
            at = np.flatnonzero(which == d)
            day = days[d]
            prefix = f"INC-{day:%Y%m%d}-"
            start = self._first_free(day)
            self._next[day] = start + at.size
            for offset, i in enumerate(at.tolist()):
                out[i] = f"{prefix}{start + offset:04d}"
        return out


class _Columns:
    """Derived fields as plain lists, rounded as stored (np.round, as _unchanged compares)."""

    def __init__(self, d: Derived) -> None:
        self.lon = np.round(d.lon, 7).tolist()
        self.lat = np.round(d.lat, 7).tolist()
        self.uncertainty = np.round(d.uncertainty, 1).tolist()
        self.distance = np.round(d.settlement_distance, 1).tolist()
        self.zone = d.zone.tolist()
        self.settlement = d.settlement.tolist()
        self.started = d.started.tolist()
        self.ended = d.ended.tolist()
        self.count = d.observation_count.tolist()
        self.killed = d.killed.tolist()
        self.injured = d.injured.tolist()
        self.share = d.share.tolist()
        self.method, self.severity, self.type = d.method, d.severity, d.type


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _values(c: _Columns, k: int) -> dict[str, Any]:
    lon, lat = _number(c.lon[k]), _number(c.lat[k])
    values: dict[str, Any] = {
        "geometry": None
        if lon is None or lat is None
        else {"type": "Point", "coordinates": [lon, lat]},
        "position_method": c.method[k],
        "uncertainty_m": _number(c.uncertainty[k]),
        "zone_id": c.zone[k] or None,
        "nearest_settlement_id": c.settlement[k] or None,
        "settlement_distance_m": _number(c.distance[k]),
        "started_at": from_epoch_us(c.started[k]),
        "ended_at": from_epoch_us(c.ended[k]),
        "observation_count": c.count[k],
        "killed": c.killed[k],
        "injured": c.injured[k],
        "severity": c.severity[k],
        "type": c.type[k],
    }
    for col, name in enumerate(SHARE_NAMES):
        values[name] = c.share[k][col]
    return values


def _assign(
    incident: Incident,
    values: dict[str, Any],
    zones: dict[int, Any],
    settlements: dict[int, Any],
) -> None:
    for name, value in values.items():
        if name == "zone_id":
            incident.zone = zones.get(value) if value else None
        elif name == "nearest_settlement_id":
            incident.nearest_settlement = settlements.get(value) if value else None
        else:
            setattr(incident, name, value)
    point = values["geometry"]
    lon, lat = point["coordinates"] if point else (None, None)
    incident.min_lon = incident.max_lon = lon
    incident.min_lat = incident.max_lat = lat


_STORED = (
    "id",
    "min_lon",
    "min_lat",
    "position_method",
    "uncertainty_m",
    "zone_id",
    "nearest_settlement_id",
    "settlement_distance_m",
    "started_at",
    "ended_at",
    "observation_count",
    "killed",
    "injured",
    "severity",
    "type",
    *SHARE_NAMES,
)


def _same_float(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _unchanged(ids: list[int], d: Derived, ks: list[int]) -> npt.NDArray[np.bool_]:
    """Whether each stored incident ids[i] already holds the derived fields of group ks[i].

    One range query and array comparisons, so regrouping a quiet day of 35,000
    incidents does not load them as objects: an unchanged incident starts when
    its group starts, so the incidents starting between the groups' first and
    last start are read (on the started_at index); one not among them has changed.
    """
    if not ids:
        return np.zeros(0, bool)
    k = np.array(ks, np.int64)
    names = list(_STORED)
    qs = Incident.objects.filter(
        started_at__gte=from_epoch_us(int(d.started[k].min())),
        started_at__lte=from_epoch_us(int(d.started[k].max())),
    )
    if connection.vendor == "sqlite":
        # Text for numpy, rather than a Python converter per value.
        qs = qs.annotate(
            started_text=Cast("started_at", TextField()), ended_text=Cast("ended_at", TextField())
        )
        names[names.index("started_at")] = "started_text"
        names[names.index("ended_at")] = "ended_text"
    rows = {row[0]: row for row in fetch_rows(qs.order_by().values_list(*names))}
    found = np.array([i in rows for i in ids], bool)
    if not found.any():
        return found
    present = [i for i in ids if i in rows]
    c = dict(zip(_STORED, zip(*(rows[i] for i in present), strict=True), strict=True))
    k = k[found]

    def floats(name: str) -> npt.NDArray[np.float64]:
        return np.array(c[name], float)

    def ints(name: str) -> npt.NDArray[np.int64]:
        return np.array([v or 0 for v in c[name]], np.int64)

    def texts(values: list[str]) -> npt.NDArray[np.object_]:
        return np.array(values, dtype=object)

    same = _same_float(np.round(d.lon[k], 7), floats("min_lon"))
    same &= _same_float(np.round(d.lat[k], 7), floats("min_lat"))
    same &= _same_float(np.round(d.uncertainty[k], 1), floats("uncertainty_m"))
    same &= _same_float(np.round(d.settlement_distance[k], 1), floats("settlement_distance_m"))
    same &= texts(d.method)[k] == texts(list(c["position_method"]))
    same &= texts(d.severity)[k] == texts(list(c["severity"]))
    same &= texts(d.type)[k] == texts(list(c["type"]))
    same &= d.zone[k] == ints("zone_id")
    same &= d.settlement[k] == ints("nearest_settlement_id")
    same &= d.started[k] == epoch_us(list(c["started_at"]))
    same &= d.ended[k] == epoch_us(list(c["ended_at"]))
    same &= d.observation_count[k] == ints("observation_count")
    same &= d.killed[k] == ints("killed")
    same &= d.injured[k] == ints("injured")
    for col, name in enumerate(SHARE_NAMES):
        same &= d.share[k, col] == np.array(c[name], bool)
    out = np.zeros(len(ids), bool)
    out[found] = same
    return out


Target = Incident | int | None


@dataclass
class Settled:
    """What settle() decided: new incidents (unsaved), changed ones, and their entries.

    The new incidents are also held as columns (new), which save_settled
    writes and incident_entries reads: they are to be saved as settle made them.
    """

    created: list[Incident] = field(default_factory=list)
    updated: list[Incident] = field(default_factory=list)
    # Per target, in the order given: the incident (new or changed), or the id of
    # an existing one left as it was.
    incidents: list[Incident | int] = field(default_factory=list)
    previous_status: dict[int, str] = field(default_factory=dict)
    new: NewIncidents | None = None

    def pk(self, k: int) -> int:
        target = self.incidents[k]
        return target if isinstance(target, int) else int(target.pk)

    def ids(self) -> IntArray:
        """pk(k) of every target, once saved (a day's regroup has tens of thousands)."""
        return np.array(
            [t if isinstance(t, int) else t.__dict__["id"] for t in self.incidents], np.int64
        )

    def written_ids(self) -> set[int]:
        """Ids of the created and changed incidents, once saved."""
        return {i.__dict__["id"] for i in self.created} | {i.pk for i in self.updated}


def settle(
    *,
    actor: User | None,
    members: ObsTable,
    group: IntArray,
    targets: Sequence[Target],
    membership_changed: Sequence[bool],
    references: References,
    params: FixParams | None = None,
    places: Places | None = None,
) -> Settled:
    """Recompute each target incident from its final members; new ones get references.

    targets[k] is an existing incident (an object, or its id), or None for a
    new one; group[i] is the target of members row i. Existing incidents
    whose fields and members are unchanged are left alone (no new version);
    the changed ones given by id are loaded, one query for all.
    """
    places = places or places_now()
    derived = derive(members, group, len(targets), params or FixParams.from_settings(), places)
    slots: list[Incident | int | None] = list(targets)
    by_id = [k for k, t in enumerate(targets) if isinstance(t, int)]
    if by_id:
        ids = [int(targets[k]) for k in by_id]  # type: ignore[arg-type]
        same = _unchanged(ids, derived, by_id)
        reload = [
            i for i, k, s in zip(ids, by_id, same, strict=True) if not s or membership_changed[k]
        ]
        loaded = incidents_to_write().in_bulk(reload)
        for k, incident_id in zip(by_id, ids, strict=True):
            slots[k] = loaded.get(incident_id, incident_id)
    now = utcnow()
    zones = places.zones.by_id
    settlements = places.settlements.by_id
    columns = _Columns(derived)
    result = Settled()
    by_target: list[Incident | int] = [0] * len(targets)
    in_order = np.argsort(derived.started, kind="stable")
    fresh = np.array([k for k in in_order.tolist() if slots[k] is None], np.int64)
    result.new = _new(fresh, columns, derived, references, actor, now, places)
    result.created = result.new.objects
    for k, incident in zip(fresh.tolist(), result.created, strict=True):
        by_target[k] = incident
    for k in in_order.tolist():
        target = slots[k]
        if target is None:
            continue
        if isinstance(target, int):
            by_target[k] = target  # known to be unchanged
            continue
        values = _values(columns, k)
        by_target[k] = target
        current = {name: getattr(target, name) for name in DERIVED_FIELDS}
        if current == values and not membership_changed[k]:
            continue
        result.previous_status[target.pk] = target.status
        _assign(target, values, zones, settlements)
        target.version += 1
        target.updated_at = now
        target.updated_by = actor
        result.updated.append(target)
    result.incidents = by_target
    return result


def _new(
    ks: IntArray,
    c: _Columns,
    d: Derived,
    references: References,
    actor: User | None,
    now: dt.datetime,
    places: Places,
) -> NewIncidents:
    """The new incidents ks (in start order) as columns, with their references."""
    idx = ks.tolist()
    lon = [_number(c.lon[k]) for k in idx]
    lat = [_number(c.lat[k]) for k in idx]
    zone = [c.zone[k] or None for k in idx]
    settlement = [c.settlement[k] or None for k in idx]
    values: dict[str, list[Any]] = {
        "reference": references.take_many(d.started[ks]),
        "geometry": [
            None if x is None or y is None else {"type": "Point", "coordinates": [x, y]}
            for x, y in zip(lon, lat, strict=True)
        ],
        "min_lon": lon,
        "max_lon": lon,
        "min_lat": lat,
        "max_lat": lat,
        "position_method": [c.method[k] for k in idx],
        "uncertainty_m": [_number(c.uncertainty[k]) for k in idx],
        "zone_id": zone,
        "nearest_settlement_id": settlement,
        "settlement_distance_m": [_number(c.distance[k]) for k in idx],
        "observation_count": [c.count[k] for k in idx],
        "killed": [c.killed[k] for k in idx],
        "injured": [c.injured[k] for k in idx],
        "severity": [c.severity[k] for k in idx],
        "type": [c.type[k] for k in idx],
    }
    for col, name in enumerate(SHARE_NAMES):
        values[name] = [c.share[k][col] for k in idx]
    zones, settlements = places.zones.by_id, places.settlements.by_id
    related: dict[str, list[Any]] = {
        "zone": [zones.get(z) if z else None for z in zone],
        "nearest_settlement": [settlements.get(s) if s else None for s in settlement],
    }
    return new_incidents(
        values=values,
        started_us=d.started[ks],
        ended_us=d.ended[ks],
        related=related,
        actor=actor,
        now=now,
    )


def save_settled(settled: Settled) -> None:
    """Insert the new incidents (ids come back) and write the changed ones."""
    if settled.new is not None:
        insert_new(settled.new)
    update_many(settled.updated, WRITTEN_FIELDS)


def incident_entries(
    settled: Settled, members_of: dict[int, list[str]], *, action: str = "regroup"
) -> list[PendingEntry]:
    """Ledger entries for created and changed incidents (members_of: incident id -> ids)."""
    entries = []
    created = settled.created
    payloads = (
        new_payloads(settled.new, [members_of.get(i.__dict__["id"], []) for i in created])
        if settled.new is not None
        else [incident_payload(i, members_of.get(i.pk, [])) for i in created]
    )
    for incident, payload in zip(created, payloads, strict=True):
        entries.append(
            PendingEntry(
                action="create",
                record_type=INCIDENT_TYPE,
                record_id=str(incident.public_id),
                record_version=incident.version,
                payload=payload,
            )
        )
    for incident in settled.updated:
        entries.append(
            PendingEntry(
                action=action,
                record_type=INCIDENT_TYPE,
                record_id=str(incident.public_id),
                record_version=incident.version,
                payload=incident_payload(incident, members_of.get(incident.pk, [])),
            )
        )
    return entries


def members_by_incident(
    incident_of_row: IntArray, public_ids: Sequence[Any], wanted: set[int] | None = None
) -> dict[int, list[str]]:
    """Public ids of each incident's observations (only the wanted incidents, if given)."""
    incident = np.asarray(incident_of_row, np.int64)
    rows = (
        np.flatnonzero(np.isin(incident, np.fromiter(wanted, np.int64, len(wanted))))
        if wanted is not None
        else np.arange(incident.size)
    )
    if rows.size == 0:
        return {}
    rows = rows[np.argsort(incident[rows], kind="stable")]
    ids = incident[rows]
    texts = [uuid_text(public_ids[i]) for i in rows.tolist()]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]).tolist()
    ends = [*starts[1:], rows.size]
    return {int(ids[a]): texts[a:b] for a, b in zip(starts, ends, strict=True)}


def tombstone(
    incidents: Sequence[Incident], *, actor: User | None, reason: str
) -> list[PendingEntry]:
    """Dissolve incidents left without observations (the row and its history stay)."""
    if not incidents:
        return []
    now = utcnow()
    for incident in incidents:
        incident.is_deleted = True
        incident.deleted_at = now
        incident.updated_at = now
        incident.updated_by = actor
        incident.observation_count = 0
        incident.version += 1
    update_many(
        incidents,
        ["is_deleted", "deleted_at", "updated_at", "updated_by", "observation_count", "version"],
    )
    entries = []
    for incident in incidents:
        payload = incident_payload(incident, [])
        payload["deletion_reason"] = reason
        entries.append(
            PendingEntry(
                action="delete",
                record_type=INCIDENT_TYPE,
                record_id=str(incident.public_id),
                record_version=incident.version,
                payload=payload,
            )
        )
    return entries
