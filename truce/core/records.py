"""The write path every domain service shares (ARCHITECTURE.md, mechanism 2).

create / update / tombstone a Record: validate, version, write, and append
the ledger entry, all in the caller's transaction. Domain services wrap these
with their own typed, keyword-only signatures and rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from truce.core.errors import Conflict, InvalidInput, invalid_from_validation_error
from truce.core.models.places import GeoRecord
from truce.core.models.record import Record
from truce.core.sharing import parse_visibility, share_columns_for
from truce.ledger.services import ledger_append, ledger_lock
from truce.lib import geo
from truce.lib.time import utcnow

if TYPE_CHECKING:
    from truce.core.models import User

R = TypeVar("R", bound=Record)

# Fields a caller may never set directly: the write path owns them.
PROTECTED_FIELDS = frozenset(
    {
        "id",
        "public_id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "is_deleted",
        "deleted_at",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "share_side_a",
        "share_side_b",
        "share_agencies",
        "share_public",
    }
)


def _apply_geometry(record: Record, allowed: frozenset[str] | None) -> None:
    if not isinstance(record, GeoRecord):
        return
    if record.geometry is None:
        record.min_lon = record.min_lat = record.max_lon = record.max_lat = None
        return
    try:
        shape = geo.parse_geometry(record.geometry, allowed=allowed)
    except geo.GeometryError as exc:
        raise InvalidInput(str(exc), field="geometry") from exc
    record.geometry = geo.to_geojson(shape)
    box = geo.bbox_of(shape)
    record.min_lon, record.min_lat, record.max_lon, record.max_lat = box.as_list()


def _assign(record: Record, fields: Mapping[str, Any]) -> None:
    names = {f.name for f in record._meta.fields} | {f.attname for f in record._meta.fields}
    for name, value in fields.items():
        if name in PROTECTED_FIELDS:
            raise InvalidInput(f"{name} is set by the system and cannot be written", field=name)
        if name not in names:
            raise InvalidInput(f"unknown field {name!r}", field=name)
        setattr(record, name, value)


def _validate(record: Record, *, exclude_unique: bool = False) -> None:
    try:
        record.full_clean(validate_unique=not exclude_unique)
    except ValidationError as exc:
        raise invalid_from_validation_error(exc) from exc


def _save(record: Record) -> None:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        # A race past full_clean's uniqueness check: report it the same way.
        raise Conflict(f"conflicts with an existing record: {exc}") from exc


def _ledger(record: Record, *, actor: User | None, action: str) -> None:
    ledger_append(
        actor=actor,
        action=action,
        record_type=record.ledger_type(),
        record_id=str(record.public_id),
        record_version=record.version,
        payload=record.ledger_payload(),
    )


@transaction.atomic
def record_create(
    *,
    actor: User | None,
    model: type[R],
    fields: Mapping[str, Any],
    visibility: Iterable[str] | str | None = None,
    geometry_types: frozenset[str] | None = None,
    action: str = "create",
) -> R:
    """Create version 1 of a record and its ledger entry."""
    # Every write takes the ledger head first, then its rows: one lock order
    # for all services, so two writers queue instead of deadlocking.
    ledger_lock()
    record = model()
    _assign(record, fields)
    for column, shared in share_columns_for(parse_visibility(visibility)).items():
        setattr(record, column, shared)
    now = utcnow()
    record.created_at = record.updated_at = now
    record.created_by = record.updated_by = actor
    record.version = 1
    _apply_geometry(record, geometry_types)
    _validate(record)
    _save(record)
    _ledger(record, actor=actor, action=action)
    return record


def _lock_current(record: R, expected_version: int | None) -> R:
    current: R = type(record)._default_manager.select_for_update().get(pk=record.pk)
    if current.is_deleted:
        raise Conflict("the record has been deleted", field="version")
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            f"the record is at version {current.version}, not {expected_version}: "
            "reload it and apply your change again",
            field="version",
        )
    return current


@transaction.atomic
def record_update(
    *,
    actor: User | None,
    record: R,
    changes: Mapping[str, Any],
    expected_version: int | None,
    visibility: Iterable[str] | str | None = None,
    geometry_types: frozenset[str] | None = None,
    action: str = "update",
) -> R:
    """Write a new version; refuses if someone else wrote one since expected_version."""
    ledger_lock()
    current = _lock_current(record, expected_version)
    _assign(current, changes)
    if visibility is not None:
        for column, shared in share_columns_for(parse_visibility(visibility)).items():
            setattr(current, column, shared)
    current.version += 1
    current.updated_at = utcnow()
    current.updated_by = actor
    _apply_geometry(current, geometry_types)
    _validate(current)
    _save(current)
    _ledger(current, actor=actor, action=action)
    return current


@transaction.atomic
def record_delete(
    *, actor: User | None, record: R, expected_version: int | None, reason: str = ""
) -> R:
    """Tombstone: the row stays (and its history), marked deleted, as a new version."""
    ledger_lock()
    current = _lock_current(record, expected_version)
    current.version += 1
    current.is_deleted = True
    current.deleted_at = current.updated_at = utcnow()
    current.updated_by = actor
    _save(current)
    payload = current.ledger_payload()
    if reason:
        payload["deletion_reason"] = reason
    ledger_append(
        actor=actor,
        action="delete",
        record_type=current.ledger_type(),
        record_id=str(current.public_id),
        record_version=current.version,
        payload=payload,
    )
    return current
