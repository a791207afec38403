"""Writes of the shelter app: shelters, occupancy counts and stated arrival estimates.

Every service is keyword-only and atomic and goes through truce.core.records, so each
change is a new version with its ledger entry. Bad input is refused naming the field,
before anything is written. The allocation run is in truce.shelter.allocation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import transaction

from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import AdminArea, Organisation, Record, RoleCode, Settlement, User
from truce.core.records import record_create, record_update
from truce.core.sharing import Scope, viewer_scope, visible
from truce.lib import geo
from truce.shelter.models import (
    ArrivalEstimate,
    OccupancyReport,
    Qualifier,
    Shelter,
    ShelterKind,
    ShelterStatus,
)

Fields = Mapping[str, Any]
Visibility = Iterable[str] | str | None
R = TypeVar("R", bound=Record)

# Shelters are run by the mission's humanitarian staff and by agencies (UNHCR, ICRC).
SHELTER_ROLES = (RoleCode.ADMINISTRATOR, RoleCode.DUTY_OFFICER, RoleCode.AGENCY_STAFF)
SHELTER_SCOPES = frozenset({Scope.MISSION, Scope.AGENCIES})
ESTIMATE_ROLES = (*SHELTER_ROLES, RoleCode.ANALYST)
DEFAULT_VISIBILITY = (Scope.MISSION.value, Scope.AGENCIES.value)

SHELTER_FIELDS = frozenset(
    {
        "code",
        "name",
        "settlement",
        "kind",
        "capacity",
        "status",
        "status_since",
        "operator",
        "notes",
        "geometry",
        "location_approximate",
        "source",
        "confidence",
    }
)
ESTIMATE_FIELDS = frozenset(
    {
        "code",
        "area",
        "settlement",
        "area_label",
        "stated_on",
        "period_start",
        "period_end",
        "people",
        "qualifier",
        "basis",
        "source",
        "confidence",
    }
)


def ensure_shelter_writer(actor: User | None, roles: Iterable[str] = SHELTER_ROLES) -> None:
    """Mission humanitarian staff or agency staff (None is the scenario loader)."""
    if actor is None:
        return
    if viewer_scope(actor) not in SHELTER_SCOPES or not (
        actor.is_superuser or actor.has_role(*roles)
    ):
        raise PermissionDenied("your party or roles may not change shelter records")


# --- checked values ------------------------------------------------------------------


def _count(value: Any, field: str, *, required: bool = True) -> int | None:
    if value is None or value == "":
        if required:
            raise InvalidInput("is required", field=field)
        return None
    if isinstance(value, bool):
        raise InvalidInput("must be a whole number", field=field)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a whole number", field=field) from None
    if number < 0:
        raise InvalidInput(f"cannot be negative (got {number})", field=field)
    return number


def _date(value: Any, field: str, *, required: bool = False) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise InvalidInput("is required", field=field)
        return None
    if isinstance(value, dt.datetime):
        raise InvalidInput("must be a date (YYYY-MM-DD), not a time", field=field)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def _choice(value: Any, choices: Iterable[str], field: str) -> str:
    options = list(choices)
    if value not in options:
        raise InvalidInput(f"{value!r} is not one of {', '.join(options)}", field=field)
    return str(value)


def _ref(model: type[R], actor: User | None, value: Any, key: str, field: str) -> R | None:
    """A referenced record by code or public id; a hidden one is as unknown as a missing one."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        rows = model._default_manager.filter(pk=value.pk)
    else:
        text = str(value).strip()
        try:
            rows = model._default_manager.filter(public_id=uuid.UUID(text))
        except ValueError:
            rows = model._default_manager.filter(**{key: text})
    row = (
        visible(rows, actor).first() if actor is not None else rows.filter(is_deleted=False).first()
    )
    if row is None:
        raise InvalidInput(f"unknown {field} {value!r}", field=field)
    return row


def _only(fields: Fields, allowed: frozenset[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}", field=name)


# --- shelters ------------------------------------------------------------------------


def _shelter_values(actor: User | None, fields: Fields) -> dict[str, Any]:
    _only(fields, SHELTER_FIELDS)
    values = dict(fields)
    if "capacity" in values:
        values["capacity"] = _count(values["capacity"], "capacity")
    if "kind" in values:
        values["kind"] = _choice(values["kind"], ShelterKind.values, "kind")
    if "status" in values:
        values["status"] = _choice(values["status"], ShelterStatus.values, "status")
    if "status_since" in values:
        values["status_since"] = _date(values["status_since"], "status_since")
    if "settlement" in values:
        values["settlement"] = _ref(Settlement, actor, values["settlement"], "pcode", "settlement")
        if values["settlement"] is None:
            raise InvalidInput("is required", field="settlement")
    if "operator" in values:
        values["operator"] = _ref(Organisation, actor, values["operator"], "code", "operator")
    return values


@transaction.atomic
def shelter_create(
    *, actor: User | None, fields: Fields, visibility: Visibility = DEFAULT_VISIBILITY
) -> Shelter:
    """Register a shelter; without a point it stands at its settlement's (approximate)."""
    ensure_shelter_writer(actor)
    values = _shelter_values(actor, fields)
    for name in ("code", "name", "settlement", "kind", "capacity"):
        if values.get(name) in (None, ""):
            raise InvalidInput("is required", field=name)
    settlement: Settlement = values["settlement"]
    if not values.get("geometry") and settlement.geometry:
        values["geometry"] = settlement.geometry
        values["location_approximate"] = True
    return record_create(
        actor=actor,
        model=Shelter,
        fields=values,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


@transaction.atomic
def shelter_update(
    *,
    actor: User | None,
    shelter: Shelter,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> Shelter:
    """A new version of the shelter: a status change is one entry of its status timeline."""
    ensure_shelter_writer(actor)
    values = _shelter_values(actor, changes)
    if "status" in values and values["status"] != shelter.status and "status_since" not in values:
        values["status_since"] = dt.datetime.now(dt.UTC).date()
    return record_update(
        actor=actor,
        record=shelter,
        expected_version=expected_version,
        changes=values,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


# --- occupancy -----------------------------------------------------------------------


@transaction.atomic
def occupancy_record(
    *,
    actor: User | None,
    shelter: Shelter,
    counted_on: Any,
    people: Any,
    overcrowding_reason: str = "",
    notes: str = "",
    source: str = "",
    confidence: str = "",
    expected_version: int | None = None,
) -> OccupancyReport:
    """The count of a day; a second count of the same day is a new version of it.

    A count above the shelter's capacity is refused unless an overcrowding
    reason is given (people do sleep in corridors; the record must say so).
    """
    ensure_shelter_writer(actor)
    day = _date(counted_on, "counted_on", required=True)
    count = _count(people, "people")
    assert day is not None and count is not None
    reason = (overcrowding_reason or "").strip()
    if count > shelter.capacity and not reason:
        raise InvalidInput(
            f"{count} people is above the capacity of {shelter.capacity}: "
            "give the overcrowding reason",
            field="overcrowding_reason",
        )
    fields = {
        "people": count,
        "overcrowding_reason": reason,
        "notes": notes,
        "source": source,
        "confidence": confidence,
    }
    existing = OccupancyReport.objects.filter(shelter=shelter, counted_on=day).first()
    if existing is None:
        return record_create(
            actor=actor,
            model=OccupancyReport,
            fields={"shelter": shelter, "counted_on": day, **fields},
            visibility=shelter.visibility,
        )
    changes = {k: v for k, v in fields.items() if getattr(existing, k) != v}
    if not changes:
        return existing
    return record_update(
        actor=actor, record=existing, expected_version=expected_version, changes=changes
    )


# --- stated arrival estimates ----------------------------------------------------------


def _estimate_values(actor: User | None, fields: Fields) -> dict[str, Any]:
    _only(fields, ESTIMATE_FIELDS)
    values = dict(fields)
    if "people" in values:
        values["people"] = _count(values["people"], "people")
    if "qualifier" in values:
        values["qualifier"] = _choice(values["qualifier"], Qualifier.values, "qualifier")
    for name in ("stated_on", "period_start", "period_end"):
        if name in values:
            values[name] = _date(values[name], name)
    if "area" in values:
        values["area"] = _ref(AdminArea, actor, values["area"], "pcode", "area")
    if "settlement" in values:
        values["settlement"] = _ref(Settlement, actor, values["settlement"], "pcode", "settlement")
    return values


def _check_estimate(values: Fields) -> None:
    start, end = values.get("period_start"), values.get("period_end")
    if start and end and end < start:
        raise InvalidInput("the period ends before it starts", field="period_end")
    if not (values.get("area") or values.get("settlement") or values.get("area_label")):
        raise InvalidInput("name the area, the settlement or the area label", field="area")


@transaction.atomic
def estimate_create(
    *, actor: User | None, fields: Fields, visibility: Visibility = DEFAULT_VISIBILITY
) -> ArrivalEstimate:
    """A stated estimate of expected arrivals (who said it goes in source)."""
    ensure_shelter_writer(actor, ESTIMATE_ROLES)
    values = _estimate_values(actor, fields)
    for name in ("code", "stated_on", "people"):
        if values.get(name) in (None, ""):
            raise InvalidInput("is required", field=name)
    _check_estimate(values)
    return record_create(actor=actor, model=ArrivalEstimate, fields=values, visibility=visibility)


@transaction.atomic
def estimate_update(
    *,
    actor: User | None,
    estimate: ArrivalEstimate,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> ArrivalEstimate:
    ensure_shelter_writer(actor, ESTIMATE_ROLES)
    values = _estimate_values(actor, changes)
    current = {
        "period_start": estimate.period_start,
        "period_end": estimate.period_end,
        "area": estimate.area,
        "settlement": estimate.settlement,
        "area_label": estimate.area_label,
    }
    _check_estimate({**current, **values})
    return record_update(
        actor=actor,
        record=estimate,
        expected_version=expected_version,
        changes=values,
        visibility=visibility,
    )
