"""Damage records as plain JSON values for the API, the map and exports, as one reader sees them.

A reference to a record the reader may not see (a settlement, an organisation)
is given as null, as if unset; the assessor's account is named to the mission
only, since it is a member of staff, not a fact about the structure.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from truce.core.models import User
from truce.core.serializers import geo_fields, record_fields, reference
from truce.core.sharing import Scope, viewer_scope
from truce.damage.models import NEEDS, Structure, StructurePhoto
from truce.damage.selectors import RollupRow, Tally


def needs_out(structure: Structure) -> dict[str, float]:
    return {n.key: float(getattr(structure, n.column)) for n in NEEDS}


def structure_out(s: Structure, user: User) -> dict[str, Any]:
    mission = viewer_scope(user) == Scope.MISSION
    return {
        **geo_fields(s, user),
        "settlement": reference(s.settlement, user, "pcode"),
        "settlement_name": reference(s.settlement, user, "display_name"),
        "reference": s.reference,
        "use": s.use,
        "grade": s.grade,
        "needs": needs_out(s),
        "assessed_on": s.assessed_on.isoformat(),
        "assessor": s.assessor.username if mission and s.assessor else None,
        "assessor_organisation": reference(s.assessor_organisation, user, "code"),
        "notes": s.notes,
    }


def photo_out(p: StructurePhoto, user: User) -> dict[str, Any]:
    return {
        **record_fields(p, user),
        "structure": str(p.structure.public_id),
        "content_type": p.content_type,
        "size_bytes": p.size_bytes,
        "sha256": p.sha256,
        "original_name": p.original_name,
        "download_url": reverse("damage:photo-download", kwargs={"public_id": p.public_id}),
    }


def structure_detail_out(s: Structure, user: User, photos: list[StructurePhoto]) -> dict[str, Any]:
    return {**structure_out(s, user), "photos": [photo_out(p, user) for p in photos]}


def rollup_row_out(row: RollupRow) -> dict[str, Any]:
    place = row.place
    return {
        "pcode": getattr(place, "pcode", None),
        "name": place.display_name if place is not None else None,
        **row.tally.as_dict(),
    }


def tally_out(tally: Tally) -> dict[str, Any]:
    return tally.as_dict()


GRADE_COLOURS = {
    "destroyed": "#7f0000",
    "severe": "#d7301f",
    "moderate": "#fc8d59",
    "light": "#fdcc8a",
}


def structure_feature(s: Structure, user: User) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": str(s.public_id),
        "geometry": s.geometry,
        "properties": {
            "name": s.reference,
            "layer": "structures",
            "grade": s.grade,
            "use": s.use,
            "colour": GRADE_COLOURS.get(s.grade),
            "settlement": reference(s.settlement, user, "display_name"),
            "approximate": s.location_approximate,
            "url": s.get_absolute_url(),
        },
    }
