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

_SHARES = [(column, scope.value) for scope, column in SHARE_COLUMNS.items()]


class PayloadBuilder:
    """Record.ledger_payload() for many records: fields sorted by kind once per model.

    Plain values are copied in one comprehension; only dates, UUIDs and
    foreign keys need a conversion each. (Key order differs from
    ledger_payload's; the ledger writes canonical JSON, which sorts keys.)
    """

    def __init__(self, model: type[Record]) -> None:
        self._plain: list[tuple[str, str]] = []
        self._temporal: list[tuple[str, str]] = []
        self._uuid: list[tuple[str, str]] = []
        self._foreign: list[tuple[str, str]] = []
        for field in model._meta.concrete_fields:
            if field.name in model.LEDGER_EXCLUDE:
                continue
            if isinstance(field, models.ForeignKey):
                kind = self._foreign
            elif isinstance(field, models.DateTimeField | models.DateField):
                kind = self._temporal
            elif isinstance(field, models.UUIDField):
                kind = self._uuid
            else:
                kind = self._plain
            kind.append((field.name, field.attname))

    def __call__(self, record: Record) -> dict[str, Any]:
        values = record.__dict__
        payload = {name: values[attname] for name, attname in self._plain}
        for name, attname in self._temporal:
            value = values[attname]
            payload[name] = value.isoformat() if isinstance(value, dt.date) else value
        for name, attname in self._uuid:
            value = values[attname]
            payload[name] = str(value) if isinstance(value, uuid.UUID) else value
        cache = record._state.fields_cache
        for name, attname in self._foreign:
            raw_id = values[attname]
            if raw_id is None:
                payload[name] = None
                continue
            # Related rows are attached by the caller, so this reads no database.
            target = cache[name] if name in cache else getattr(record, name)
            payload[name] = _reference(target, raw_id)
        # As visibility_of(), without an enum lookup per record.
        payload["visibility"] = ["mission"] + [name for column, name in _SHARES if values[column]]
        return payload


def _reference(target: Any, raw_id: Any) -> Any:
    if isinstance(target, Record):
        return str(target.public_id)
    if hasattr(target, "username"):
        return target.username
    return raw_id
