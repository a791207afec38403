"""Canonical JSON: one byte string per value, so hashes can be recomputed anywhere.

Keys sorted, no insignificant whitespace, UTF-8, no NaN/Infinity; datetimes
as ISO 8601 UTC with a trailing Z, decimals and UUIDs as strings.

The definition is the standard library's `json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)` with the
conversions above. The ingest writes several such texts per observation
(its content hash, its ledger payload), so values made only of plain JSON
types go through orjson, which writes the same bytes about ten times faster.
The two differ only for floats written with an exponent (the standard library
writes 1e-05, orjson 0.00001) and for NaN (orjson writes null); values holding
such floats, or anything but str/int/bool/None/finite floats in lists and
dicts with string keys, take the standard library's path. A property test
(tests/lib/test_canonical.py) holds the two to the same output.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import Any

import orjson

# Floats whose shortest repr is plain positional notation in both encoders.
_PLAIN_FLOAT_MIN = 1e-4
_PLAIN_FLOAT_MAX = 1e16
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in canonical JSON: store UTC-aware datetimes")
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} into canonical JSON")


def _reference(value: Any) -> str:
    return json.dumps(
        value,
        default=_default,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


_SCALARS = frozenset({str, int, bool, type(None)})
_STRING_KEYS = frozenset({str})
_CONTAINERS = (dict, list, tuple)
# Types whose values need a look of their own: floats for their range, containers inside.
_LOOKED_AT = frozenset({float, dict, list, tuple})


def _plain(value: Any) -> bool:
    """True if orjson writes exactly what the reference writes for this value.

    The set of a container's value types is taken in C first: a record's
    payload is mostly strings, numbers and None, and only its floats and
    nested containers need a look of their own.
    """
    kind = type(value)
    if kind is dict:
        if value and set(map(type, value)) != _STRING_KEYS:
            return False
        items: Any = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return _plain_leaf(value)
    kinds = set(map(type, items)) - _SCALARS
    if not kinds:
        return True
    for other in kinds - _LOOKED_AT:
        # str subclasses (Django's TextChoices) are written as their text by both.
        if not issubclass(other, str):
            return False
    if not kinds & _LOOKED_AT:
        return True
    return all(_plain_leaf(item) for item in items if type(item) in _LOOKED_AT)


def _plain_leaf(item: Any) -> bool:
    kind = type(item)
    if kind is float:
        size = abs(item)
        # NaN fails both comparisons; infinities and exponent forms are out of range.
        return size == 0.0 or _PLAIN_FLOAT_MIN <= size < _PLAIN_FLOAT_MAX
    if kind in _SCALARS:
        return True
    if kind in _CONTAINERS:
        return _plain(item)
    return isinstance(item, str)


def canonical_json(value: Any) -> str:
    if _plain(value):
        try:
            return orjson.dumps(value, option=_ORJSON_OPTIONS).decode("utf-8")
        except orjson.JSONEncodeError:
            pass  # an integer beyond 64 bits: the reference writes it
    return _reference(value)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
