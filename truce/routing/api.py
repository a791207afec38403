"""The routing API, under /api/v1/routing/: networks, segments (a map layer), statuses,
corridors, and safe routes.

Handlers parse, call a selector or a service, and serialise. A network the
caller may not see is a 404 (as are its segments); statuses and corridors
are filtered by their own visibility too. Segment keys hold slashes
(`osm:way/123/0`), so they are matched as paths.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from truce.core.auth import api_user
from truce.core.errors import InvalidInput
from truce.core.models import User
from truce.core.sharing import visibility_seen_by
from truce.routing import planning, selectors, services
from truce.routing.models import Corridor, RoadNetwork, RoadSegment, SegmentStatus

router = Router(tags=["routing"])


class NetworkOut(Schema):
    slug: str
    name: str
    version: int
    source_name: str
    source_sha256: str
    source_format: str
    segment_count: int
    node_count: int
    length_km: float
    bbox: list[float] | None
    imported_at: dt.datetime | None
    visibility: list[str]


class StatusOut(Schema):
    id: str
    status: str
    since: dt.date
    reason: str
    source: str
    visibility: list[str]
    created_at: dt.datetime


class StatusIn(Schema):
    network: str | None = Field(None, description="Network slug (default: the newest).")
    status: str = Field(description="open, closed, verified_clear or not_verified.")
    since: dt.date
    reason: str = ""
    source: str = ""
    expected_version: int | None = Field(
        None, description="The segment's status_version the change was made from."
    )
    visibility: list[str] | None = None


class CorridorOut(Schema):
    id: str
    version: int
    network: str
    name: str
    designation: str
    open_to_civilians_since: dt.date | None
    segment_keys: list[str]
    source: str
    visibility: list[str]


class LayerQuery(Schema):
    network: str | None = None
    bbox: str | None = Field(None, description="min_lon,min_lat,max_lon,max_lat")
    status: str | None = None


class RouteQuery(Schema):
    from_: str = Field(alias="from", description="P-code, facility code or lon,lat")
    to: str
    profile: str = "lorry"
    weight_t: float | None = None
    verified_only: bool = False
    hazard_buffer_m: float | None = None
    network: str | None = None


def network_out(network: RoadNetwork, user: User) -> dict[str, Any]:
    return {
        "slug": network.slug,
        "name": network.name,
        "version": network.version,
        "source_name": network.source_name,
        "source_sha256": network.source_sha256,
        "source_format": network.source_format,
        "segment_count": network.segment_count,
        "node_count": network.node_count,
        "length_km": network.length_km,
        "bbox": network.bbox,
        "imported_at": network.imported_at,
        "visibility": visibility_seen_by(network.visibility, user),
    }


def status_out(record: SegmentStatus, user: User) -> dict[str, Any]:
    return {
        "id": str(record.public_id),
        "status": record.status,
        "since": record.since,
        "reason": record.reason,
        "source": record.source,
        "visibility": visibility_seen_by(record.visibility, user),
        "created_at": record.created_at,
    }


def corridor_out(corridor: Corridor, user: User) -> dict[str, Any]:
    return {
        "id": str(corridor.public_id),
        "version": corridor.version,
        "network": corridor.network.slug,
        "name": corridor.name,
        "designation": corridor.designation,
        "open_to_civilians_since": corridor.open_to_civilians_since,
        "segment_keys": list(corridor.segment_keys or []),
        "source": corridor.source,
        "visibility": visibility_seen_by(corridor.visibility, user),
    }


def segment_detail(segment: RoadSegment, user: User) -> dict[str, Any]:
    seen = selectors.statuses_seen_by(user, [segment])[segment.key]
    corridors = selectors.corridor_of_segments(user, segment.network)
    feature = selectors.segment_feature(segment, seen, corridors.get(segment.key))
    feature["properties"]["network"] = segment.network.slug
    feature["properties"]["history"] = [
        status_out(r, user) for r in selectors.status_history(user, segment)
    ]
    return feature


@router.get("/networks", url_name="routing_networks")
def networks(request: HttpRequest) -> list[dict[str, Any]]:
    user = api_user(request)
    return [network_out(n, user) for n in selectors.networks_visible_to(user)]


@router.get("/segments.geojson", url_name="routing_segments_geojson")
def segments_geojson(request: HttpRequest, query: Query[LayerQuery]) -> dict[str, Any]:
    user = api_user(request)
    bbox = selectors.parse_bbox(query.bbox)
    rows = selectors.segments_of(user, query.network, bbox=bbox, status=query.status)
    limit = selectors.GEOJSON_FEATURE_LIMIT
    page = list(rows[: limit + 1])
    if len(page) > limit:
        raise InvalidInput(f"more than {limit} segments: name a smaller bbox", field="bbox")
    seen = selectors.statuses_seen_by(user, page)
    corridors = selectors.corridor_of_segments(user, page[0].network) if page else {}
    return {
        "type": "FeatureCollection",
        "features": [selectors.segment_feature(s, seen[s.key], corridors.get(s.key)) for s in page],
    }


@router.post("/segments/{path:key}/status", response={201: StatusOut}, url_name="routing_status")
def segment_status(request: HttpRequest, key: str, payload: StatusIn) -> Status:
    user = api_user(request)
    segment = selectors.segment_get(user, payload.network, key)
    fields = payload.model_dump(exclude={"network", "expected_version", "visibility"})
    extra = {} if payload.visibility is None else {"visibility": payload.visibility}
    record = services.segment_status_set(
        actor=user,
        network=segment.network,
        key=key,
        fields=fields,
        expected_version=payload.expected_version,
        **extra,
    )
    return Status(201, status_out(record, user))


@router.get("/segments/{path:key}", url_name="routing_segment")
def segment_get(request: HttpRequest, key: str, network: str | None = None) -> dict[str, Any]:
    user = api_user(request)
    return segment_detail(selectors.segment_get(user, network, key), user)


@router.get("/corridors", response=list[CorridorOut], url_name="routing_corridors")
def corridors(request: HttpRequest, network: str | None = None) -> list[dict[str, Any]]:
    user = api_user(request)
    return [corridor_out(c, user) for c in selectors.corridors_visible_to(user, network)]


@router.get("/route", url_name="routing_route")
def route(request: HttpRequest, query: Query[RouteQuery]) -> dict[str, Any]:
    user = api_user(request)
    plan = planning.plan_route(
        user=user,
        origin=query.from_,
        destination=query.to,
        profile=query.profile,
        weight_t=query.weight_t,
        verified_only=query.verified_only,
        hazard_buffer_m=query.hazard_buffer_m,
        network=query.network,
    )
    return plan.as_dict()
