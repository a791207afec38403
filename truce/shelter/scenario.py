"""Scenario sections of shelter.

- `shelter.shelters` (YAML, list `shelters`): shelters keyed by `code`, each with its
  occupancy counts (`occupancy: [{counted_on, people, overcrowding_reason}]`).
- `shelter.estimates` (YAML, list `estimates`): stated arrival estimates keyed by `code`.
- `shelter.allocation` (YAML, list `runs`): allocation runs to make (`as_of`,
  `candidates`); a run is made only when its inputs differ from the current run's, so a
  second load writes nothing.

Every item goes through the shelter services as the system loader; references are
checked while parsing, so bad data stops the load before the first write.
"""

from __future__ import annotations

from typing import Any

from truce.core.errors import DomainError
from truce.core.models import AdminArea, Organisation, Settlement
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    register_natural_key,
    register_section,
    sync_record,
    yaml_entries,
)
from truce.lib import geo
from truce.shelter import allocation, services
from truce.shelter.models import (
    AllocationRun,
    ArrivalEstimate,
    OccupancyReport,
    Qualifier,
    RunStatus,
    Shelter,
    ShelterKind,
    ShelterStatus,
)

register_natural_key(Shelter, "code")
register_natural_key(ArrivalEstimate, "code")

SHELTER_KEYS = {
    "code",
    "name",
    "settlement",
    "kind",
    "capacity",
    "status",
    "status_since",
    "operator",
    "lon",
    "lat",
    "notes",
    "source",
    "confidence",
    "visibility",
    "occupancy",
}
OCCUPANCY_KEYS = {"counted_on", "people", "overcrowding_reason", "notes", "source"}
ESTIMATE_KEYS = {
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
    "visibility",
}


def _ref(
    ctx: LoadContext, raw: Raw, name: str, namespace: str, model: type[Any], lookup: str
) -> str | None:
    value = raw.text(name)
    if not value:
        return None
    if not ctx.known(namespace, value, model, lookup):
        raise raw.error(f"unknown {namespace.replace('_', ' ')} {value!r}", name)
    return value


def _visibility(raw: Raw) -> list[str]:
    if raw.data.get("visibility") in (None, ""):
        return list(services.DEFAULT_VISIBILITY)
    return raw.visibility()


# --- shelters --------------------------------------------------------------------------


def _occupancy(raw: Raw, capacity: int) -> list[dict[str, Any]]:
    entries = raw.data.get("occupancy") or []
    if not isinstance(entries, list):
        raise raw.error("must be a list of counts", "occupancy")
    counts = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise raw.error("each count must be a mapping", f"occupancy[{number}]")
        count = Raw(raw.file, f"{raw.label} occupancy[{number}]", entry)
        count.only(OCCUPANCY_KEYS)
        day = count.date("counted_on")
        if day is None:
            raise count.error("is required", "counted_on")
        people = count.integer("people", required=True, minimum=0)
        assert people is not None
        reason = count.text("overcrowding_reason", max_length=500)
        if people > capacity and not reason:
            raise count.error(
                f"{people} people is above the capacity of {capacity}: give the "
                "overcrowding reason",
                "overcrowding_reason",
            )
        counts.append(
            {
                "counted_on": day,
                "people": people,
                "overcrowding_reason": reason,
                "notes": count.text("notes", max_length=5000),
                "source": count.text("source", max_length=500),
            }
        )
    return counts


def parse_shelters(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _ in yaml_entries(section, "shelters"):
        code = raw.text("code", required=True, max_length=40)
        raw.keyed("code", code)
        raw.only(SHELTER_KEYS)
        capacity = raw.integer("capacity", required=True, minimum=0)
        assert capacity is not None
        fields: dict[str, Any] = {
            "code": code,
            "name": raw.text("name", required=True, max_length=200),
            "settlement": _ref(ctx, raw, "settlement", "settlement", Settlement, "pcode"),
            "kind": raw.choice("kind", ShelterKind.values),
            "capacity": capacity,
            "status": raw.choice("status", ShelterStatus.values, required=False)
            or ShelterStatus.OPEN,
            "status_since": raw.date("status_since"),
            "operator": _ref(ctx, raw, "operator", "organisation", Organisation, "code"),
            "notes": raw.text("notes", max_length=5000),
            "source": raw.text("source", required=True, max_length=500),
            "confidence": raw.text("confidence", max_length=10),
        }
        if fields["settlement"] is None:
            raise raw.error("is required", "settlement")
        if raw.data.get("lon") is not None or raw.data.get("lat") is not None:
            lon, lat = raw.number("lon"), raw.number("lat")
            assert lon is not None and lat is not None
            fields["geometry"] = geo.to_geojson(geo.parse_geometry(geo.point(lon, lat)))
            fields["location_approximate"] = False
        item = Item(raw.file, raw.label, code, fields, _visibility(raw))
        item.extra["occupancy"] = _occupancy(raw, capacity)
        ctx.declare("shelter", item)
        items.append(item)
    return items


def _resolved(fields: dict[str, Any]) -> dict[str, Any]:
    # sync_record compares references by natural key: give it the rows.
    values = dict(fields)
    values["settlement"] = Settlement.objects.get(pcode=values["settlement"])
    if values.get("operator"):
        values["operator"] = Organisation.objects.get(code=values["operator"])
    return values


def write_shelter(ctx: LoadContext, item: Item) -> Outcome:
    item.fields = _resolved(item.fields)
    outcome = sync_record(
        item,
        model=Shelter,
        key_field="code",
        create=lambda fields, vis: services.shelter_create(
            actor=None, fields=fields, visibility=vis
        ),
        update=lambda row, changes, vis: services.shelter_update(
            actor=None, shelter=row, expected_version=row.version, changes=changes, visibility=vis
        ),
    )
    shelter = Shelter.objects.get(code=item.key)
    wrote = False
    for count in item.extra["occupancy"]:
        before = OccupancyReport.objects.filter(
            shelter=shelter, counted_on=count["counted_on"]
        ).values_list("version", flat=True)
        try:
            report = services.occupancy_record(actor=None, shelter=shelter, **count)
        except DomainError as exc:
            raise item.error(exc.message, exc.field) from None
        wrote = wrote or list(before) != [report.version]
    if outcome == "unchanged" and wrote:
        return "updated"
    return outcome


# --- stated estimates ------------------------------------------------------------------


def parse_estimates(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _ in yaml_entries(section, "estimates"):
        code = raw.text("code", required=True, max_length=60)
        raw.keyed("code", code)
        raw.only(ESTIMATE_KEYS)
        fields: dict[str, Any] = {
            "code": code,
            "area": _ref(ctx, raw, "area", "admin_area", AdminArea, "pcode"),
            "settlement": _ref(ctx, raw, "settlement", "settlement", Settlement, "pcode"),
            "area_label": raw.text("area_label", max_length=200),
            "stated_on": raw.date("stated_on"),
            "period_start": raw.date("period_start"),
            "period_end": raw.date("period_end"),
            "people": raw.integer("people", required=True, minimum=0),
            "qualifier": raw.choice("qualifier", Qualifier.values, required=False)
            or Qualifier.ABOUT,
            "basis": raw.text("basis", max_length=5000),
            "source": raw.text("source", required=True, max_length=500),
            "confidence": raw.text("confidence", max_length=10),
        }
        if fields["stated_on"] is None:
            raise raw.error("is required", "stated_on")
        item = Item(raw.file, raw.label, code, fields, _visibility(raw))
        ctx.declare("arrival_estimate", item)
        items.append(item)
    return items


def write_estimate(ctx: LoadContext, item: Item) -> Outcome:
    values = dict(item.fields)
    if values.get("area"):
        values["area"] = AdminArea.objects.get(pcode=values["area"])
    if values.get("settlement"):
        values["settlement"] = Settlement.objects.get(pcode=values["settlement"])
    item.fields = values
    return sync_record(
        item,
        model=ArrivalEstimate,
        key_field="code",
        create=lambda fields, vis: services.estimate_create(
            actor=None, fields=fields, visibility=vis
        ),
        update=lambda row, changes, vis: services.estimate_update(
            actor=None,
            estimate=row,
            expected_version=row.version,
            changes=changes,
            visibility=vis,
        ),
    )


# --- the demo allocation ---------------------------------------------------------------


def parse_runs(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _ in yaml_entries(section, "runs"):
        raw.only({"as_of", "candidates", "horizon_days"})
        as_of = raw.date("as_of")
        if as_of is None:
            raise raw.error("is required", "as_of")
        fields = {
            "as_of": as_of,
            "candidates": raw.integer("candidates", minimum=1)
            or allocation.solver.DEFAULT_CANDIDATES,
            "horizon_days": raw.integer("horizon_days", minimum=0)
            if raw.data.get("horizon_days") is not None
            else allocation.DEFAULT_HORIZON_DAYS,
        }
        items.append(Item(raw.file, raw.label, as_of.isoformat(), fields))
    return items


def write_run(ctx: LoadContext, item: Item) -> Outcome:
    """Rerun only if the result would differ from the current run's of that day."""
    params = dict(item.fields)
    trial = allocation.allocation_run(actor=None, dry_run=True, **params)
    fingerprint = allocation.result_fingerprint(trial)
    current = AllocationRun.objects.filter(
        status=RunStatus.CURRENT, is_deleted=False, as_of=params["as_of"]
    ).first()
    if current is not None and current.parameters.get("fingerprint") == fingerprint:
        return "unchanged"
    allocation.allocation_run(actor=None, **params)
    return "created"


for _section_type in (
    SectionType(
        "shelter.shelters", parse_shelters, write_shelter, "Shelters and their occupancy (YAML)"
    ),
    SectionType(
        "shelter.estimates", parse_estimates, write_estimate, "Stated arrival estimates (YAML)"
    ),
    SectionType("shelter.allocation", parse_runs, write_run, "Allocation runs of the demo (YAML)"),
):
    register_section(_section_type)
