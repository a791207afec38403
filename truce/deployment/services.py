"""Writes of deployment: airlift flights and unit deployments (keyword-only, atomic, ledgered)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from truce.core.errors import InvalidInput
from truce.core.models import User
from truce.core.permissions import ensure_response_writer
from truce.core.records import record_create, record_update
from truce.core.references import organisation_ref
from truce.deployment.models import AirliftFlight, UnitDeployment

Visibility = Iterable[str] | str | None

# The contingent's own movements: the mission's unless the writer shares them.
DEFAULT_VISIBILITY: tuple[str, ...] = ()

FLIGHT_FIELDS = frozenset(
    {
        "flown_on",
        "origin",
        "destination",
        "aircraft_type",
        "flight_ref",
        "personnel",
        "equipment_units",
        "cargo_t",
        "notes",
        "source",
        "confidence",
    }
)
DEPLOYMENT_FIELDS = frozenset(
    {
        "unit",
        "personnel",
        "equipment_units",
        "deployed_from",
        "deployed_to",
        "location",
        "notes",
        "source",
        "confidence",
    }
)


def ensure_deployment_writer(actor: User | None) -> None:
    """Mission staff with a response role (None is the scenario loader)."""
    ensure_response_writer(
        actor, "only the mission's staff may record the contingent's deployment", agencies=False
    )


def _unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}", field=name)


def _date(value: Any, name: str, *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    if isinstance(value, dt.datetime):
        raise InvalidInput(f"{name} is a date (YYYY-MM-DD), not a time", field=name)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD", field=name) from None


def _count(value: Any, name: str, *, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            return 0
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a whole number", field=name)
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number", field=name) from None
    if number < 0:
        raise InvalidInput(f"{name} cannot be negative", field=name)
    return number


def _text(fields: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    text = str(fields.get(name) or "").strip()
    if required and not text:
        raise InvalidInput(f"{name} is required", field=name)
    return text


def _check_flight(fields: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(fields, FLIGHT_FIELDS)
    cargo: Decimal | None = None
    if fields.get("cargo_t") not in (None, ""):
        try:
            cargo = Decimal(str(fields["cargo_t"]))
        except InvalidOperation:
            raise InvalidInput("cargo_t must be a number of tonnes", field="cargo_t") from None
        if not cargo.is_finite() or cargo < 0:
            raise InvalidInput("cargo_t cannot be negative", field="cargo_t")
    return {
        "flown_on": _date(fields.get("flown_on"), "flown_on", required=True),
        "origin": _text(fields, "origin", required=True),
        "destination": _text(fields, "destination", required=True),
        "aircraft_type": _text(fields, "aircraft_type", required=True),
        "flight_ref": _text(fields, "flight_ref"),
        "personnel": _count(fields.get("personnel"), "personnel", required=True),
        "equipment_units": _count(fields.get("equipment_units"), "equipment_units", required=True),
        "cargo_t": cargo,
        "notes": _text(fields, "notes"),
        "source": _text(fields, "source"),
        "confidence": _text(fields, "confidence"),
    }


@transaction.atomic
def flight_record(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = DEFAULT_VISIBILITY
) -> AirliftFlight:
    """Record one flight of the airlift."""
    ensure_deployment_writer(actor)
    return record_create(
        actor=actor, model=AirliftFlight, fields=_check_flight(fields), visibility=visibility
    )


@transaction.atomic
def flight_update(
    *,
    actor: User | None,
    flight: AirliftFlight,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> AirliftFlight:
    """A new version of a flight (a corrected count or day)."""
    ensure_deployment_writer(actor)
    _unknown(changes, FLIGHT_FIELDS)
    current = {name: getattr(flight, name) for name in FLIGHT_FIELDS}
    checked = _check_flight({**current, **changes})
    return record_update(
        actor=actor,
        record=flight,
        expected_version=expected_version,
        changes={k: v for k, v in checked.items() if k in changes},
        visibility=visibility,
    )


def _check_deployment(actor: User | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(fields, DEPLOYMENT_FIELDS)
    if fields.get("unit") in (None, ""):
        raise InvalidInput("unit is required: give an organisation code", field="unit")
    unit = organisation_ref(actor, fields["unit"], field="unit")
    start = _date(fields.get("deployed_from"), "deployed_from", required=True)
    end = _date(fields.get("deployed_to"), "deployed_to", required=False)
    if start is not None and end is not None and end < start:
        raise InvalidInput("deployed_to is before deployed_from", field="deployed_to")
    return {
        "unit": unit,
        "personnel": _count(fields.get("personnel"), "personnel", required=False),
        "equipment_units": _count(fields.get("equipment_units"), "equipment_units", required=False),
        "deployed_from": start,
        "deployed_to": end,
        "location": _text(fields, "location"),
        "notes": _text(fields, "notes"),
        "source": _text(fields, "source"),
        "confidence": _text(fields, "confidence"),
    }


@transaction.atomic
def deployment_record(
    *, actor: User | None, fields: Mapping[str, Any], visibility: Visibility = DEFAULT_VISIBILITY
) -> UnitDeployment:
    """Record a unit's deployment over a period (strength empty when not stated)."""
    ensure_deployment_writer(actor)
    return record_create(
        actor=actor,
        model=UnitDeployment,
        fields=_check_deployment(actor, fields),
        visibility=visibility,
    )


@transaction.atomic
def deployment_update(
    *,
    actor: User | None,
    deployment: UnitDeployment,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> UnitDeployment:
    ensure_deployment_writer(actor)
    _unknown(changes, DEPLOYMENT_FIELDS)
    current = {name: getattr(deployment, name) for name in DEPLOYMENT_FIELDS}
    checked = _check_deployment(actor, {**current, **changes})
    return record_update(
        actor=actor,
        record=deployment,
        expected_version=expected_version,
        changes={k: v for k, v in checked.items() if k in changes},
        visibility=visibility,
    )
