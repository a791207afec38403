"""Request and response shapes of the monitoring API.

Observations are ingested as raw JSON objects: the ingest service validates
each one and names the item and field at fault, so a batch of 1,000 is not
first pushed through 1,000 pydantic models (measured: a full per-item model
triples the parse time of a batch). `ObservationDoc` only documents the shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from truce.core.schemas import GeoOut, PageQuery, RecordOut

Grouping = Literal["post", "zone", "type"]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # A time without a zone would be read differently by each client; ISO 8601
    # with Z (or an offset) is the wire format.
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone (for example 2020-11-20T10:00:00Z)")
    return value


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# --- ingest --------------------------------------------------------------------------


class ObservationDoc(Schema):
    """One observation as sent by an OP, patrol, drone, camera or liaison officer."""

    model_config = ConfigDict(extra="forbid")

    client_uuid: str = Field(description="A UUID made by the client: a resend is harmless.")
    observed_at: str = Field(description="ISO 8601 with a zone, e.g. 2020-11-20T16:05:00Z.")
    observer_kind: str = Field(
        description="op, patrol, drone, camera, party_complaint or liaison_officer."
    )
    observer_post: str | None = Field(None, description="Facility code of the observing OP.")
    observer_label: str | None = Field(None, description="Patrol call sign, drone or camera id.")
    observer_lon: float | None = None
    observer_lat: float | None = None
    type: str = Field(description="explosion_impact, muzzle_flash, bursts_and_shots, ...")
    count: int | None = Field(None, description="How many (default 1).")
    weapon_type: str | None = None
    bearing_deg: float | None = Field(None, description="From the observer, 0-360.")
    distance_m: float | None = Field(None, description="Estimated distance from the observer.")
    lon: float | None = Field(None, description="The event's position, if known directly.")
    lat: float | None = None
    direction_of_fire: str | None = Field(None, description="incoming, outgoing or unknown.")
    direction_place: str | None = Field(None, description="Place the direction is relative to.")
    killed_military: int | None = None
    killed_civilian: int | None = None
    injured_military: int | None = None
    injured_civilian: int | None = None
    text: str | None = None
    visibility: list[str] | None = Field(None, description="Scope names (default mission).")
    source: str | None = None
    confidence: str | None = None


class BatchIn(Schema):
    # list[Any]: each item is checked by the service, which names every bad one.
    items: list[Any] = Field(description="Up to 1,000 observations (see ObservationDoc).")


class StatusIn(_In):
    status: str = Field(description="reported, under_review, verified, unconfirmed, dismissed.")
    version: int = Field(description="The incident version the change was made from.")
    responsible_party: str | None = Field(
        None, description="Party code; only with (or once) the status is verified."
    )
    notes: str | None = None
    resolution: str | None = Field(
        None,
        description=(
            "How the mission dealt with it: settled_on_ground or referred_to_parties; only "
            "with verified or unconfirmed (each such status change states it again)."
        ),
    )


class NoteIn(_In):
    text: str
    version: int = Field(description="The incident version the note was written against.")


class CorrectIn(_In):
    changes: dict[str, Any] = Field(
        description=(
            "The fields to correct and their new values: observed_at, type, count, "
            "weapon_type, bearing_deg, distance_m, lon and lat (together), direction_of_fire, "
            "direction_place, killed_military, killed_civilian, injured_military, "
            "injured_civilian, text. Checked as at ingest; null removes a bearing, distance "
            "or position."
        )
    )
    expected_version: int = Field(description="The observation version the change was made from.")
    reason: str = Field(description="Why; kept in the observation's history.")


class WithdrawIn(_In):
    expected_version: int = Field(description="The observation version being withdrawn.")
    reason: str = Field(description="Why the report is withdrawn; kept in its history.")


class MergeIn(_In):
    incidents: list[str] = Field(description="Public ids of the incidents to merge (two or more).")
    into: str | None = Field(None, description="Public id of the incident to keep.")


class SplitIn(_In):
    observations: list[str] = Field(description="Public ids of observations to move out.")


class CheckInIn(_In):
    post: str = Field(description="Facility code of the OP.")
    client_uuid: str = Field(description="A UUID made by the client: a resend is harmless.")
    checked_in_at: dt.datetime | None = None
    status: str = Field("normal", description="normal or degraded.")
    note: str = ""

    _zone = field_validator("checked_in_at")(_aware)


# --- queries -------------------------------------------------------------------------


class _TimeFilters(Schema):
    since: dt.datetime | None = Field(None, description="From this instant (ISO 8601, zoned).")
    until: dt.datetime | None = Field(None, description="Before this instant (ISO 8601, zoned).")
    window: dt.date | None = Field(None, description="Mission day YYYY-MM-DD (evening to evening).")
    zone: str | None = Field(None, description="Zone code.")
    type: str | None = Field(None, description="Observation type.")
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")

    _zoned = field_validator("since", "until")(_aware)


class ObservationFilters(_TimeFilters, PageQuery):
    post: str | None = Field(None, description="Facility code of the observer post.")
    incident: str | None = Field(None, description="Public id of the incident.")


class IncidentGeoFilters(_TimeFilters):
    status: str | None = None


class IncidentFilters(IncidentGeoFilters, PageQuery):
    pass


class CountsQuery(Schema):
    window: dt.date | None = Field(None, description="Mission day; default the current one.")
    by: Grouping = "zone"


class TotalsQuery(Schema):
    until: dt.date | None = Field(None, description="Last mission day counted; default today.")
    by: Grouping = "zone"


# --- output --------------------------------------------------------------------------


class AttachmentOut(RecordOut):
    observation: str
    content_type: str
    size_bytes: int
    sha256: str
    original_name: str


class ObservationOut(GeoOut):
    client_uuid: str
    observed_at: str
    window: str
    observer_kind: str
    observer_post: str | None
    observer_label: str
    observer_lon: float | None
    observer_lat: float | None
    reporting_party: str | None
    type: str
    count: int
    weapon_type: str
    bearing_deg: float | None
    distance_m: float | None
    position_method: str
    direction_of_fire: str
    direction_place: str
    killed_military: int
    killed_civilian: int
    injured_military: int
    injured_civilian: int
    text: str
    zone: str | None
    incident: str | None


class ObservationDetailOut(ObservationOut):
    attachments: list[AttachmentOut]


class WithdrawnOut(Schema):
    id: str
    version: int = Field(description="The withdrawn version (a tombstone).")
    withdrawn_at: str = Field(description="ISO 8601, UTC.")


class BatchItemOut(Schema):
    index: int
    id: str
    client_uuid: str
    created: bool


class BatchOut(Schema):
    created: int
    unchanged: int
    items: list[BatchItemOut]


class IncidentOut(GeoOut):
    reference: str
    type: str
    started_at: str
    ended_at: str
    position_method: str
    uncertainty_m: float | None
    zone: str | None
    nearest_settlement: str | None
    settlement_distance_m: float | None
    severity: str
    status: str
    responsible_party: str | None = Field(description="Party code, only once verified.")
    resolution: str = Field(
        description="settled_on_ground, referred_to_parties, or '' (none recorded)."
    )
    grouped_by_hand: bool
    notes: str
    observation_count: int = Field(description="Observations this reader may see.")
    killed: int
    injured: int


class IncidentDetailOut(IncidentOut):
    observations: list[ObservationOut]


class CountRowOut(Schema):
    key: str | None
    label: str
    observations: int
    events: int
    previous_observations: int
    previous_events: int
    change: int = Field(description="observations minus previous_observations")


class CountsOut(Schema):
    window: str
    window_start: str
    window_end: str
    previous_window: str
    by: str
    rows: list[CountRowOut]
    total: CountRowOut


class TotalRowOut(Schema):
    key: str | None
    label: str
    observations: int
    events: int
    killed: int
    injured: int


class TotalsOut(Schema):
    since: str = Field(description="The ceasefire's start (ISO 8601, UTC).")
    until_window: str
    until: str
    by: str
    rows: list[TotalRowOut]


class CheckInOut(RecordOut):
    client_uuid: str
    post: str | None
    checked_in_at: str
    status: str
    note: str


class LatestCheckInOut(Schema):
    post: str
    post_name: str
    checked_in_at: str | None
    status: str | None
    note: str | None
    age_seconds: int | None
    overdue: bool
