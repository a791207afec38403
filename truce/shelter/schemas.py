"""Request and response shapes of the shelter API.

Input schemas forbid unknown fields so a typo is refused by name; handlers dump input
with exclude_unset, so an absent field leaves the value as it is. Values are checked by
the services (a negative capacity is a 422 naming `capacity`), not here, so the API,
the forms and the scenario refuse bad input with the same message.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict

from truce.core.schemas import GeoOut, PageQuery, RecordOut

OptStr = Annotated[str, Field(default=None)]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class _RecordIn(_In):
    visibility: list[str] | None = Field(
        None, description="Scope names: mission, side_a, side_b, agencies, public."
    )
    source: OptStr
    confidence: OptStr


class ShelterFields(_RecordIn):
    settlement: str | None = Field(None, description="Settlement P-code.")
    kind: str | None = Field(None, description="collective_centre, school, hotel, tents, prefab.")
    capacity: int | None = Field(None, description="Places (people), zero or more.")
    status: str | None = Field(None, description="open, full, closed or planned.")
    status_since: dt.date | None = None
    operator: str | None = Field(None, description="Organisation code.")
    notes: OptStr
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON point, EPSG:4326.")
    location_approximate: bool | None = None


class ShelterCreate(ShelterFields):
    code: str
    name: str


class ShelterPatch(ShelterFields):
    version: int = Field(description="The version the change was made from (optimistic lock).")
    code: OptStr
    name: OptStr


class OccupancyIn(_In):
    counted_on: dt.date
    people: int = Field(description="People sleeping there that day, zero or more.")
    overcrowding_reason: str = Field("", description="Required when people exceed capacity.")
    notes: str = ""
    source: str = ""
    confidence: str = ""
    expected_version: int | None = Field(
        None, description="When correcting a day already counted: the version you read."
    )


class EstimateFields(_RecordIn):
    area: str | None = Field(None, description="Admin area P-code.")
    settlement: str | None = Field(None, description="Settlement P-code.")
    area_label: OptStr
    stated_on: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    people: int | None = None
    qualifier: str | None = Field(None, description="up_to, about, at_least, exactly.")
    basis: OptStr


class EstimateCreate(EstimateFields):
    code: str


class EstimatePatch(EstimateFields):
    version: int
    code: OptStr


class RunIn(_In):
    as_of: dt.date
    dry_run: bool = False
    candidates: int = Field(30, description="Shelters considered per origin, nearest first.")
    horizon_days: int = Field(30, description="Households expected up to as_of + this.")


class ShelterFilters(PageQuery):
    q: str | None = None
    settlement: str | None = None
    area: str | None = None
    status: str | None = None
    kind: str | None = None
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")
    as_of: dt.date | None = Field(None, description="Occupancy and free places of this day.")


class AsOfQuery(Schema):
    as_of: dt.date | None = None
    horizon_days: int = 30


class PlacementFilters(PageQuery):
    shelter: str | None = Field(None, description="Shelter code.")
    placed: bool | None = None


class ShelterOut(GeoOut):
    code: str
    name: str
    settlement: str | None
    kind: str
    capacity: int
    status: str
    status_since: str | None
    operator: str | None
    notes: str
    occupied: int | None
    counted_on: str | None
    allocated: int | None
    free: int | None


class OccupancyOut(RecordOut):
    shelter: str | None
    counted_on: str
    people: int
    overcrowding_reason: str
    notes: str


class EstimateOut(RecordOut):
    code: str
    area: str | None
    settlement: str | None
    area_label: str
    stated_on: str
    period_start: str | None
    period_end: str | None
    people: int
    qualifier: str
    basis: str


class GapRowOut(Schema):
    area: str | None
    label: str
    shelters: int
    places: int
    occupied: int
    allocated: int
    free: int
    stated: int | None
    stated_estimate: str | None
    projected_households: int
    projected_flows: int
    expected: int
    basis: str
    gap: int


class GapOut(Schema):
    as_of: str
    horizon_days: int
    total: GapRowOut
    areas: list[GapRowOut]


class RunOut(RecordOut):
    as_of: str
    status: str
    supersedes: Any
    households: int
    people: int
    placed_households: int
    placed_people: int
    unplaced_people: int
    unplaced_vulnerable_people: int
    free_places: int
    shelters: int
    objective: float
    lp_bound: float
    seconds: float
    parameters: dict[str, Any]
    created_by: str | None
    started_at: str


class HouseholdBriefOut(Schema):
    id: str
    code: str
    size: int
    vulnerable: bool
    origin_settlement: str | None
    head_name: str
    phone: str
    redacted_fields: list[str]


class PlacementOut(RecordOut):
    run: str
    status: str
    household: HouseholdBriefOut | None
    shelter: str | None
    people: int
    vulnerable: bool
    distance_km: float | None
    rank: int | None
    stage: str
    reason_code: str
    reason: str


class DryRunOut(Schema):
    dry_run: bool
    households: int
    placed_households: int
    placed_people: int
    unplaced_people: int
    objective: float
    lp_bound: float
    seconds: float
