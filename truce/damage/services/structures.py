"""Writing structure assessments: create, re-assess (a new version), delete, import.

Every write goes through truce.core.records (version, ledger entry) and adjusts
the rollups (services/rollups.py) in the same transaction, so a count can never
disagree with the records. Who may write: the mission's staff (any role but
viewer) and agency staff; an agency may change only what its own party
recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from truce.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from truce.core.models import RoleCode, User
from truce.core.records import record_create, record_delete, record_update
from truce.core.sharing import Scope, can_see, parse_visibility, viewer_scope
from truce.damage.models import Structure
from truce.damage.services.rollups import Counted, rollups_adjust
from truce.damage.services.validation import clean_structure
from truce.lib import geo

WRITER_ROLES = (
    RoleCode.ADMINISTRATOR.value,
    RoleCode.DUTY_OFFICER.value,
    RoleCode.OP_OPERATOR.value,
    RoleCode.ANALYST.value,
    RoleCode.AGENCY_STAFF.value,
)
WRITER_SCOPES = (Scope.MISSION, Scope.AGENCIES)


def can_assess(actor: User | None) -> bool:
    """Whether the user may record assessments at all (the mission's staff, agencies)."""
    if actor is None:
        return True  # the scenario loader and management commands
    if not actor.is_authenticated or viewer_scope(actor) not in WRITER_SCOPES:
        return False
    return actor.is_superuser or actor.has_role(*WRITER_ROLES)


def ensure_assessor(actor: User | None) -> None:
    if not can_assess(actor):
        raise PermissionDenied("only the mission's staff and agencies record damage assessments")


def can_change(actor: User | None, structure: Structure) -> bool:
    """The mission may change any structure; an agency only those its party recorded."""
    if not can_assess(actor):
        return False
    if actor is None or viewer_scope(actor) == Scope.MISSION:
        return True
    creator = structure.created_by
    return creator is not None and creator.party_id == actor.party_id


def _visibility_for(actor: User | None, visibility: Iterable[str] | str | None) -> list[str]:
    scopes = parse_visibility(visibility)
    # An agency's own record must stay visible to the agency that wrote it.
    if actor is not None and viewer_scope(actor) == Scope.AGENCIES:
        scopes.add(Scope.AGENCIES)
    return sorted(s.value for s in scopes)


def _default_position(fields: dict[str, Any]) -> None:
    # Without a position of its own, a structure stands at its settlement's point,
    # marked approximate, so it still shows on the map and counts in its cell.
    if fields.get("geometry") is None:
        settlement = fields["settlement"]
        if settlement.geometry is None:
            raise InvalidInput("is required (the settlement has no position)", field="lon")
        fields["geometry"] = geo.to_geojson(geo.parse_geometry(settlement.geometry))
        fields["location_approximate"] = True


def _check_unique(fields: Mapping[str, Any], *, exclude_pk: int | None = None) -> None:
    clash = Structure.objects.filter(
        settlement=fields["settlement"], reference=fields["reference"], is_deleted=False
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput(
            f"structure {fields['reference']!r} is already recorded in this settlement",
            field="reference",
        )


def _create(actor: User | None, fields: dict[str, Any], visibility: list[str]) -> Structure:
    if actor is not None and "assessor" not in fields:
        fields["assessor"] = actor
    if actor is not None and "assessor_organisation" not in fields and actor.organisation_id:
        fields["assessor_organisation"] = actor.organisation
    _default_position(fields)
    _check_unique(fields)
    structure = record_create(
        actor=actor,
        model=Structure,
        fields=fields,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )
    rollups_adjust(added=[Counted.of(structure)])
    return structure


@transaction.atomic
def structure_create(
    *,
    actor: User | None,
    data: Mapping[str, Any],
    visibility: Iterable[str] | str | None = None,
) -> Structure:
    """Record the first assessment of a structure (version 1) and count it."""
    ensure_assessor(actor)
    fields = clean_structure(actor, data)
    return _create(actor, fields, _visibility_for(actor, visibility))


def _current(actor: User | None, structure: Structure) -> Structure:
    current = Structure.objects.select_related("created_by").filter(pk=structure.pk).first()
    if current is None or (actor is not None and not can_see(current, actor)):
        raise NotFound("no such structure", field="id")
    if not can_change(actor, current):
        raise PermissionDenied("only the mission or the party that recorded it may change it")
    return current


@transaction.atomic
def structure_update(
    *,
    actor: User | None,
    structure: Structure,
    changes: Mapping[str, Any],
    expected_version: int | None,
    visibility: Iterable[str] | str | None = None,
) -> Structure:
    """Re-assess a structure: a new version (the old one stays in its history), recounted."""
    ensure_assessor(actor)
    current = _current(actor, structure)
    fields = clean_structure(actor, changes, partial=True)
    if "settlement" in fields or "reference" in fields:
        _check_unique(
            {
                "settlement": fields.get("settlement", current.settlement),
                "reference": fields.get("reference", current.reference),
            },
            exclude_pk=current.pk,
        )
    before = Counted.of(current)
    updated = record_update(
        actor=actor,
        record=current,
        changes=fields,
        expected_version=expected_version,
        visibility=None if visibility is None else _visibility_for(actor, visibility),
        geometry_types=geo.POINT_TYPES,
        action="reassess" if {"grade", "use"} & set(fields) else "update",
    )
    rollups_adjust(removed=[before], added=[Counted.of(updated)])
    return updated


@transaction.atomic
def structure_delete(
    *, actor: User | None, structure: Structure, expected_version: int | None, reason: str = ""
) -> Structure:
    """Tombstone a structure (recorded in error, a duplicate) and take it out of the counts."""
    ensure_assessor(actor)
    current = _current(actor, structure)
    before = Counted.of(current)
    deleted = record_delete(
        actor=actor, record=current, expected_version=expected_version, reason=reason
    )
    rollups_adjust(removed=[before])
    return deleted


# --- import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class ImportInvalid(InvalidInput):
    """Some rows were bad: every one named (up to MAX_ERRORS), and nothing written."""

    code = "invalid_import"

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        super().__init__(
            f"{len(errors)} row(s) rejected, nothing was imported; first: row {first.row}, "
            f"{first.field or 'row'}: {first.message}",
            field=first.field,
        )
        self.errors = errors


MAX_ERRORS = 100
MAX_ROWS = 200_000
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ImportRow:
    """One row as read from a file: its number as the reader counts (header = row 1)."""

    number: int
    data: dict[str, Any]
    visibility: list[str] | str | None = None


@transaction.atomic
def structures_import(
    *,
    actor: User | None,
    rows: list[ImportRow],
    visibility: Iterable[str] | str | None = None,
    progress: Progress | None = None,
) -> list[Structure]:
    """Create every row's structure in one transaction, or none if any row is bad.

    Rows are all checked before the first is written, so the report names
    every bad row and field at once. `progress(done, total, phase)` is called
    every few hundred rows, for a page to show how far a long import has come.
    """
    ensure_assessor(actor)
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"an import holds at most {MAX_ROWS} rows", field="file")
    if not rows:
        raise InvalidInput("the file has no rows", field="file")
    total = len(rows)
    errors: list[RowError] = []
    cleaned: list[tuple[dict[str, Any], list[str]]] = []
    seen: dict[tuple[int, str], int] = {}
    for i, row in enumerate(rows):
        try:
            fields = clean_structure(actor, row.data)
            vis = _visibility_for(
                actor, row.visibility if row.visibility not in (None, "") else visibility
            )
            key = (fields["settlement"].pk, fields["reference"])
            if key in seen:
                raise InvalidInput(
                    f"the same structure is on row {seen[key]} of this file", field="reference"
                )
            seen[key] = row.number
            cleaned.append((fields, vis))
        except DomainError as exc:
            errors.append(RowError(row.number, exc.field, exc.message))
            if len(errors) >= MAX_ERRORS:
                break
        if progress is not None and i % 500 == 0:
            progress(i, total, "checking")
    if errors:
        raise ImportInvalid(errors)
    created: list[Structure] = []
    for i, ((fields, vis), row) in enumerate(zip(cleaned, rows, strict=True)):
        try:
            created.append(_create(actor, fields, vis))
        except DomainError as exc:
            raise ImportInvalid([RowError(row.number, exc.field, exc.message)]) from None
        if progress is not None and i % 200 == 0:
            progress(i, total, "writing")
    if progress is not None:
        progress(total, total, "done")
    return created
