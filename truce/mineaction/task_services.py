"""Writes of mine action tasks: activities, land release, devices, road and building
checks, accidents. Hazard areas themselves are in truce.mineaction.services.

Each service is keyword-only and atomic and goes through truce.core.records, so
every version lands in the ledger in the same transaction. A batch (an activity
with its results and devices, an import) is one transaction: a refusal anywhere
leaves nothing written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Sum

from truce.core.errors import InvalidInput
from truce.core.models import User
from truce.core.records import record_create, record_update
from truce.lib import geo
from truce.mineaction.models import (
    Accident,
    Activity,
    ActivityKind,
    ActivityStatus,
    BuildingCheck,
    CheckResult,
    DeviceCategory,
    DeviceCount,
    LandRelease,
    RoadCheck,
)
from truce.mineaction.services import (
    DEFAULT_HAZARD_VISIBILITY,
    _admin_area,
    _date,
    _hazard,
    _organisation,
    _settlement,
    _unknown,
    ensure_mine_action_writer,
    hazard_area_record,
)

Visibility = Iterable[str] | str | None

# Task results are shared as widely as the hazards: the briefings quote them publicly.
DEFAULT_TASK_VISIBILITY = DEFAULT_HAZARD_VISIBILITY
# Accidents stay with the mission unless the writer shares them on purpose.
DEFAULT_ACCIDENT_VISIBILITY: tuple[str, ...] = ("mission",)
# A polygon drawn on a map is rarely the surveyed boundary; release reported against it
# may exceed its computed area by this share before it is refused as an error.
RELEASE_TOLERANCE = 0.05

ACTIVITY_FIELDS = frozenset(
    {
        "reference",
        "kind",
        "organisation",
        "hazard",
        "settlement",
        "admin_area",
        "start_date",
        "end_date",
        "status",
        "notes",
        "source",
        "confidence",
    }
)
RELEASE_FIELDS = frozenset(
    {"reported_on", "cancelled_m2", "reduced_m2", "cleared_m2", "notes", "source", "confidence"}
)
DEVICE_FIELDS = frozenset(
    {
        "reported_on",
        "category",
        "device_type",
        "found",
        "destroyed",
        "destroyed_note",
        "source",
        "confidence",
    }
)
ROAD_FIELDS = frozenset(
    {
        "reference",
        "name",
        "organisation",
        "activity",
        "settlement",
        "admin_area",
        "checked_on",
        "result",
        "geometry",
        "stated_km",
        "notes",
        "location_approximate",
        "source",
        "confidence",
    }
)
BUILDING_FIELDS = frozenset(
    {
        "organisation",
        "activity",
        "settlement",
        "checked_on",
        "buildings",
        "result",
        "geometry",
        "notes",
        "location_approximate",
        "source",
        "confidence",
    }
)
ACCIDENT_FIELDS = frozenset(
    {
        "occurred_on",
        "settlement",
        "admin_area",
        "device_category",
        "device_type",
        *Accident.VICTIM_FIELDS,
        "description",
        "geometry",
        "location_approximate",
        "source",
        "confidence",
    }
)


def _choice(value: Any, choices: Sequence[str], name: str, *, default: str | None = None) -> str:
    if value in (None, "") and default is not None:
        return default
    if value not in choices:
        raise InvalidInput(f"unknown {name} {value!r}; use one of {', '.join(choices)}", field=name)
    return str(value)


def _m2(value: Any, name: str) -> float:
    if value in (None, ""):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number of square metres", field=name) from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInput(f"{name} must be a finite number", field=name)
    if number < 0:
        raise InvalidInput(f"{name} cannot be negative", field=name)
    return number


def _count(value: Any, name: str, *, required: bool = False) -> int:
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return 0
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a whole number", field=name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a whole number", field=name) from None
    if number != float(value):
        raise InvalidInput(f"{name} must be a whole number", field=name)
    if number < 0:
        raise InvalidInput(f"{name} cannot be negative", field=name)
    return number


def _activity_row(value: Any, *, required: bool) -> Activity | None:
    if isinstance(value, Activity):
        return value
    if value in (None, ""):
        if required:
            raise InvalidInput("an activity is required", field="activity")
        return None
    row = Activity.objects.filter(reference=str(value), is_deleted=False).first()
    if row is None:
        raise InvalidInput(f"unknown activity {value!r}", field="activity")
    return row


def _text(checked: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in checked and checked[name] is None:
            checked[name] = ""


# --- activities ----------------------------------------------------------------------------


def _check_activity(fields: Mapping[str, Any], current: Activity | None) -> dict[str, Any]:
    checked = dict(fields)
    if "kind" in checked or current is None:
        checked["kind"] = _choice(checked.get("kind"), ActivityKind.values, "kind")
    if "status" in checked or current is None:
        checked["status"] = _choice(
            checked.get("status"), ActivityStatus.values, "status", default="planned"
        )
    if "organisation" in checked or current is None:
        checked["organisation"] = _organisation(checked.get("organisation"))
    kind = checked.get("kind", current.kind if current else None)
    if "hazard" in checked or current is None:
        checked["hazard"] = _hazard(checked.get("hazard"), required=False)
    hazard = checked.get("hazard", current.hazard if current else None)
    if hazard is None and kind != ActivityKind.EOD_SPOT_TASK:
        raise InvalidInput("only an EOD spot task may have no hazard area", field="hazard")
    if "settlement" in checked:
        checked["settlement"] = _settlement(checked["settlement"], required=False)
    if "admin_area" in checked:
        checked["admin_area"] = _admin_area(checked["admin_area"])
    if current is None:
        # The place of a task defaults to its hazard's, so rollups by area find it.
        if not checked.get("settlement") and hazard is not None:
            checked["settlement"] = hazard.settlement
        place = checked.get("settlement")
        if not checked.get("admin_area"):
            checked["admin_area"] = (
                place.admin_area if place is not None else hazard.admin_area if hazard else None
            )
        if hazard is None and not checked.get("settlement") and not checked.get("admin_area"):
            raise InvalidInput(
                "say where: a hazard area, a settlement or an area", field="settlement"
            )
    if "start_date" in checked or current is None:
        checked["start_date"] = _date(checked.get("start_date"), "start_date")
    if "end_date" in checked:
        checked["end_date"] = (
            _date(checked["end_date"], "end_date") if checked["end_date"] else None
        )
    start = checked.get("start_date", current.start_date if current else None)
    end = checked.get("end_date", current.end_date if current else None)
    if start is not None and end is not None and end < start:
        raise InvalidInput("end_date is before start_date", field="end_date")
    _text(checked, "notes", "source")
    return checked


@transaction.atomic
def activity_record(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]] = (),
    devices: Sequence[Mapping[str, Any]] = (),
    visibility: Visibility = DEFAULT_TASK_VISIBILITY,
) -> Activity:
    """Record an activity, with any results and device counts reported with it (one batch)."""
    ensure_mine_action_writer(actor)
    _unknown(fields, ACTIVITY_FIELDS)
    checked = _check_activity(fields, None)
    if not str(checked.get("reference") or "").strip():
        raise InvalidInput("an activity needs its reference", field="reference")
    if Activity.objects.filter(reference=checked["reference"]).exists():
        raise InvalidInput(
            f"an activity {checked['reference']!r} exists already", field="reference"
        )
    activity = record_create(actor=actor, model=Activity, fields=checked, visibility=visibility)
    for result in results:
        land_release_record(actor=actor, activity=activity, fields=result, visibility=visibility)
    for device in devices:
        device_count_record(actor=actor, activity=activity, fields=device, visibility=visibility)
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: User | None,
    activity: Activity,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> Activity:
    """A new version of an activity: its status, end date, notes..."""
    ensure_mine_action_writer(actor)
    _unknown(changes, ACTIVITY_FIELDS - {"reference"})
    checked = _check_activity(changes, activity)
    return record_update(
        actor=actor,
        record=activity,
        expected_version=expected_version,
        changes=checked,
        visibility=visibility,
    )


# --- results -------------------------------------------------------------------------------


def released_on_hazard(hazard_id: int, *, exclude: int | None = None) -> float:
    """m2 released so far on a hazard by every live result (whoever may read them)."""
    rows = LandRelease.objects.filter(activity__hazard_id=hazard_id, is_deleted=False)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    agg = rows.aggregate(c=Sum("cancelled_m2"), r=Sum("reduced_m2"), x=Sum("cleared_m2"))
    return float((agg["c"] or 0) + (agg["r"] or 0) + (agg["x"] or 0))


@transaction.atomic
def land_release_record(
    *,
    actor: User | None,
    activity: Activity | str,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_TASK_VISIBILITY,
) -> LandRelease:
    """Land an activity released, reported on a day (m2 cancelled, reduced, cleared).

    Released land cannot exceed the hazard's area (plus RELEASE_TOLERANCE) over all
    its results; the refusal names the field that goes over.
    """
    ensure_mine_action_writer(actor)
    _unknown(fields, RELEASE_FIELDS)
    task = _activity_row(activity, required=True)
    assert task is not None
    checked = dict(fields)
    checked["reported_on"] = _date(checked.get("reported_on"), "reported_on")
    if checked["reported_on"] < task.start_date:
        raise InvalidInput("reported_on is before the activity began", field="reported_on")
    amounts = {n: _m2(checked.get(n), n) for n in ("cancelled_m2", "reduced_m2", "cleared_m2")}
    checked.update(amounts)
    if not any(amounts.values()):
        raise InvalidInput("a land release result releases some land", field="cleared_m2")
    hazard = task.hazard
    if hazard is None:
        raise InvalidInput(
            "land is released from a hazard area: the activity has none", field="activity"
        )
    # Lock the hazard row so two reports on one hazard cannot both pass the check.
    hazard = type(hazard).objects.select_for_update().get(pk=hazard.pk)
    limit = hazard.area_m2 * (1 + RELEASE_TOLERANCE)
    total = released_on_hazard(hazard.pk) + sum(amounts.values())
    if total > limit:
        field = max(amounts, key=lambda n: amounts[n])
        raise InvalidInput(
            f"{field}: the released total of {hazard.reference} would be {total:,.0f} m2, "
            f"more than its area of {hazard.area_m2:,.0f} m2",
            field=field,
        )
    _text(checked, "notes", "source")
    return record_create(
        actor=actor, model=LandRelease, fields={"activity": task, **checked}, visibility=visibility
    )


@transaction.atomic
def device_count_record(
    *,
    actor: User | None,
    activity: Activity | str,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_TASK_VISIBILITY,
) -> DeviceCount:
    """Items of one category and type found and destroyed, reported on a day."""
    ensure_mine_action_writer(actor)
    _unknown(fields, DEVICE_FIELDS)
    task = _activity_row(activity, required=True)
    checked = dict(fields)
    checked["reported_on"] = _date(checked.get("reported_on"), "reported_on")
    checked["category"] = _choice(checked.get("category"), DeviceCategory.values, "category")
    checked["found"] = _count(checked.get("found"), "found")
    checked["destroyed"] = _count(checked.get("destroyed"), "destroyed")
    note = str(checked.get("destroyed_note") or "").strip()
    if checked["destroyed"] > checked["found"] and not note:
        raise InvalidInput(
            "more destroyed than found: say why in destroyed_note", field="destroyed"
        )
    checked["destroyed_note"] = note
    checked["device_type"] = str(checked.get("device_type") or "").strip()
    _text(checked, "source")
    return record_create(
        actor=actor, model=DeviceCount, fields={"activity": task, **checked}, visibility=visibility
    )


# --- checks ----------------------------------------------------------------------------------


def _line_length(geometry: Any) -> float:
    try:
        shape = geo.parse_geometry(geometry, allowed=geo.LINE_TYPES)
    except geo.GeometryError as exc:
        raise InvalidInput(str(exc), field="geometry") from exc
    return geo.geodesic_length_m(shape)


@transaction.atomic
def road_check_record(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_TASK_VISIBILITY,
) -> RoadCheck:
    """A road checked on a day: its line (km computed geodesically), and the operator's km."""
    ensure_mine_action_writer(actor)
    _unknown(fields, ROAD_FIELDS)
    checked = dict(fields)
    if not str(checked.get("reference") or "").strip():
        raise InvalidInput("a road check needs its reference", field="reference")
    if RoadCheck.objects.filter(reference=checked["reference"]).exists():
        raise InvalidInput(
            f"a road check {checked['reference']!r} exists already", field="reference"
        )
    if not checked.get("geometry"):
        raise InvalidInput("a road check needs its line", field="geometry")
    checked["length_m"] = _line_length(checked["geometry"])
    checked["organisation"] = _organisation(checked.get("organisation"))
    checked["activity"] = _activity_row(checked.get("activity"), required=False)
    checked["settlement"] = _settlement(checked.get("settlement"), required=False)
    checked["admin_area"] = _admin_area(checked.get("admin_area")) or (
        checked["settlement"].admin_area if checked["settlement"] else None
    )
    checked["checked_on"] = _date(checked.get("checked_on"), "checked_on")
    checked["result"] = _choice(checked.get("result"), CheckResult.values, "result")
    if checked.get("stated_km") in (None, ""):
        checked["stated_km"] = None
    else:
        km = _m2(checked["stated_km"], "stated_km")
        if km == 0:
            raise InvalidInput("stated_km must be more than zero", field="stated_km")
        checked["stated_km"] = km
    _text(checked, "notes", "source", "name")
    return record_create(
        actor=actor,
        model=RoadCheck,
        fields=checked,
        visibility=visibility,
        geometry_types=geo.LINE_TYPES,
    )


@transaction.atomic
def building_check_record(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_TASK_VISIBILITY,
) -> BuildingCheck:
    """Buildings of a settlement checked on a day."""
    ensure_mine_action_writer(actor)
    _unknown(fields, BUILDING_FIELDS)
    checked = dict(fields)
    checked["organisation"] = _organisation(checked.get("organisation"))
    checked["activity"] = _activity_row(checked.get("activity"), required=False)
    checked["settlement"] = _settlement(checked.get("settlement"), required=True)
    checked["checked_on"] = _date(checked.get("checked_on"), "checked_on")
    checked["buildings"] = _count(checked.get("buildings"), "buildings", required=True)
    if checked["buildings"] == 0:
        raise InvalidInput("buildings must be at least one", field="buildings")
    checked["result"] = _choice(
        checked.get("result"), CheckResult.values, "result", default="clear"
    )
    if not checked.get("geometry"):
        checked["geometry"] = None
    _text(checked, "notes", "source")
    return record_create(
        actor=actor,
        model=BuildingCheck,
        fields=checked,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


@transaction.atomic
def accident_record(
    *,
    actor: User | None,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_ACCIDENT_VISIBILITY,
) -> Accident:
    """An explosive ordnance accident, victims counted (no names); mission-only by default."""
    ensure_mine_action_writer(actor)
    _unknown(fields, ACCIDENT_FIELDS)
    checked = dict(fields)
    checked["occurred_on"] = _date(checked.get("occurred_on"), "occurred_on")
    checked["settlement"] = _settlement(checked.get("settlement"), required=False)
    checked["admin_area"] = _admin_area(checked.get("admin_area")) or (
        checked["settlement"].admin_area if checked["settlement"] else None
    )
    if (
        checked["settlement"] is None
        and checked["admin_area"] is None
        and not checked.get("geometry")
    ):
        raise InvalidInput("say where: a settlement, an area or a point", field="settlement")
    checked["device_category"] = _choice(
        checked.get("device_category"), DeviceCategory.values, "device_category"
    )
    for name in Accident.VICTIM_FIELDS:
        checked[name] = _count(checked.get(name), name)
    if not checked.get("geometry"):
        checked["geometry"] = None
    _text(checked, "description", "source", "device_type")
    return record_create(
        actor=actor,
        model=Accident,
        fields=checked,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


@transaction.atomic
def batch_record(*, actor: User | None, kind: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Record many hazards, activities, road or building checks or accidents in one go.

    One transaction: the first refusal names its row and field, and nothing of the
    batch is then written.
    """
    writers: dict[str, Any] = {
        "hazards": hazard_area_record,
        "road_checks": road_check_record,
        "building_checks": building_check_record,
        "accidents": accident_record,
    }
    if kind not in writers and kind != "activities":
        raise InvalidInput(f"unknown kind of batch {kind!r}", field="kind")
    for number, row in enumerate(rows, start=1):
        data = dict(row)
        extra: dict[str, Any] = {}
        if "visibility" in data:
            extra["visibility"] = data.pop("visibility")
        try:
            if kind == "activities":
                activity_record(
                    actor=actor,
                    fields={k: v for k, v in data.items() if k not in ("results", "devices")},
                    results=data.get("results") or (),
                    devices=data.get("devices") or (),
                    **extra,
                )
            else:
                writers[kind](actor=actor, fields=data, **extra)
        except InvalidInput as exc:
            raise InvalidInput(f"row {number}: {exc.message}", field=exc.field) from None
    return len(rows)


BATCH_KINDS = ("hazards", "activities", "road_checks", "building_checks", "accidents")
