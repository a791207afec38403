"""Create-or-update by natural key, so that loading the same data twice writes nothing.

An item whose record does not exist yet goes to the create service; one whose record
differs goes to the update service with only the changed fields (a new version and one
ledger entry); one that matches is left alone (no version, no ledger entry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model

from truce.core.errors import DomainError
from truce.core.models import AdminArea, Facility, Organisation, Party, Record, Settlement, Zone
from truce.core.scenario.base import Item, Outcome
from truce.core.sharing import Scope, parse_visibility

R = TypeVar("R", bound=Record)

# How a scenario names a record of each model; references in data files use these keys.
_NATURAL_KEYS: dict[type[Model], str] = {
    Party: "code",
    Organisation: "code",
    AdminArea: "pcode",
    Settlement: "pcode",
    Zone: "code",
    Facility: "code",
}


def register_natural_key(model: type[Model], field: str) -> None:
    """Let a domain app's records be referenced (and compared) by a key of its own."""
    _NATURAL_KEYS[model] = field


def natural_key_of(record: Model) -> Any:
    for model in type(record).__mro__:
        key = _NATURAL_KEYS.get(model)
        if key is not None:
            return getattr(record, key)
    if hasattr(record, "public_id"):
        return str(record.public_id)
    return record.pk


def changed_fields(record: Model, wanted: dict[str, Any]) -> dict[str, Any]:
    """The fields whose stored value differs from the data; references compare by key."""
    changes: dict[str, Any] = {}
    for name, value in wanted.items():
        field = record._meta.get_field(name)
        if field.many_to_one:
            target = getattr(record, name)
            current = None if target is None else natural_key_of(target)
            value_key = natural_key_of(value) if isinstance(value, Model) else value
            if current != value_key:
                changes[name] = value
            continue
        if getattr(record, field.attname) != value:  # type: ignore[union-attr]
            changes[name] = value
    return changes


def visibility_changed(record: Record, visibility: list[str] | None) -> bool:
    if visibility is None:
        return False
    return set(parse_visibility(visibility)) != {Scope(name) for name in record.visibility}


def sync_record(
    item: Item,
    *,
    model: type[R],
    key_field: str,
    create: Callable[[dict[str, Any], list[str] | None], object],
    update: Callable[[R, dict[str, Any], list[str] | None], object],
) -> Outcome:
    """Create, update or skip the record with the item's natural key."""
    existing = model._default_manager.filter(**{key_field: item.key}).first()
    try:
        if existing is None:
            create(item.fields, item.visibility)
            return "created"
        if existing.is_deleted:
            raise item.error(
                "a record with this key was deleted in this database; restore it or give "
                "the item another key",
                key_field,
            )
        changes = changed_fields(existing, item.fields)
        new_visibility = visibility_changed(existing, item.visibility)
        if not changes and not new_visibility:
            return "unchanged"
        update(existing, changes, item.visibility if new_visibility else None)
        return "updated"
    except DomainError as exc:
        # The services name the field; the item adds the file and the row.
        raise item.error(exc.message, exc.field) from None
