"""Scenario sections of mine action, written through the services as the system.

- `mineaction.hazards` (GeoJSON): one feature per hazard area, properties reference,
  name, kind, contamination, settlement, admin_area, reported_on, evidence,
  location_approximate, source, confidence, visibility. Keyed by reference.
- `mineaction.activities` (YAML, list `activities`, optional top-level `source`): each
  activity (reference, kind, organisation, hazard, settlement, start_date, end_date,
  status, notes) with its `results` (reported_on, cancelled_m2, reduced_m2, cleared_m2)
  and `devices` (reported_on, category, device_type, found, destroyed, destroyed_note).
  Keyed by reference; a result by its day, a device count by day, category and type.
- `mineaction.hazard_status` (YAML, list `changes`): hazard, status, since, and the
  land release behind it (activity + reported_on), note.
- `mineaction.road_checks` (GeoJSON lines): reference, name, organisation, settlement,
  checked_on, result, stated_km, ... Keyed by reference.
- `mineaction.building_checks` (CSV): settlement, organisation, activity, checked_on,
  buildings, result, lon, lat, source, confidence, visibility. Keyed by settlement,
  organisation and day.

A second load finds every record by its key and writes nothing.
"""

from __future__ import annotations

from typing import Any

from truce.core.errors import DomainError
from truce.core.models import Confidence, Organisation, Settlement
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    check_geometry,
    csv_rows,
    geojson_features,
    register_section,
    yaml_entries,
)
from truce.core.scenario.files import point_from
from truce.lib import geo
from truce.mineaction import services, task_services
from truce.mineaction.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    BuildingCheck,
    CheckResult,
    Contamination,
    DeviceCategory,
    DeviceCount,
    HazardArea,
    HazardKind,
    HazardStatus,
    LandRelease,
    RoadCheck,
)

HAZARD_KEYS = {"reference", "name", "kind", "contamination", "settlement", "admin_area"}
HAZARD_KEYS |= {"reported_on", "evidence", "location_approximate", "source", "confidence"}
HAZARD_KEYS |= {"visibility"}
ACTIVITY_KEYS = {"reference", "kind", "organisation", "hazard", "settlement", "start_date"}
ACTIVITY_KEYS |= {"end_date", "status", "notes", "results", "devices", "source", "visibility"}
RESULT_KEYS = {"reported_on", "cancelled_m2", "reduced_m2", "cleared_m2", "notes"}
DEVICE_KEYS = {"reported_on", "category", "device_type", "found", "destroyed", "destroyed_note"}
CHANGE_KEYS = {"hazard", "status", "since", "activity", "reported_on", "note"}
ROAD_KEYS = {"reference", "name", "organisation", "settlement", "checked_on", "result"}
ROAD_KEYS |= {"stated_km", "notes", "location_approximate", "source", "confidence", "visibility"}
BUILDING_COLUMNS = (
    "settlement",
    "organisation",
    "activity",
    "checked_on",
    "buildings",
    "result",
    "lon",
    "lat",
    "notes",
    "source",
    "confidence",
    "visibility",
)


def _required_date(raw: Raw, name: str) -> Any:
    value = raw.date(name)
    if value is None:
        raise raw.error("is required", name)
    return value


def _settlement(ctx: LoadContext, raw: Raw, *, required: bool = False) -> str:
    pcode = raw.text("settlement", required=required)
    if pcode and not ctx.known("settlement", pcode, Settlement, "pcode"):
        raise raw.error(f"unknown settlement {pcode!r}", "settlement")
    return pcode


def _organisation(ctx: LoadContext, raw: Raw) -> str:
    code = raw.text("organisation", required=True)
    if not ctx.known("organisation", code, Organisation, "code"):
        raise raw.error(f"unknown organisation {code!r}", "organisation")
    return code


def _source(raw: Raw, default: str = "") -> str:
    source = raw.text("source", max_length=500) or default
    if not source:
        raise raw.error("is required: say where the record comes from", "source")
    return source


def _fail(item: Item, exc: DomainError) -> Exception:
    return item.error(exc.message, exc.field)


# --- hazards ---------------------------------------------------------------------------------


def parse_hazards(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, geometry in geojson_features(section):
        reference = raw.text("reference", required=True, max_length=40)
        raw.keyed("reference", reference)
        raw.only(HAZARD_KEYS)
        fields = {
            "reference": reference,
            "name": raw.text("name", required=True, max_length=200),
            "kind": raw.choice("kind", HazardKind.values),
            "contamination": raw.choice("contamination", Contamination.values, required=False)
            or Contamination.UNKNOWN.value,
            "settlement": _settlement(ctx, raw) or None,
            "reported_on": _required_date(raw, "reported_on"),
            "evidence": raw.text("evidence"),
            "location_approximate": raw.flag("location_approximate"),
            "source": _source(raw),
            "confidence": raw.choice("confidence", Confidence.values, required=False),
            "geometry": check_geometry(raw, geometry, geo.AREA_TYPES),
        }
        item = Item(raw.file, raw.label, reference, fields, visibility=raw.visibility())
        ctx.declare("hazard", item)
        items.append(item)
    return items


def write_hazard(ctx: LoadContext, item: Item) -> Outcome:
    if HazardArea.objects.filter(reference=item.key).exists():
        return "unchanged"
    try:
        services.hazard_area_record(actor=None, fields=item.fields, visibility=item.visibility)
    except DomainError as exc:
        raise _fail(item, exc) from None
    return "created"


# --- activities ------------------------------------------------------------------------------


def _result(raw: Raw) -> dict[str, Any]:
    raw.only(RESULT_KEYS)
    row: dict[str, Any] = {"reported_on": _required_date(raw, "reported_on")}
    for name in ("cancelled_m2", "reduced_m2", "cleared_m2"):
        value = raw.number(name, required=False) or 0.0
        if value < 0:
            raise raw.error("cannot be negative", name)
        row[name] = value
    row["notes"] = raw.text("notes")
    return row


def _device(raw: Raw) -> dict[str, Any]:
    raw.only(DEVICE_KEYS)
    return {
        "reported_on": _required_date(raw, "reported_on"),
        "category": raw.choice("category", DeviceCategory.values),
        "device_type": raw.text("device_type", max_length=100),
        "found": raw.integer("found", minimum=0) or 0,
        "destroyed": raw.integer("destroyed", minimum=0) or 0,
        "destroyed_note": raw.text("destroyed_note", max_length=300),
    }


def _nested(raw: Raw, name: str) -> list[Raw]:
    value = raw.data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise raw.error("must be a list of mappings", name)
    return [Raw(raw.file, f"{raw.label} {name}[{n}]", v) for n, v in enumerate(value, 1)]


def parse_activities(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, document in yaml_entries(section, "activities"):
        reference = raw.text("reference", required=True, max_length=40)
        raw.keyed("reference", reference)
        raw.only(ACTIVITY_KEYS)
        hazard = raw.text("hazard")
        if hazard and not ctx.known("hazard", hazard, HazardArea, "reference"):
            raise raw.error(f"unknown hazard area {hazard!r}", "hazard")
        kind = raw.choice("kind", ActivityKind.values)
        if not hazard and kind != ActivityKind.EOD_SPOT_TASK:
            raise raw.error("only an EOD spot task may have no hazard area", "hazard")
        start = _required_date(raw, "start_date")
        end = raw.date("end_date")
        if end is not None and end < start:
            raise raw.error("is before start_date", "end_date")
        source = _source(raw, str(document.get("source") or ""))
        fields = {
            "reference": reference,
            "kind": kind,
            "organisation": _organisation(ctx, raw),
            "hazard": hazard or None,
            "settlement": _settlement(ctx, raw) or None,
            "start_date": start,
            "end_date": end,
            "status": raw.choice("status", ActivityStatus.values, required=False) or "planned",
            "notes": raw.text("notes"),
            "source": source,
        }
        results = [_result(r) for r in _nested(raw, "results")]
        devices = [_device(r) for r in _nested(raw, "devices")]
        visibility = raw.strings("visibility") or ["public"]
        item = Item(
            raw.file,
            raw.label,
            reference,
            fields,
            visibility=visibility,
            extra={"results": results, "devices": devices, "source": source},
        )
        ctx.declare("activity", item)
        items.append(item)
    return items


def write_activity(ctx: LoadContext, item: Item) -> Outcome:
    source = item.extra["source"]
    try:
        activity = Activity.objects.filter(reference=item.key).first()
        outcome: Outcome = "unchanged"
        if activity is None:
            activity = task_services.activity_record(
                actor=None, fields=item.fields, visibility=item.visibility
            )
            outcome = "created"
        for result in item.extra["results"]:
            if not LandRelease.objects.filter(
                activity=activity, reported_on=result["reported_on"], is_deleted=False
            ).exists():
                task_services.land_release_record(
                    actor=None,
                    activity=activity,
                    fields={**result, "source": source},
                    visibility=item.visibility,
                )
                outcome = "created" if outcome == "created" else "updated"
        for device in item.extra["devices"]:
            if not DeviceCount.objects.filter(
                activity=activity,
                reported_on=device["reported_on"],
                category=device["category"],
                device_type=device["device_type"],
                is_deleted=False,
            ).exists():
                task_services.device_count_record(
                    actor=None,
                    activity=activity,
                    fields={**device, "source": source},
                    visibility=item.visibility,
                )
                outcome = "created" if outcome == "created" else "updated"
    except DomainError as exc:
        raise _fail(item, exc) from None
    return outcome


# --- status changes --------------------------------------------------------------------------


def parse_changes(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _document in yaml_entries(section, "changes"):
        raw.only(CHANGE_KEYS)
        hazard = raw.text("hazard", required=True)
        if not ctx.known("hazard", hazard, HazardArea, "reference"):
            raise raw.error(f"unknown hazard area {hazard!r}", "hazard")
        since = _required_date(raw, "since")
        raw.keyed("hazard", f"{hazard}@{since.isoformat()}")
        activity = raw.text("activity")
        if activity and not ctx.known("activity", activity, Activity, "reference"):
            raise raw.error(f"unknown activity {activity!r}", "activity")
        fields = {
            "status": raw.choice("status", HazardStatus.values),
            "since": since,
            "note": raw.text("note", max_length=300),
        }
        item = Item(
            raw.file,
            raw.label,
            f"{hazard}@{since.isoformat()}",
            fields,
            extra={"hazard": hazard, "activity": activity, "reported_on": raw.date("reported_on")},
        )
        ctx.declare("hazard_status", item)
        items.append(item)
    return items


def write_change(ctx: LoadContext, item: Item) -> Outcome:
    hazard = HazardArea.objects.get(reference=item.extra["hazard"], is_deleted=False)
    if hazard.status == item.fields["status"] and hazard.status_since == item.fields["since"]:
        return "unchanged"
    released_by = None
    if item.extra["activity"]:
        released_by = (
            LandRelease.objects.filter(
                activity__reference=item.extra["activity"],
                reported_on=item.extra["reported_on"],
                is_deleted=False,
            )
            .order_by("-id")
            .first()
        )
        if released_by is None:
            raise item.error("no land release of that activity on that day", "reported_on")
    try:
        services.hazard_area_change_status(
            actor=None,
            hazard=hazard,
            expected_version=hazard.version,
            status=item.fields["status"],
            since=item.fields["since"],
            released_by=released_by,
            note=item.fields["note"],
        )
    except DomainError as exc:
        raise _fail(item, exc) from None
    # The change is a record of the data file (a status version), created by this load.
    return "created"


# --- road and building checks -------------------------------------------------------------


def parse_roads(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, geometry in geojson_features(section):
        reference = raw.text("reference", required=True, max_length=40)
        raw.keyed("reference", reference)
        raw.only(ROAD_KEYS)
        stated = raw.number("stated_km", required=False)
        if stated is not None and stated <= 0:
            raise raw.error("must be more than zero", "stated_km")
        fields = {
            "reference": reference,
            "name": raw.text("name", required=True, max_length=200),
            "organisation": _organisation(ctx, raw),
            "settlement": _settlement(ctx, raw) or None,
            "checked_on": _required_date(raw, "checked_on"),
            "result": raw.choice("result", CheckResult.values),
            "stated_km": stated,
            "notes": raw.text("notes"),
            "location_approximate": raw.flag("location_approximate"),
            "source": _source(raw),
            "confidence": raw.choice("confidence", Confidence.values, required=False),
            "geometry": check_geometry(raw, geometry, geo.LINE_TYPES),
        }
        item = Item(raw.file, raw.label, reference, fields, visibility=raw.visibility())
        ctx.declare("road_check", item)
        items.append(item)
    return items


def write_road(ctx: LoadContext, item: Item) -> Outcome:
    if RoadCheck.objects.filter(reference=item.key).exists():
        return "unchanged"
    try:
        task_services.road_check_record(actor=None, fields=item.fields, visibility=item.visibility)
    except DomainError as exc:
        raise _fail(item, exc) from None
    return "created"


def parse_buildings(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    required = ("settlement", "organisation", "checked_on", "buildings")
    for raw in csv_rows(section, BUILDING_COLUMNS, required):
        pcode = _settlement(ctx, raw, required=True)
        organisation = _organisation(ctx, raw)
        day = _required_date(raw, "checked_on")
        key = f"{pcode}/{organisation}/{day.isoformat()}"
        raw.keyed("check", key)
        activity = raw.text("activity")
        if activity and not ctx.known("activity", activity, Activity, "reference"):
            raise raw.error(f"unknown activity {activity!r}", "activity")
        count = raw.integer("buildings", required=True, minimum=1)
        fields = {
            "settlement": pcode,
            "organisation": organisation,
            "activity": activity or None,
            "checked_on": day,
            "buildings": count,
            "result": raw.choice("result", CheckResult.values, required=False) or "clear",
            "notes": raw.text("notes"),
            "source": _source(raw),
            "confidence": raw.choice("confidence", Confidence.values, required=False),
            "geometry": point_from(raw) if raw.text("lon") else None,
        }
        item = Item(raw.file, raw.label, key, fields, visibility=raw.visibility())
        ctx.declare("building_check", item)
        items.append(item)
    return items


def write_building(ctx: LoadContext, item: Item) -> Outcome:
    fields = item.fields
    if BuildingCheck.objects.filter(
        settlement__pcode=fields["settlement"],
        organisation__code=fields["organisation"],
        checked_on=fields["checked_on"],
        is_deleted=False,
    ).exists():
        return "unchanged"
    try:
        task_services.building_check_record(actor=None, fields=fields, visibility=item.visibility)
    except DomainError as exc:
        raise _fail(item, exc) from None
    return "created"


for _section_type in (
    SectionType(
        "mineaction.hazards", parse_hazards, write_hazard, "Hazard areas (GeoJSON polygons)"
    ),
    SectionType(
        "mineaction.activities",
        parse_activities,
        write_activity,
        "Mine action tasks with land release results and devices (YAML)",
    ),
    SectionType(
        "mineaction.hazard_status",
        parse_changes,
        write_change,
        "Closures and hand-overs of hazard areas, with the release behind each (YAML)",
    ),
    SectionType("mineaction.road_checks", parse_roads, write_road, "Roads checked (GeoJSON lines)"),
    SectionType(
        "mineaction.building_checks",
        parse_buildings,
        write_building,
        "Buildings checked per settlement and day (CSV)",
    ),
):
    register_section(_section_type)
