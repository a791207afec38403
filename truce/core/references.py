"""Records referenced by their key in a write: a settlement by P-code, an organisation by code.

Every service that takes a reference from a form, a file or the API looks it
up here, so "unknown settlement 'X'" reads the same everywhere and always
names the field. With an actor, the writer must be able to see what it
references: a hidden record is as unknown as a missing one, so the error
cannot reveal that it exists. Without one (the scenario loader), any record
that is not deleted will do.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from truce.core.errors import InvalidInput
from truce.core.models import AdminArea, Facility, Organisation, Record, Settlement, User
from truce.core.sharing import visible

R = TypeVar("R", bound=Record)


def lookup(model: type[R], actor: User | None, value: Any, key: str) -> R | None:
    """The record given as a row, its public id or its `key` (None if unknown or hidden)."""
    if isinstance(value, model):
        candidates = model._default_manager.filter(pk=value.pk)
    else:
        text = str(value).strip()
        try:
            candidates = model._default_manager.filter(public_id=uuid.UUID(text))
        except ValueError:
            candidates = model._default_manager.filter(**{key: text})
    return (
        visible(candidates, actor).first()
        if actor is not None
        else candidates.filter(is_deleted=False).first()
    )


def settlement_ref(
    actor: User | None, value: Any, *, field: str, required: bool = False
) -> Settlement | None:
    """A settlement given by P-code, public id or row; unknown is InvalidInput on `field`."""
    if value is None or value == "":
        if required:
            raise InvalidInput("is required: give a settlement P-code", field=field)
        return None
    row = lookup(Settlement, actor, value, "pcode")
    if row is None:
        raise InvalidInput(f"unknown settlement {str(value)!r}", field=field)
    return row


def area_ref(actor: User | None, value: Any, *, field: str) -> AdminArea | None:
    if value is None or value == "":
        return None
    row = lookup(AdminArea, actor, value, "pcode")
    if row is None:
        raise InvalidInput(f"unknown admin area {str(value)!r}", field=field)
    return row


def facility_ref(actor: User | None, value: Any, *, field: str) -> Facility | None:
    if value is None or value == "":
        return None
    row = lookup(Facility, actor, value, "code")
    if row is None:
        raise InvalidInput(f"unknown facility {str(value)!r}", field=field)
    return row


def organisation_ref(actor: User | None, value: Any, *, field: str) -> Organisation | None:
    if value is None or value == "":
        return None
    row = lookup(Organisation, actor, value, "code")
    if row is None:
        raise InvalidInput(f"unknown organisation {str(value)!r}", field=field)
    return row
