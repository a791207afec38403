"""Scenario sections of deployment: airlift flights (CSV) and unit deployments (YAML).

`deployment.flights` rows: flown_on, flight_ref (the natural key), origin,
destination, aircraft_type, personnel, equipment_units, cargo_t, notes, source,
visibility. `deployment.units` entries: unit (organisation code), personnel,
equipment_units, deployed_from, deployed_to, location, notes, source, visibility;
keyed by unit and deployed_from. Written through truce.deployment.services as the
system; a second load finds each row and writes nothing, a changed one becomes a
new version.
"""

from __future__ import annotations

from typing import Any

from truce.core.errors import DomainError
from truce.core.models import Organisation
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Section,
    SectionType,
    csv_rows,
    register_section,
    yaml_entries,
)
from truce.core.scenario.sync import changed_fields, visibility_changed
from truce.deployment import services
from truce.deployment.models import AirliftFlight, UnitDeployment

FLIGHT_COLUMNS = (
    "flown_on",
    "flight_ref",
    "origin",
    "destination",
    "aircraft_type",
    "personnel",
    "equipment_units",
    "cargo_t",
    "notes",
    "source",
    "visibility",
)
UNIT_FIELDS = (
    "unit",
    "personnel",
    "equipment_units",
    "deployed_from",
    "deployed_to",
    "location",
    "notes",
    "source",
    "visibility",
)


def parse_flights(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    required = ("flown_on", "flight_ref", "origin", "destination", "aircraft_type")
    for raw in csv_rows(section, FLIGHT_COLUMNS, required):
        ref = raw.text("flight_ref", required=True, max_length=60)
        raw.keyed("flight", ref)
        flown_on = raw.date("flown_on")
        if flown_on is None:
            raise raw.error("is required", "flown_on")
        cargo = raw.number("cargo_t", required=False)
        if cargo is not None and cargo < 0:
            raise raw.error("cannot be negative", "cargo_t")
        fields: dict[str, Any] = {
            "flown_on": flown_on,
            "flight_ref": ref,
            "origin": raw.text("origin", required=True, max_length=200),
            "destination": raw.text("destination", required=True, max_length=200),
            "aircraft_type": raw.text("aircraft_type", required=True, max_length=100),
            "personnel": raw.integer("personnel", minimum=0) or 0,
            "equipment_units": raw.integer("equipment_units", minimum=0) or 0,
            "cargo_t": cargo,
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
        }
        item = Item(raw.file, raw.label, ref, fields, raw.visibility())
        ctx.declare("deployment_flight", item)
        items.append(item)
    return items


def write_flight(ctx: LoadContext, item: Item) -> Outcome:
    existing = AirliftFlight.objects.filter(flight_ref=item.key, is_deleted=False).first()
    try:
        if existing is None:
            services.flight_record(actor=None, fields=item.fields, visibility=item.visibility)
            return "created"
        wanted = {k: v for k, v in item.fields.items() if k != "cargo_t"}
        changes = changed_fields(existing, wanted)
        old_cargo = float(existing.cargo_t) if existing.cargo_t is not None else None
        if old_cargo != item.fields["cargo_t"]:
            changes["cargo_t"] = item.fields["cargo_t"]
        shared = visibility_changed(existing, item.visibility)
        if not changes and not shared:
            return "unchanged"
        services.flight_update(
            actor=None,
            flight=existing,
            expected_version=existing.version,
            changes=changes,
            visibility=item.visibility if shared else None,
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


def parse_units(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _doc in yaml_entries(section, "deployments"):
        raw.only(UNIT_FIELDS)
        code = raw.text("unit", required=True)
        if not ctx.known("organisation", code, Organisation, "code"):
            raise raw.error(f"unknown organisation {code!r}", "unit")
        start = raw.date("deployed_from")
        if start is None:
            raise raw.error("is required", "deployed_from")
        key = f"{code}/{start.isoformat()}"
        raw.keyed("deployment", key)
        fields = {
            "unit": code,
            "personnel": raw.integer("personnel", minimum=0),
            "equipment_units": raw.integer("equipment_units", minimum=0),
            "deployed_from": start,
            "deployed_to": raw.date("deployed_to"),
            "location": raw.text("location", max_length=300),
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
        }
        item = Item(raw.file, raw.label, key, fields, raw.visibility())
        ctx.declare("deployment_unit", item)
        items.append(item)
    return items


def write_unit(ctx: LoadContext, item: Item) -> Outcome:
    existing = UnitDeployment.objects.filter(
        unit__code=item.fields["unit"],
        deployed_from=item.fields["deployed_from"],
        is_deleted=False,
    ).first()
    try:
        if existing is None:
            services.deployment_record(actor=None, fields=item.fields, visibility=item.visibility)
            return "created"
        changes = changed_fields(existing, {k: v for k, v in item.fields.items() if k != "unit"})
        shared = visibility_changed(existing, item.visibility)
        if not changes and not shared:
            return "unchanged"
        services.deployment_update(
            actor=None,
            deployment=existing,
            expected_version=existing.version,
            changes=changes,
            visibility=item.visibility if shared else None,
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


for _section_type in (
    SectionType(
        "deployment.flights", parse_flights, write_flight, "Airlift flights, one per row (CSV)"
    ),
    SectionType(
        "deployment.units", parse_units, write_unit, "Deployment records of the units (YAML)"
    ),
):
    register_section(_section_type)
