"""Scenario sections of displacement and returns.

- `population.baselines` (YAML, list `baselines`): estimates keyed by `code`, at the
  granularity their source gives (origin/destination as settlement, area or text).
- `population.returns` (CSV): escorted return movements keyed by `reference`.
- `population.flow_counts` (CSV): one row per point, day, direction and escort.
- `population.households` (YAML, list `households`): demo registrations keyed by `code`,
  visible to the mission and the agencies only.

Every item goes through the population services as the system loader; records are
matched by their key and compared field by field, so a second load writes nothing.
References (settlements, areas, facilities, organisations) are checked while parsing,
so bad data stops the load before the first write.
"""

from __future__ import annotations

from typing import Any

from truce.core.errors import DomainError
from truce.core.models import AdminArea, Facility, FacilityKind, OpRole, Organisation, Settlement
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    csv_rows,
    register_natural_key,
    register_section,
    sync_record,
    yaml_entries,
)
from truce.population.models import (
    Direction,
    DisplacementBaseline,
    Household,
    Intention,
    Measure,
    Precision,
    ReturnMovement,
    Vulnerability,
)
from truce.population.services import (
    baseline_create,
    baseline_update,
    flow_count_record,
    household_register,
    household_update,
    return_movement_create,
    return_movement_update,
)
from truce.population.services.households import DEFAULT_VISIBILITY

register_natural_key(DisplacementBaseline, "code")
register_natural_key(ReturnMovement, "reference")
register_natural_key(Household, "code")

RETURN_COLUMNS = (
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
    "source",
    "visibility",
)
FLOW_COLUMNS = (
    "point",
    "day",
    "direction",
    "escorted",
    "people",
    "vehicles",
    "source",
    "visibility",
)
# Returns and flow counts are shared with both sides and the agencies unless a row says.
SHARED = ["side_a", "side_b", "agencies"]


def _ref(
    ctx: LoadContext,
    raw: Raw,
    name: str,
    namespace: str,
    model: type[Any],
    lookup: str,
    *,
    required: bool = False,
) -> str | None:
    value = raw.text(name, required=required)
    if not value:
        return None
    if not ctx.known(namespace, value, model, lookup):
        raise raw.error(f"unknown {namespace.replace('_', ' ')} {value!r}", name)
    return value


def _settlement(ctx: LoadContext, raw: Raw, name: str, *, required: bool = False) -> str | None:
    return _ref(ctx, raw, name, "settlement", Settlement, "pcode", required=required)


def _point(ctx: LoadContext, raw: Raw, name: str) -> str:
    code = _ref(ctx, raw, name, "facility", Facility, "code", required=True)
    assert code is not None
    declared = ctx.declared_item("facility", code)
    if declared is not None:
        kind, role = declared.fields.get("kind"), declared.fields.get("op_role")
    else:
        kind, role = Facility.objects.filter(code=code).values_list("kind", "op_role").get()
    if not (kind == FacilityKind.CHECKPOINT or role == OpRole.CORRIDOR_TRAFFIC):
        raise raw.error(f"{code!r} is not a checkpoint or a corridor traffic post", name)
    return code


def _visibility(raw: Raw, default: list[str]) -> list[str]:
    return raw.visibility() if raw.data.get("visibility") not in (None, "") else list(default)


def _service_error(item: Item, exc: DomainError) -> Exception:
    return item.error(exc.message, exc.field)


# --- baselines -------------------------------------------------------------------------

BASELINE_KEYS = {
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
    "confidence",
    "source",
    "notes",
    "visibility",
}


def parse_baselines(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _ in yaml_entries(section, "baselines"):
        code = raw.text("code", required=True, max_length=60)
        raw.keyed("code", code)
        raw.only(BASELINE_KEYS)
        fields: dict[str, Any] = {
            "code": code,
            "measure": raw.choice("measure", Measure.values, required=False) or Measure.DISPLACED,
            "label": raw.text("label", required=True, max_length=200),
            "origin_settlement": _settlement(ctx, raw, "origin_settlement"),
            "origin_area": _ref(ctx, raw, "origin_area", "admin_area", AdminArea, "pcode"),
            "origin_text": raw.text("origin_text", max_length=300),
            "destination_settlement": _settlement(ctx, raw, "destination_settlement"),
            "destination_area": _ref(
                ctx, raw, "destination_area", "admin_area", AdminArea, "pcode"
            ),
            "destination_text": raw.text("destination_text", max_length=300),
            "people": raw.integer("people", required=True, minimum=0),
            "precision": raw.choice("precision", Precision.values, required=False)
            or Precision.ABOUT,
            "as_of": raw.date("as_of"),
            "confidence": raw.text("confidence", max_length=10),
            "source": raw.text("source", required=True, max_length=500),
            "notes": raw.text("notes", max_length=5000),
        }
        if fields["as_of"] is None:
            raise raw.error("is required", "as_of")
        item = Item(raw.file, raw.label, code, fields, _visibility(raw, ["mission"]))
        ctx.declare("population_baseline", item)
        items.append(item)
    return items


def write_baseline(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=DisplacementBaseline,
        key_field="code",
        create=lambda fields, vis: baseline_create(actor=None, data=fields, visibility=vis),
        update=lambda row, changes, vis: baseline_update(
            actor=None, baseline=row, expected_version=row.version, changes=changes, visibility=vis
        ),
    )


# --- escorted returns -----------------------------------------------------------------


def parse_returns(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, RETURN_COLUMNS, ("reference", "date", "to_settlement", "people")):
        reference = raw.text("reference", required=True, max_length=60)
        raw.keyed("reference", reference)
        checkpoint = _point(ctx, raw, "checkpoint") if raw.text("checkpoint") else None
        fields: dict[str, Any] = {
            "reference": reference,
            "date": raw.date("date"),
            "from_settlement": _settlement(ctx, raw, "from_settlement"),
            "from_text": raw.text("from_text", max_length=300),
            "to_settlement": _settlement(ctx, raw, "to_settlement", required=True),
            "people": raw.integer("people", required=True, minimum=1),
            "vehicles": raw.integer("vehicles", minimum=0),
            "escort": raw.text("escort", max_length=200),
            "escort_organisation": _ref(
                ctx, raw, "escort_organisation", "organisation", Organisation, "code"
            ),
            "checkpoint": checkpoint,
            "source": raw.text("source", required=True, max_length=500),
        }
        item = Item(raw.file, raw.label, reference, fields, _visibility(raw, SHARED))
        ctx.declare("population_return", item)
        items.append(item)
    return items


def write_return(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=ReturnMovement,
        key_field="reference",
        create=lambda fields, vis: return_movement_create(actor=None, data=fields, visibility=vis),
        update=lambda row, changes, vis: return_movement_update(
            actor=None, movement=row, expected_version=row.version, changes=changes, visibility=vis
        ),
    )


# --- flow counts ------------------------------------------------------------------------


def parse_flow_counts(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, FLOW_COLUMNS, ("point", "day", "direction", "people")):
        fields: dict[str, Any] = {
            "point": _point(ctx, raw, "point"),
            "day": raw.date("day"),
            "direction": raw.choice("direction", Direction.values),
            "escorted": raw.flag("escorted"),
            "people": raw.integer("people", required=True, minimum=0),
            "vehicles": raw.integer("vehicles", minimum=0),
            "source": raw.text("source", max_length=500),
        }
        if fields["day"] is None:
            raise raw.error("is required", "day")
        key = f"{fields['point']}/{fields['day']}/{fields['direction']}/{fields['escorted']}"
        raw.keyed("count", key)
        item = Item(raw.file, raw.label, key, fields, _visibility(raw, SHARED))
        ctx.declare("population_flow_count", item)
        items.append(item)
    return items


def write_flow_count(ctx: LoadContext, item: Item) -> Outcome:
    try:
        result = flow_count_record(actor=None, visibility=item.visibility, **item.fields)
    except DomainError as exc:
        raise _service_error(item, exc) from None
    return result.outcome


# --- households -------------------------------------------------------------------------

HOUSEHOLD_KEYS = {
    "code",
    "size",
    "vulnerabilities",
    "origin_settlement",
    "current_settlement",
    "current_location_text",
    "intention",
    "intended_settlement",
    "expected_on",
    "registered_on",
    "head_name",
    "phone",
    "document_number",
    "members",
    "protection_notes",
    "source",
}


def _members(raw: Raw) -> list[dict[str, Any]]:
    value = raw.data.get("members") or []
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise raw.error("must be a list of {name, sex, birth_year}", "members")
    return [
        {
            "name": str(m.get("name", "")),
            "sex": m.get("sex") or "unknown",
            "birth_year": m.get("birth_year"),
        }
        for m in value
    ]


def parse_households(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _ in yaml_entries(section, "households"):
        code = raw.text("code", required=True, max_length=40)
        raw.keyed("code", code)
        raw.only(HOUSEHOLD_KEYS)
        vulnerabilities = sorted(set(raw.strings("vulnerabilities")))
        for name in vulnerabilities:
            if name not in Vulnerability.values:
                raise raw.error(f"{name!r} is not a vulnerability code", "vulnerabilities")
        fields: dict[str, Any] = {
            "code": code,
            "size": raw.integer("size", required=True, minimum=1),
            "vulnerabilities": vulnerabilities,
            "origin_settlement": _settlement(ctx, raw, "origin_settlement", required=True),
            "current_settlement": _settlement(ctx, raw, "current_settlement"),
            "current_location_text": raw.text("current_location_text", max_length=300),
            "intention": raw.choice("intention", Intention.values, required=False)
            or Intention.UNDECIDED,
            "intended_settlement": _settlement(ctx, raw, "intended_settlement"),
            "expected_on": raw.date("expected_on"),
            "registered_on": raw.date("registered_on"),
            "head_name": raw.text("head_name", max_length=200),
            "phone": raw.text("phone", max_length=40),
            "document_number": raw.text("document_number", max_length=60),
            "members": _members(raw),
            "protection_notes": raw.text("protection_notes", max_length=5000),
            "source": raw.text("source", max_length=500)
            or "Scenario author's illustration: fictional demo household",
        }
        if fields["registered_on"] is None:
            raise raw.error("is required", "registered_on")
        item = Item(raw.file, raw.label, code, fields, list(DEFAULT_VISIBILITY))
        ctx.declare("population_household", item)
        items.append(item)
    return items


def write_household(ctx: LoadContext, item: Item) -> Outcome:
    return sync_record(
        item,
        model=Household,
        key_field="code",
        create=lambda fields, vis: household_register(actor=None, data=fields, visibility=vis),
        update=lambda row, changes, vis: household_update(
            actor=None, household=row, expected_version=row.version, changes=changes, visibility=vis
        ),
    )


for _section_type in (
    SectionType(
        "population.baselines",
        parse_baselines,
        write_baseline,
        "Displacement baselines and stated totals, at their source's granularity (YAML)",
    ),
    SectionType(
        "population.returns", parse_returns, write_return, "Escorted return movements (CSV)"
    ),
    SectionType(
        "population.flow_counts",
        parse_flow_counts,
        write_flow_count,
        "Daily counts at checkpoints and corridor posts (CSV)",
    ),
    SectionType(
        "population.households",
        parse_households,
        write_household,
        "Demo household registrations (YAML; personal data fictional)",
    ),
):
    register_section(_section_type)
