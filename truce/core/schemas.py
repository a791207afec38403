"""Request and response shapes of the registry API.

Input schemas forbid unknown fields so a typo is refused by name instead of
ignored. Handlers dump input with exclude_unset, so an absent field means
"leave as it is" (PATCH) or "the column's default" (POST). References to
other records are given by their natural code (P-code, zone code, party code).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict, create_model

from truce.core.errors import InvalidInput
from truce.core.selectors import BBoxFilter

# --- input -----------------------------------------------------------------------

# Optional on input but never null: absent leaves the column as it is, and an
# explicit null is refused by the type (the column has no NULL to store).
OptStr = Annotated[str, Field(default=None)]
OptInt = Annotated[int, Field(default=None)]
OptBool = Annotated[bool, Field(default=None)]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class _RecordIn(_In):
    visibility: list[str] | None = Field(
        None, description="Scope names: mission, side_a, side_b, agencies, public, both_sides."
    )
    source: Annotated[
        str, Field(default=None, description="Who said it: a report, a briefing, a party.")
    ]
    confidence: Annotated[
        str, Field(default=None, description="high, medium, low, unknown or empty.")
    ]


class _GeoIn(_RecordIn):
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON geometry, EPSG:4326.")
    location_approximate: OptBool


class _NamesIn(_In):
    name_en: OptStr
    name_ru: OptStr
    name_hy: OptStr
    name_az: OptStr
    name_source: OptStr


class Versioned(_In):
    version: int = Field(description="The version the change was made from (optimistic lock).")


class OrganisationFields(_RecordIn):
    acronym: OptStr
    kind: OptStr


class OrganisationCreate(OrganisationFields):
    code: str
    name: str
    party: str = Field(description="Party code.")


class OrganisationPatch(OrganisationFields, Versioned):
    code: OptStr
    name: OptStr
    party: OptStr


class AdminAreaFields(_GeoIn, _NamesIn):
    parent: str | None = Field(None, description="P-code of the parent area.")


class AdminAreaCreate(AdminAreaFields):
    pcode: str
    display_name: str
    level: int


class AdminAreaPatch(AdminAreaFields, Versioned):
    pcode: OptStr
    display_name: OptStr
    level: OptInt


class SettlementFields(_GeoIn, _NamesIn):
    admin_area: str | None = Field(None, description="P-code of the administrative area.")
    kind: Annotated[str, Field(default=None, description="city, town, village")]
    baseline_population: int | None = None
    population_source: OptStr
    population_date: dt.date | None = None


class SettlementCreate(SettlementFields):
    pcode: str
    display_name: str


class SettlementPatch(SettlementFields, Versioned):
    pcode: OptStr
    display_name: OptStr


class ZoneFields(_GeoIn):
    battalion: OptStr


class ZoneCreate(ZoneFields):
    code: str
    name: str
    kind: str


class ZonePatch(ZoneFields, Versioned):
    code: OptStr
    name: OptStr
    kind: OptStr


class FacilityFields(_GeoIn):
    op_role: OptStr
    battalion: OptStr
    zone: str | None = Field(None, description="Zone code.")
    settlement: str | None = Field(None, description="Settlement P-code.")
    operator: str | None = Field(None, description="Organisation code.")
    notes: OptStr


class FacilityCreate(FacilityFields):
    code: str
    name: str
    kind: str


class FacilityPatch(FacilityFields, Versioned):
    code: OptStr
    name: OptStr
    kind: OptStr


# --- query -------------------------------------------------------------------------


class PageQuery(Schema):
    limit: int | None = Field(None, description="Rows per page (default 50).")
    cursor: str | None = Field(None, description="next_cursor of the previous page.")


class OrganisationFilters(PageQuery):
    q: str | None = None
    party: str | None = None


class AdminAreaFilters(PageQuery):
    q: str | None = None
    level: int | None = None
    parent: str | None = None
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


class SettlementFilters(PageQuery):
    q: str | None = None
    kind: str | None = None
    admin_area: str | None = None
    approximate: bool | None = None
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


class ZoneFilters(PageQuery):
    q: str | None = None
    kind: str | None = None
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


class FacilityFilters(PageQuery):
    q: str | None = None
    kind: str | None = None
    zone: str | None = None
    op_role: str | None = None
    battalion: str | None = None
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


class LayerFilters(Schema):
    bbox: str | None = Field(None, description="minlon,minlat,maxlon,maxlat")


def parse_bbox(value: str | None) -> BBoxFilter | None:
    """`minlon,minlat,maxlon,maxlat` in degrees, or InvalidInput naming `bbox`."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidInput("bbox must be four numbers: minlon,minlat,maxlon,maxlat", field="bbox")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(
            "bbox must be four numbers: minlon,minlat,maxlon,maxlat", field="bbox"
        ) from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise InvalidInput("bbox values must be finite numbers", field="bbox")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise InvalidInput("bbox longitudes must be within [-180, 180]", field="bbox")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InvalidInput("bbox latitudes must be within [-90, 90]", field="bbox")
    if min_lon > max_lon or min_lat > max_lat:
        raise InvalidInput(
            "bbox minimums must not exceed maximums (minlon,minlat,maxlon,maxlat)", field="bbox"
        )
    return BBoxFilter(min_lon, min_lat, max_lon, max_lat)


# --- output ------------------------------------------------------------------------


class RecordOut(Schema):
    id: str = Field(description="Public id (UUID).")
    version: int
    visibility: list[str]
    created_at: str = Field(description="ISO 8601, UTC.")
    updated_at: str = Field(description="ISO 8601, UTC.")
    source: str
    confidence: str


class GeoOut(RecordOut):
    geometry: dict[str, Any] | None
    bbox: list[float] | None = Field(description="[minlon, minlat, maxlon, maxlat]")
    location_approximate: bool


class _NamesOut(Schema):
    display_name: str
    name_en: str
    name_ru: str
    name_hy: str
    name_az: str
    name_source: str
    other_names: list[str]


class PartyOut(RecordOut):
    code: str
    name: str
    scope: str
    description: str


class OrganisationOut(RecordOut):
    code: str
    name: str
    acronym: str
    party: str | None
    kind: str


class AdminAreaOut(GeoOut, _NamesOut):
    pcode: str
    level: int
    parent: str | None


class SettlementOut(GeoOut, _NamesOut):
    pcode: str
    admin_area: str | None
    kind: str
    baseline_population: int | None
    population_source: str
    population_date: str | None


class ZoneOut(GeoOut):
    code: str
    name: str
    kind: str
    battalion: str


class FacilityOut(GeoOut):
    code: str
    name: str
    kind: str
    op_role: str
    battalion: str
    zone: str | None
    settlement: str | None
    operator: str | None
    notes: str


def page_of(item: type[Schema]) -> type[Schema]:
    """`{"items": [item, ...], "next_cursor": str | null}` for one item schema."""
    page: type[Schema] = create_model(
        f"{item.__name__.removesuffix('Out')}Page",
        __base__=Schema,
        items=(list[item], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, ...),
    )
    return page


class HistoryEntryOut(Schema):
    seq: int
    recorded_at: str
    actor: str
    action: str
    version: int
    changed: list[str]
    data: dict[str, Any]


class MeOut(Schema):
    username: str
    party: str
    party_scope: str
    organisation: str | None
    roles: list[str]


class LedgerHeadOut(Schema):
    seq: int
    entry_hash: str


class LedgerVerifyOut(Schema):
    ok: bool
    checked: int
    head_hash: str
    first_bad_seq: int | None
    reason: str
