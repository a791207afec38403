"""Registry records as plain JSON values for the API, as seen by one reader.

A reference to a record the reader may not see is given as null, exactly as
if it were unset: the value of a hidden reference (a zone code, a P-code)
would itself tell the reader something it may not know.
"""

from __future__ import annotations

from typing import Any

from django.db.models import ForeignKey

from truce.core.models import (
    AdminArea,
    Facility,
    GeoRecord,
    Organisation,
    Party,
    Record,
    Settlement,
    User,
    Zone,
)
from truce.core.sharing import can_see, visibility_q, visibility_seen_by
from truce.ledger.selectors import record_history
from truce.lib.time import iso_utc


def reference(target: Record | None, user: User, attr: str) -> Any:
    """`target.attr` if the user may see `target`, else None."""
    if target is None or not can_see(target, user):
        return None
    return getattr(target, attr)


def record_fields(record: Record, user: User) -> dict[str, Any]:
    """The shared record fields as this reader may see them (every domain reuses this)."""
    return {
        "id": str(record.public_id),
        "version": record.version,
        "visibility": visibility_seen_by(record.visibility, user),
        "created_at": iso_utc(record.created_at),
        "updated_at": iso_utc(record.updated_at),
        "source": record.source,
        "confidence": record.confidence,
    }


def bbox_list(record: GeoRecord) -> list[float] | None:
    box = [record.min_lon, record.min_lat, record.max_lon, record.max_lat]
    return None if any(v is None for v in box) else [float(v) for v in box if v is not None]


def geo_fields(record: GeoRecord, user: User) -> dict[str, Any]:
    return {
        **record_fields(record, user),
        "geometry": record.geometry,
        "bbox": bbox_list(record),
        "location_approximate": record.location_approximate,
    }


def _names(record: AdminArea | Settlement) -> dict[str, Any]:
    return {
        "display_name": record.display_name,
        "name_en": record.name_en,
        "name_ru": record.name_ru,
        "name_hy": record.name_hy,
        "name_az": record.name_az,
        "name_source": record.name_source,
        "other_names": record.other_names(),
    }


def party_out(party: Party, user: User) -> dict[str, Any]:
    return {
        **record_fields(party, user),
        "code": party.code,
        "name": party.name,
        "scope": party.scope,
        "description": party.description,
    }


def organisation_out(organisation: Organisation, user: User) -> dict[str, Any]:
    return {
        **record_fields(organisation, user),
        "code": organisation.code,
        "name": organisation.name,
        "acronym": organisation.acronym,
        "party": reference(organisation.party, user, "code"),
        "kind": organisation.kind,
    }


def admin_area_out(area: AdminArea, user: User) -> dict[str, Any]:
    return {
        **geo_fields(area, user),
        **_names(area),
        "pcode": area.pcode,
        "level": area.level,
        "parent": reference(area.parent, user, "pcode"),
    }


def settlement_out(settlement: Settlement, user: User) -> dict[str, Any]:
    return {
        **geo_fields(settlement, user),
        **_names(settlement),
        "pcode": settlement.pcode,
        "admin_area": reference(settlement.admin_area, user, "pcode"),
        "kind": settlement.kind,
        "baseline_population": settlement.baseline_population,
        "population_source": settlement.population_source,
        "population_date": (
            settlement.population_date.isoformat() if settlement.population_date else None
        ),
    }


def zone_out(zone: Zone, user: User) -> dict[str, Any]:
    return {
        **geo_fields(zone, user),
        "code": zone.code,
        "name": zone.name,
        "kind": zone.kind,
        "battalion": zone.battalion,
    }


def facility_out(facility: Facility, user: User) -> dict[str, Any]:
    return {
        **geo_fields(facility, user),
        "code": facility.code,
        "name": facility.name,
        "kind": facility.kind,
        "op_role": facility.op_role,
        "battalion": facility.battalion,
        "zone": reference(facility.zone, user, "code"),
        "settlement": reference(facility.settlement, user, "pcode"),
        "operator": reference(facility.operator, user, "code"),
        "notes": facility.notes,
    }


def me_out(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "party": user.party.code,
        "party_scope": user.party.scope,
        "organisation": user.organisation.code if user.organisation else None,
        "roles": sorted(user.role_codes()),
    }


def _record_references(model: type[Record]) -> dict[str, type[Record]]:
    """Foreign keys to other shared records (the ledger stores them by public id)."""
    found: dict[str, type[Record]] = {}
    for field in model._meta.concrete_fields:
        target = field.related_model
        if (
            isinstance(field, ForeignKey)
            and isinstance(target, type)
            and issubclass(target, Record)
        ):
            found[field.name] = target
    return found


def history_out(record: Record, user: User) -> list[dict[str, Any]]:
    """The record's versions the user may see, with hidden references blanked.

    The caller has already checked the record itself is visible. A past
    version may point at a record the reader may not see; its public id is
    blanked like any hidden reference (tombstoned targets that were shared
    still show, since history is about what was).
    """
    items = record_history(record, user)
    for name, target in _record_references(type(record)).items():
        ids = {str(item.data[name]) for item in items if item.data.get(name) is not None}
        if not ids:
            continue
        shown = {
            str(public_id)
            for public_id in target._default_manager.filter(
                visibility_q(user), public_id__in=ids
            ).values_list("public_id", flat=True)
        }
        for item in items:
            if item.data.get(name) is not None and item.data[name] not in shown:
                item.data[name] = None
    for item in items:
        if "visibility" in item.data:
            item.data["visibility"] = visibility_seen_by(item.data["visibility"], user)
    return [
        {
            "seq": item.entry.seq,
            "recorded_at": iso_utc(item.entry.recorded_at),
            "actor": item.entry.actor,
            "action": item.entry.action,
            "version": item.entry.record_version,
            "changed": item.changed,
            "data": item.data,
        }
        for item in items
    ]
