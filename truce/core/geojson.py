"""Map layers as GeoJSON FeatureCollections, read through the registry selectors.

Every layer starts from a `*_visible_to` selector, so a record hidden from a
party never becomes a feature on its map. Property values are plain data;
the map escapes them when it renders a popup.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from truce.core import selectors
from truce.core.models import AdminArea, Facility, FacilityKind, GeoRecord, Settlement, User, Zone
from truce.core.selectors import BBoxFilter
from truce.core.serializers import bbox_list, reference

# Reversing once per layer with a placeholder and substituting each id keeps a
# 30,000-feature layer from paying for 30,000 URL reversals.
_PLACEHOLDER = uuid.UUID(int=0)


class DetailUrls:
    """The web detail page of a record, or None until the web UI defines it."""

    def __init__(self) -> None:
        self._templates: dict[str, str | None] = {}

    def __call__(self, kind: str, public_id: uuid.UUID) -> str | None:
        if kind not in self._templates:
            try:
                self._templates[kind] = reverse(
                    "registry-detail", kwargs={"kind": kind, "public_id": _PLACEHOLDER}
                )
            except NoReverseMatch:
                self._templates[kind] = None
        template = self._templates[kind]
        if template is None:
            return None
        return template.replace(str(_PLACEHOLDER), str(public_id))


def feature(
    record: GeoRecord, *, layer: str, kind: str, name: str, url: str | None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": str(record.public_id),
        "geometry": record.geometry,
        "bbox": bbox_list(record),
        "properties": {
            "name": name,
            "layer": layer,
            "kind": kind,
            "approximate": record.location_approximate,
            "url": url,
            **extra,
        },
    }


def settlement_feature(s: Settlement, user: User, urls: DetailUrls) -> dict[str, Any]:
    return feature(
        s,
        layer="settlements",
        kind=s.kind,
        name=s.display_name,
        url=urls("settlements", s.public_id),
        pcode=s.pcode,
        other_names=s.other_names(),
        baseline_population=s.baseline_population,
    )


def admin_area_feature(a: AdminArea, user: User, urls: DetailUrls) -> dict[str, Any]:
    return feature(
        a,
        layer="admin-areas",
        kind=f"adm{a.level}",
        name=a.display_name,
        url=urls("admin-areas", a.public_id),
        pcode=a.pcode,
        level=a.level,
        other_names=a.other_names(),
    )


def zone_feature(z: Zone, user: User, urls: DetailUrls) -> dict[str, Any]:
    return feature(
        z,
        layer="zones",
        kind=z.kind,
        name=z.name,
        url=urls("zones", z.public_id),
        code=z.code,
        battalion=z.battalion,
    )


def observation_post_feature(f: Facility, user: User, urls: DetailUrls) -> dict[str, Any]:
    return feature(
        f,
        layer="observation-posts",
        kind=f.kind,
        name=f.name,
        url=urls("facilities", f.public_id),
        code=f.code,
        op_role=f.op_role,
        battalion=f.battalion,
        zone=reference(f.zone, user, "code"),
    )


def facility_feature(f: Facility, user: User, urls: DetailUrls) -> dict[str, Any]:
    return feature(
        f,
        layer="facilities",
        kind=f.kind,
        name=f.name,
        url=urls("facilities", f.public_id),
        code=f.code,
    )


LayerRows = Callable[[User, BBoxFilter | None], QuerySet[Any]]
FeatureOf = Callable[[Any, User, DetailUrls], dict[str, Any]]

SOURCES: dict[str, tuple[LayerRows, FeatureOf]] = {
    "settlements": (
        lambda user, bbox: selectors.settlements_visible_to(user, bbox=bbox),
        settlement_feature,
    ),
    "admin-areas": (
        lambda user, bbox: selectors.admin_areas_visible_to(user, bbox=bbox),
        admin_area_feature,
    ),
    "zones": (
        lambda user, bbox: selectors.zones_visible_to(user, bbox=bbox),
        zone_feature,
    ),
    "observation-posts": (
        lambda user, bbox: selectors.facilities_visible_to(
            user, kind=FacilityKind.OBSERVATION_POST, bbox=bbox
        ),
        observation_post_feature,
    ),
    "facilities": (
        lambda user, bbox: selectors.facilities_visible_to(user, bbox=bbox).exclude(
            kind=FacilityKind.OBSERVATION_POST
        ),
        facility_feature,
    ),
}
LAYERS = tuple(SOURCES)


def layer_collection(layer: str, user: User, *, bbox: BBoxFilter | None = None) -> dict[str, Any]:
    """The FeatureCollection of one layer as `user` may see it (KeyError if no such layer)."""
    rows_of, feature_of = SOURCES[layer]
    urls = DetailUrls()
    # A record without a position cannot be drawn; it stays in the registry lists.
    rows = rows_of(user, bbox).filter(min_lon__isnull=False)
    return {
        "type": "FeatureCollection",
        "features": [feature_of(row, user, urls) for row in rows],
    }
