"""Reading scenario data files (YAML, CSV, GeoJSON) into checked values.

Every failure is a ScenarioError naming the file, the item (row, entry or feature and its
key) and the field, so whoever edits the data knows exactly what to fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from truce.core.errors import InvalidInput
from truce.core.scenario.base import ScenarioError, Section
from truce.core.sharing import parse_visibility
from truce.lib import geo

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass
class Raw:
    """One entry of a data file, with typed accessors that fail naming the field."""

    file: str
    label: str
    data: dict[str, Any]

    def error(self, message: str, field: str | None = None) -> ScenarioError:
        return ScenarioError(message, file=self.file, item=self.label, field=field)

    def keyed(self, key_field: str, key: str) -> None:
        # Once the natural key is known, every later message names it.
        self.label = f"{self.label} ({key_field} {key})"

    def only(self, allowed: Iterable[str]) -> None:
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            raise self.error(
                f"unknown field; expected any of {', '.join(sorted(allowed))}", unknown[0]
            )

    def _value(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
        return value

    def text(self, name: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self._value(name)
        if value is None or value == "":
            if required:
                raise self.error("is required", name)
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.error("must be text", name)
        text = str(value)
        if max_length is not None and len(text) > max_length:
            raise self.error(f"is longer than {max_length} characters", name)
        return text

    def choice(self, name: str, choices: Iterable[str], *, required: bool = True) -> str:
        value = self.text(name, required=required)
        options = sorted(choices)
        if value and value not in options:
            raise self.error(f"{value!r} is not one of {', '.join(options)}", name)
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        value = self._value(name)
        if value is None or value == "":
            if required:
                raise self.error("is required", name)
            return None
        try:
            number = int(str(value).replace("_", ""))
        except ValueError:
            raise self.error(f"{value!r} is not a whole number", name) from None
        if minimum is not None and number < minimum:
            raise self.error(f"must be at least {minimum}", name)
        return number

    def number(self, name: str, *, required: bool = True) -> float | None:
        value = self._value(name)
        if value is None or value == "":
            if required:
                raise self.error("is required", name)
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.error(f"{value!r} is not a number", name) from None
        if not math.isfinite(number) or isinstance(value, bool):
            raise self.error(f"{value!r} is not a finite number", name)
        return number

    def flag(self, name: str, *, default: bool = False) -> bool:
        value = self._value(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text == "":
            return default
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.error(f"{value!r} is not true or false", name)

    def date(self, name: str) -> dt.date | None:
        value = self._value(name)
        if value is None or value == "":
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.error(f"{value!r} is not a date (YYYY-MM-DD)", name) from None

    def strings(self, name: str) -> list[str]:
        """A list given as a YAML list or, in CSV, separated by semicolons."""
        value = self.data.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [v.strip() for v in value.split(";") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value]
        raise self.error("must be a list of names", name)

    def visibility(self, name: str = "visibility") -> list[str]:
        names = self.strings(name)
        if not names:
            raise self.error("is required (a list of scopes, e.g. [public])", name)
        try:
            parse_visibility(names, field=name)
        except InvalidInput as exc:
            raise self.error(exc.message, name) from None
        return names


def check_geometry(
    raw: Raw, value: Any, allowed: frozenset[str], name: str = "geometry"
) -> dict[str, Any]:
    """Validate GeoJSON and return it normalised exactly as the services store it."""
    if value is None:
        raise raw.error("is required", name)
    try:
        return geo.to_geojson(geo.parse_geometry(value, allowed=allowed))
    except geo.GeometryError as exc:
        raise raw.error(str(exc), name) from None


def point_from(raw: Raw, lon_field: str = "lon", lat_field: str = "lat") -> dict[str, Any]:
    lon = raw.number(lon_field)
    lat = raw.number(lat_field)
    assert lon is not None and lat is not None  # required=True above
    if not -180 <= lon <= 180:
        raise raw.error(f"longitude {lon} is out of range [-180, 180]", lon_field)
    if not -90 <= lat <= 90:
        raise raw.error(f"latitude {lat} is out of range [-90, 90]", lat_field)
    return check_geometry(raw, geo.point(lon, lat), geo.POINT_TYPES)


# --- file readers --------------------------------------------------------------------


def _read_text(section: Section) -> str:
    if not section.path.is_file():
        raise section.error("file not found")
    try:
        return section.path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise section.error(f"cannot read: {exc}") from None


def yaml_entries(section: Section, list_key: str) -> list[tuple[Raw, dict[str, Any]]]:
    """The mappings listed under `list_key` in a YAML file, and the file's other keys."""
    try:
        document = yaml.safe_load(_read_text(section))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise section.error(f"not valid YAML: {getattr(exc, 'problem', exc)}", item=where) from None
    if not isinstance(document, dict) or not isinstance(document.get(list_key), list):
        raise section.error(f"expected a mapping with a list under {list_key!r}", field=list_key)
    entries: list[tuple[Raw, dict[str, Any]]] = []
    for number, entry in enumerate(document[list_key], 1):
        label = f"{list_key}[{number}]"
        if not isinstance(entry, dict):
            raise section.error("each entry must be a mapping", item=label)
        entries.append((Raw(section.file, label, entry), document))
    return entries


def csv_rows(section: Section, columns: Iterable[str], required: Iterable[str]) -> list[Raw]:
    """Rows of a UTF-8 CSV file with a header line; labels give the file's line number."""
    reader = csv.DictReader(io.StringIO(_read_text(section)), strict=True)
    header = reader.fieldnames or []
    allowed = set(columns)
    for name in header:
        if name not in allowed:
            raise section.error(
                f"unknown column; expected any of {', '.join(sorted(allowed))}",
                item="header",
                field=name,
            )
    for name in required:
        if name not in header:
            raise section.error("required column is missing", item="header", field=name)
    rows: list[Raw] = []
    try:
        for row in reader:
            if None in row:
                raise section.error("more cells than columns", item=f"line {reader.line_num}")
            rows.append(Raw(section.file, f"line {reader.line_num}", dict(row)))
    except csv.Error as exc:
        raise section.error(f"not valid CSV: {exc}", item=f"line {reader.line_num}") from None
    return rows


def geojson_features(section: Section) -> list[tuple[Raw, Any]]:
    """(properties, geometry) of each feature of a GeoJSON FeatureCollection."""
    try:
        document = json.loads(_read_text(section))
    except json.JSONDecodeError as exc:
        raise section.error(f"not valid JSON: {exc.msg}", item=f"line {exc.lineno}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise section.error("expected a GeoJSON FeatureCollection", field="type")
    features = document.get("features")
    if not isinstance(features, list):
        raise section.error("expected a list of features", field="features")
    result: list[tuple[Raw, Any]] = []
    for number, feature in enumerate(features, 1):
        label = f"feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise section.error("expected a GeoJSON Feature", item=label, field="type")
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            raise section.error("expected an object", item=label, field="properties")
        result.append((Raw(section.file, label, properties), feature.get("geometry")))
    return result
