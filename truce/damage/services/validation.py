"""Checking a structure assessment as sent (API, form, import, scenario) into model fields.

Every problem is an InvalidInput naming the field as the sender wrote it
("grade", "needs.glazing_m2", "lon"), so a form, the API and an import report
all point at the same thing. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from truce.core.errors import InvalidInput
from truce.core.models import Confidence, Organisation, Settlement, User
from truce.core.sharing import visible
from truce.damage.models import NEED_KEYS, NEEDS, Grade, Use
from truce.lib import geo

FIELDS = frozenset(
    {
        "settlement",
        "reference",
        "use",
        "grade",
        "needs",
        "lon",
        "lat",
        "geometry",
        "location_approximate",
        "assessed_on",
        "assessor",
        "assessor_organisation",
        "notes",
        "source",
        "confidence",
    }
)
REQUIRED = ("settlement", "reference", "use", "grade", "assessed_on")
MAX_QUANTITY = 1_000_000.0
_NEEDS_BY_KEY = {n.key: n for n in NEEDS}


def _text(data: Mapping[str, Any], name: str, max_length: int) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=name)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(f"is longer than {max_length} characters", field=name)
    return value


def _choice(data: Mapping[str, Any], name: str, choices: list[str]) -> str:
    value = data.get(name)
    if not isinstance(value, str) or value.strip() not in choices:
        raise InvalidInput(
            f"{value!r} is not a known {name}; use one of {', '.join(choices)}", field=name
        )
    return value.strip()


def quantity(value: Any, field: str) -> float:
    """A need's quantity: a finite number, not negative (a blank is none)."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise InvalidInput("must be a number", field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{value!r} is not a number", field=field) from None
    if not math.isfinite(number):
        raise InvalidInput("must be a finite number", field=field)
    if number < 0:
        raise InvalidInput("cannot be negative", field=field)
    if number > MAX_QUANTITY:
        raise InvalidInput(f"is more than {MAX_QUANTITY:,.0f}", field=field)
    return round(number, 2)


def clean_needs(value: Any) -> dict[str, float]:
    """{item: quantity} over the whole vocabulary (items not given are 0), as columns."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise InvalidInput("must be an object of {item: quantity}", field="needs")
    unknown = sorted(set(value) - set(NEED_KEYS))
    if unknown:
        raise InvalidInput(
            f"unknown item {unknown[0]!r}; the items are {', '.join(NEED_KEYS)}",
            field=f"needs.{unknown[0]}",
        )
    return {_NEEDS_BY_KEY[k].column: quantity(value.get(k), f"needs.{k}") for k in NEED_KEYS}


def _date(data: Mapping[str, Any], name: str) -> dt.date:
    value = data.get(name)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", field=name) from None


def _position(data: Mapping[str, Any]) -> dict[str, Any] | None:
    if data.get("geometry") is not None:
        try:
            shape = geo.parse_geometry(data["geometry"], allowed=geo.POINT_TYPES)
        except geo.GeometryError as exc:
            raise InvalidInput(str(exc), field="geometry") from None
        return geo.to_geojson(shape)
    lon, lat = data.get("lon"), data.get("lat")
    if lon in (None, "") and lat in (None, ""):
        return None
    values = []
    for name, value, limit in (("lon", lon, 180), ("lat", lat, 90)):
        try:
            number = float(value)  # type: ignore[arg-type]  # None is caught as TypeError
        except (TypeError, ValueError):
            raise InvalidInput(f"{value!r} is not a number", field=name) from None
        if not math.isfinite(number) or not -limit <= number <= limit:
            raise InvalidInput(f"must be between -{limit} and {limit}", field=name)
        values.append(number)
    return geo.point(values[0], values[1])


def clean_structure(
    actor: User | None, data: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """The model fields of an assessment (only those given when `partial`)."""
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidInput(
            f"unknown field; the fields are {', '.join(sorted(FIELDS))}", field=unknown[0]
        )
    if not partial:
        for name in REQUIRED:
            if data.get(name) in (None, ""):
                raise InvalidInput("is required", field=name)
    fields: dict[str, Any] = {}
    if "settlement" in data:
        pcode = _text(data, "settlement", 20)
        settlement = visible(Settlement.objects.filter(pcode=pcode), actor).first()
        if settlement is None:
            raise InvalidInput(f"no settlement with P-code {pcode!r}", field="settlement")
        fields["settlement"] = settlement
    if "reference" in data:
        fields["reference"] = _text(data, "reference", 100)
        if not fields["reference"]:
            raise InvalidInput("is required", field="reference")
    if "use" in data:
        fields["use"] = _choice(data, "use", list(Use.values))
    if "grade" in data:
        fields["grade"] = _choice(data, "grade", list(Grade.values))
    if "needs" in data or not partial:
        fields.update(clean_needs(data.get("needs")))
    if "assessed_on" in data:
        fields["assessed_on"] = _date(data, "assessed_on")
    if {"geometry", "lon", "lat"} & set(data):
        position = _position(data)
        if position is not None:
            fields["geometry"] = position
            fields["location_approximate"] = False
    if "location_approximate" in data:
        flag = data["location_approximate"]
        if not isinstance(flag, bool):
            raise InvalidInput("must be true or false", field="location_approximate")
        fields["location_approximate"] = flag
    if "assessor" in data:
        fields["assessor"] = _assessor(data.get("assessor"))
    if "assessor_organisation" in data:
        fields["assessor_organisation"] = _organisation(actor, data.get("assessor_organisation"))
    for name, length in (("notes", 2000), ("source", 500)):
        if name in data:
            fields[name] = _text(data, name, length)
    if "confidence" in data and data["confidence"] not in (None, ""):
        fields["confidence"] = _choice(data, "confidence", list(Confidence.values))
    return fields


def _assessor(value: Any) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    user = User.objects.filter(username=str(value)).first()
    if user is None:
        raise InvalidInput(f"no user {value!r}", field="assessor")
    return user


def _organisation(actor: User | None, value: Any) -> Organisation | None:
    if value in (None, ""):
        return None
    found = visible(Organisation.objects.filter(code=str(value)), actor).first()
    if found is None:
        raise InvalidInput(f"no organisation {value!r}", field="assessor_organisation")
    return found
