"""Ledger payloads for many records at a time.

The same dictionary as Record.ledger_payload(), built from a field list
prepared once per model instead of inspecting every field of every record:
the batch ingest writes one entry per observation, so this is on its hot path.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import models

from truce.core.models import Record
from truce.core.sharing import SHARE_COLUMNS

_PLAIN, _FOREIGN, _TEMPORAL, _UUID = range(4)
_SHARES = [(column, scope.value) for scope, column in SHARE_COLUMNS.items()]


class PayloadBuilder:
    def __init__(self, model: type[Record]) -> None:
        self._fields: list[tuple[str, str, int]] = []
        for field in model._meta.concrete_fields:
            if field.name in model.LEDGER_EXCLUDE:
                continue
            if isinstance(field, models.ForeignKey):
                kind = _FOREIGN
            elif isinstance(field, models.DateTimeField | models.DateField):
                kind = _TEMPORAL
            elif isinstance(field, models.UUIDField):
                kind = _UUID
            else:
                kind = _PLAIN
            self._fields.append((field.name, field.attname, kind))

    def __call__(self, record: Record) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        values = record.__dict__
        cache = record._state.fields_cache
        for name, attname, kind in self._fields:
            value = values[attname]
            if value is None or kind == _PLAIN:
                payload[name] = value
            elif kind == _FOREIGN:
                # Related rows are attached by the caller, so this reads no database.
                target = cache[name] if name in cache else getattr(record, name)
                payload[name] = _reference(target, value)
            elif kind == _TEMPORAL:
                payload[name] = value.isoformat() if isinstance(value, dt.date) else value
            else:
                payload[name] = str(value) if isinstance(value, uuid.UUID) else value
        # As visibility_of(), without an enum lookup per record.
        payload["visibility"] = ["mission"] + [name for column, name in _SHARES if values[column]]
        return payload


def _reference(target: Any, raw_id: Any) -> Any:
    if isinstance(target, Record):
        return str(target.public_id)
    if hasattr(target, "username"):
        return target.username
    return raw_id
