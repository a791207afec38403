"""Displacement baselines, daily flow counts at monitoring points, escorted returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction

from truce.core.errors import InvalidInput
from truce.core.models import Facility, FacilityKind, OpRole, User
from truce.core.records import record_create, record_update
from truce.core.references import area_ref, facility_ref, organisation_ref, settlement_ref
from truce.lib.time import utcnow
from truce.population.models import (
    Direction,
    DisplacementBaseline,
    FlowCount,
    Measure,
    Precision,
    ReturnMovement,
)
from truce.population.services.common import (
    BASELINE_ROLES,
    MOVEMENT_ROLES,
    a_count,
    a_date,
    ensure_writer,
    text,
)

Visibility = Iterable[str] | str | None
Fields = Mapping[str, Any]
Outcome = Literal["created", "updated", "unchanged"]

# The largest count one row may hold: a typo guard (no corridor moves a million a day).
PEOPLE_LIMIT = 1_000_000


def _choice(value: Any, choices: Iterable[str], *, field: str, default: str | None = None) -> str:
    if value is None or value == "":
        if default is not None:
            return default
        raise InvalidInput("is required", field=field)
    options = list(choices)
    if value not in options:
        raise InvalidInput(f"{value!r} is not one of {', '.join(options)}", field=field)
    return str(value)


def _unknown(data: Fields, allowed: Iterable[str]) -> None:
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise InvalidInput(f"unknown field {extra[0]!r}", field=extra[0])


# --- baselines ------------------------------------------------------------------------

BASELINE_FIELDS = (
    "code",
    "measure",
    "label",
    "origin_settlement",
    "origin_area",
    "origin_text",
    "destination_settlement",
    "destination_area",
    "destination_text",
    "people",
    "precision",
    "as_of",
    "notes",
    "source",
    "confidence",
)


def _place_fields(actor: User | None, data: Fields, side: str) -> dict[str, Any]:
    settlement = settlement_ref(actor, data.get(f"{side}_settlement"), field=f"{side}_settlement")
    area = area_ref(actor, data.get(f"{side}_area"), field=f"{side}_area")
    label = text(data.get(f"{side}_text"), field=f"{side}_text", max_length=300)
    if settlement is not None and area is not None:
        raise InvalidInput(
            f"give the {side} as a settlement or an area, not both", field=f"{side}_area"
        )
    return {
        f"{side}_settlement": settlement,
        f"{side}_area": area,
        f"{side}_text": label,
    }


def _baseline_fields(actor: User | None, data: Fields) -> dict[str, Any]:
    _unknown(data, BASELINE_FIELDS)
    fields: dict[str, Any] = {
        "code": text(data.get("code"), field="code", max_length=60),
        "measure": _choice(
            data.get("measure"), Measure.values, field="measure", default=Measure.DISPLACED
        ),
        "label": text(data.get("label"), field="label", max_length=200),
        "people": a_count(data.get("people"), field="people", maximum=10_000_000),
        "precision": _choice(
            data.get("precision"), Precision.values, field="precision", default=Precision.ABOUT
        ),
        "as_of": a_date(data.get("as_of"), field="as_of", required=True),
        "notes": text(data.get("notes"), field="notes", max_length=5000),
        "source": text(data.get("source"), field="source", max_length=500),
        "confidence": text(data.get("confidence"), field="confidence", max_length=10),
    }
    fields.update(_place_fields(actor, data, "origin"))
    fields.update(_place_fields(actor, data, "destination"))
    if not fields["code"]:
        raise InvalidInput("is required: a short key such as displaced-to-armenia", field="code")
    if not fields["label"]:
        raise InvalidInput("is required", field="label")
    if not fields["source"]:
        raise InvalidInput("is required: say who gives the estimate", field="source")
    if not (fields["origin_settlement"] or fields["origin_area"] or fields["origin_text"]):
        raise InvalidInput(
            "give the origin as a settlement, an admin area or a text", field="origin_settlement"
        )
    return fields


@transaction.atomic
def baseline_create(
    *, actor: User | None, data: Fields, visibility: Visibility = None
) -> DisplacementBaseline:
    """Record an estimate of displaced (or returned) people at the source's granularity."""
    ensure_writer(actor, BASELINE_ROLES, "displacement baselines", scopes=_baseline_scopes())
    fields = _baseline_fields(actor, data)
    return record_create(
        actor=actor, model=DisplacementBaseline, fields=fields, visibility=visibility
    )


@transaction.atomic
def baseline_update(
    *,
    actor: User | None,
    baseline: DisplacementBaseline,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> DisplacementBaseline:
    """A new version of a baseline (a revised estimate keeps its history in the ledger)."""
    ensure_writer(actor, BASELINE_ROLES, "displacement baselines", scopes=_baseline_scopes())
    current = {name: getattr(baseline, name) for name in BASELINE_FIELDS}
    merged = {**current, **changes}
    fields = _baseline_fields(actor, merged)
    wanted = {name: fields[name] for name in changes if name in fields}
    return record_update(
        actor=actor,
        record=baseline,
        changes=wanted,
        expected_version=expected_version,
        visibility=visibility,
    )


def _baseline_scopes() -> set[Any]:
    from truce.core.sharing import Scope

    return {Scope.MISSION, Scope.AGENCIES}


# --- flow counts --------------------------------------------------------------------------


def is_monitoring_point(facility: Facility) -> bool:
    """Checkpoints and the corridor traffic posts count people passing."""
    return facility.kind == FacilityKind.CHECKPOINT or (
        facility.kind == FacilityKind.OBSERVATION_POST
        and facility.op_role == OpRole.CORRIDOR_TRAFFIC
    )


def monitoring_point(actor: User | None, value: Any, *, field: str = "point") -> Facility:
    point = facility_ref(actor, value, field=field)
    if point is None:
        raise InvalidInput("is required: the code of a checkpoint or corridor post", field=field)
    if not is_monitoring_point(point):
        raise InvalidInput(
            f"{point.code!r} is not a checkpoint or a corridor traffic post", field=field
        )
    return point


@dataclass(frozen=True)
class FlowResult:
    count: FlowCount
    outcome: Outcome


def _flag(value: Any, *, field: str) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"true", "yes", "1", "on"}:
        return True
    if lowered in {"false", "no", "0", "off", ""}:
        return False
    raise InvalidInput(f"{value!r} is not true or false", field=field)


@transaction.atomic
def flow_count_record(
    *,
    actor: User | None,
    point: Any,
    day: Any,
    direction: Any,
    escorted: Any,
    people: Any,
    vehicles: Any = None,
    notes: str = "",
    source: str = "",
    visibility: Visibility = None,
    expected_version: int | None = None,
) -> FlowResult:
    """The count of one point, day, direction and escort; a changed count is a correction.

    One live row per (point, day, direction, escorted): recording the same key again
    with other numbers writes a new version of that row (the ledger keeps the first),
    and with the same numbers writes nothing. A new count is visible to whoever
    may see the point (never the public) unless a visibility is given.
    """
    ensure_writer(actor, MOVEMENT_ROLES, "flow counts")
    facility = monitoring_point(actor, point)
    explicit_visibility = visibility is not None
    the_day = a_date(day, field="day", required=True)
    fields: dict[str, Any] = {
        "people": a_count(people, field="people", maximum=PEOPLE_LIMIT),
        "vehicles": a_count(vehicles, field="vehicles", required=False, maximum=PEOPLE_LIMIT),
        "notes": text(notes, field="notes", max_length=2000),
        "source": text(source, field="source", max_length=500),
    }
    key = {
        "point": facility,
        "day": the_day,
        "direction": _choice(direction, Direction.values, field="direction"),
        "escorted": _flag(escorted, field="escorted"),
    }
    if visibility is None:
        # Whoever may see the post may see what was counted there (never the public).
        visibility = [name for name in facility.visibility if name != "public"]
    existing = FlowCount.objects.select_for_update().filter(is_deleted=False, **key).first()
    if existing is None:
        row = record_create(
            actor=actor, model=FlowCount, fields={**key, **fields}, visibility=visibility
        )
        return FlowResult(row, "created")
    changes = {name: value for name, value in fields.items() if getattr(existing, name) != value}
    new_visibility = explicit_visibility and set(existing.visibility) != set(_names(visibility))
    if not changes and not new_visibility:
        return FlowResult(existing, "unchanged")
    row = record_update(
        actor=actor,
        record=existing,
        changes=changes,
        expected_version=expected_version,
        visibility=visibility if new_visibility else None,
        action="correct",
    )
    return FlowResult(row, "updated")


def _names(visibility: Visibility) -> list[str]:
    from truce.core.sharing import parse_visibility

    return [s.value for s in parse_visibility(visibility)]


# --- escorted returns ---------------------------------------------------------------------

RETURN_FIELDS = (
    "reference",
    "date",
    "from_settlement",
    "from_text",
    "to_settlement",
    "people",
    "vehicles",
    "escort",
    "escort_organisation",
    "checkpoint",
    "notes",
    "source",
    "confidence",
)


def _return_fields(actor: User | None, data: Fields) -> dict[str, Any]:
    _unknown(data, RETURN_FIELDS)
    checkpoint = data.get("checkpoint")
    fields: dict[str, Any] = {
        "reference": text(data.get("reference"), field="reference", max_length=60),
        "date": a_date(data.get("date"), field="date", required=True),
        "from_settlement": settlement_ref(
            actor, data.get("from_settlement"), field="from_settlement"
        ),
        "from_text": text(data.get("from_text"), field="from_text", max_length=300),
        "to_settlement": settlement_ref(
            actor, data.get("to_settlement"), field="to_settlement", required=True
        ),
        "people": a_count(data.get("people"), field="people", minimum=1, maximum=PEOPLE_LIMIT),
        "vehicles": a_count(
            data.get("vehicles"), field="vehicles", required=False, maximum=PEOPLE_LIMIT
        ),
        "escort": text(data.get("escort"), field="escort", max_length=200),
        "escort_organisation": organisation_ref(
            actor, data.get("escort_organisation"), field="escort_organisation"
        ),
        "checkpoint": None
        if checkpoint in (None, "")
        else monitoring_point(actor, checkpoint, field="checkpoint"),
        "notes": text(data.get("notes"), field="notes", max_length=5000),
        "source": text(data.get("source"), field="source", max_length=500),
        "confidence": text(data.get("confidence"), field="confidence", max_length=10),
    }
    if not fields["reference"]:
        raise InvalidInput(
            "is required: a movement reference such as r-2020-11-14-01", field="reference"
        )
    if not fields["from_settlement"] and not fields["from_text"]:
        raise InvalidInput("say where the movement came from", field="from_settlement")
    if fields["date"] > utcnow().date():
        raise InvalidInput("is in the future", field="date")
    return fields


@transaction.atomic
def return_movement_create(
    *, actor: User | None, data: Fields, visibility: Visibility = None
) -> ReturnMovement:
    """Record an escorted return movement; an unknown destination writes nothing."""
    ensure_writer(actor, MOVEMENT_ROLES, "return movements")
    fields = _return_fields(actor, data)
    return record_create(actor=actor, model=ReturnMovement, fields=fields, visibility=visibility)


@transaction.atomic
def return_movement_update(
    *,
    actor: User | None,
    movement: ReturnMovement,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> ReturnMovement:
    """A corrected version of a return movement."""
    ensure_writer(actor, MOVEMENT_ROLES, "return movements")
    current = {
        name: getattr(movement, name)
        for name in RETURN_FIELDS
        if name not in ("from_settlement", "to_settlement", "escort_organisation", "checkpoint")
    }
    current.update(
        {
            "from_settlement": movement.from_settlement,
            "to_settlement": movement.to_settlement,
            "escort_organisation": movement.escort_organisation,
            "checkpoint": movement.checkpoint,
        }
    )
    fields = _return_fields(actor, {**current, **changes})
    wanted = {name: fields[name] for name in changes}
    return record_update(
        actor=actor,
        record=movement,
        changes=wanted,
        expected_version=expected_version,
        visibility=visibility,
    )
