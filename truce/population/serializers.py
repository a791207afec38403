"""Plain-JSON forms of population records for the API and exports.

References are given by key and only when the reader may see them
(visible_reference); household personal fields are whatever the selector
left after redaction, with the list of fields it blanked.
"""

from __future__ import annotations

from typing import Any

from truce.core.models import AdminArea, Facility, Organisation, Settlement, User
from truce.core.selectors import visible_reference
from truce.core.sharing import visibility_seen_by
from truce.population.models import DisplacementBaseline, FlowCount, Household, ReturnMovement


def _settlement(row: Settlement | None, user: User) -> dict[str, Any] | None:
    shown = visible_reference(row, user)
    if not isinstance(shown, Settlement):
        return None
    return {"pcode": shown.pcode, "name": shown.display_name, "id": str(shown.public_id)}


def _area(row: AdminArea | None, user: User) -> dict[str, Any] | None:
    shown = visible_reference(row, user)
    if not isinstance(shown, AdminArea):
        return None
    return {"pcode": shown.pcode, "name": shown.display_name}


def _facility(row: Facility | None, user: User) -> dict[str, Any] | None:
    shown = visible_reference(row, user)
    if not isinstance(shown, Facility):
        return None
    return {"code": shown.code, "name": shown.name}


def _organisation(row: Organisation | None, user: User) -> str | None:
    shown = visible_reference(row, user)
    return shown.code if isinstance(shown, Organisation) else None


def _common(row: Any, user: User) -> dict[str, Any]:
    return {
        "id": str(row.public_id),
        "version": row.version,
        "visibility": visibility_seen_by(row.visibility, user),
        "source": row.source,
        "confidence": row.confidence,
        "updated_at": row.updated_at.isoformat(),
    }


def baseline_out(row: DisplacementBaseline, user: User) -> dict[str, Any]:
    return {
        **_common(row, user),
        "code": row.code,
        "measure": row.measure,
        "label": row.label,
        "origin_settlement": _settlement(row.origin_settlement, user),
        "origin_area": _area(row.origin_area, user),
        "origin_text": row.origin_text,
        "destination_settlement": _settlement(row.destination_settlement, user),
        "destination_area": _area(row.destination_area, user),
        "destination_text": row.destination_text,
        "people": row.people,
        "precision": row.precision,
        "as_of": row.as_of.isoformat(),
        "notes": row.notes,
    }


def flow_count_out(row: FlowCount, user: User) -> dict[str, Any]:
    return {
        **_common(row, user),
        "point": _facility(row.point, user),
        "day": row.day.isoformat(),
        "direction": row.direction,
        "escorted": row.escorted,
        "people": row.people,
        "vehicles": row.vehicles,
        "notes": row.notes,
    }


def return_out(row: ReturnMovement, user: User) -> dict[str, Any]:
    return {
        **_common(row, user),
        "reference": row.reference,
        "date": row.date.isoformat(),
        "from_settlement": _settlement(row.from_settlement, user),
        "from_text": row.from_text,
        "to_settlement": _settlement(row.to_settlement, user),
        "people": row.people,
        "vehicles": row.vehicles,
        "escort": row.escort,
        "escort_organisation": _organisation(row.escort_organisation, user),
        "checkpoint": _facility(row.checkpoint, user),
        "notes": row.notes,
    }


def household_out(row: Household, user: User) -> dict[str, Any]:
    """A household as the selector left it: personal fields already redacted."""
    return {
        **_common(row, user),
        "code": row.code,
        "size": row.size,
        "vulnerabilities": list(row.vulnerabilities),
        "is_vulnerable": row.is_vulnerable,
        "origin_settlement": _settlement(row.origin_settlement, user),
        "current_settlement": _settlement(row.current_settlement, user),
        "current_location_text": row.current_location_text,
        "intention": row.intention,
        "intended_settlement": _settlement(row.intended_settlement, user),
        "expected_on": row.expected_on.isoformat() if row.expected_on else None,
        "registered_on": row.registered_on.isoformat(),
        "head_name": row.head_name,
        "phone": row.phone,
        "document_number": row.document_number,
        "members": list(row.members),
        "protection_notes": row.protection_notes,
        "redacted_fields": list(getattr(row, "redacted_fields", [])),
    }


HOUSEHOLD_CSV_COLUMNS = (
    "code",
    "size",
    "vulnerabilities",
    "origin",
    "current",
    "current_location_text",
    "intention",
    "intended",
    "expected_on",
    "registered_on",
    "head_name",
    "phone",
    "document_number",
    "members",
    "protection_notes",
    "redacted_fields",
)


def household_csv_row(row: Household, user: User) -> list[Any]:
    def pcode(settlement: Settlement | None) -> str:
        shown = _settlement(settlement, user)
        return shown["pcode"] if shown else ""

    members = "; ".join(
        f"{m.get('name', '')} ({m.get('sex', '')}, {m.get('birth_year') or ''})"
        for m in row.members
    )
    return [
        row.code,
        row.size,
        ";".join(row.vulnerabilities),
        pcode(row.origin_settlement),
        pcode(row.current_settlement),
        row.current_location_text,
        row.intention,
        pcode(row.intended_settlement),
        row.expected_on.isoformat() if row.expected_on else "",
        row.registered_on.isoformat(),
        row.head_name,
        row.phone,
        row.document_number,
        members,
        row.protection_notes,
        ";".join(getattr(row, "redacted_fields", [])),
    ]
