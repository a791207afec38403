"""The scenario section of damage assessment: structures from a CSV file.

    - {type: damage.structures, file: damage/structures.csv}

One row per structure (columns in STRUCTURE_COLUMNS; needs as one column per
item of the vocabulary, e.g. glazing_m2, roofing_m2). Each is recorded through
structure_create as its assessor (or the system without one); a structure is
found again by its settlement and reference, and only what differs is written
(structure_update, a new version), so a second load writes nothing.
"""

from __future__ import annotations

from typing import Any

from truce.core.errors import DomainError
from truce.core.models import Confidence, Organisation, Settlement, User
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Section,
    SectionType,
    csv_rows,
    register_section,
)
from truce.core.scenario.sync import changed_fields, visibility_changed
from truce.damage.models import NEED_KEYS, Grade, Structure, Use
from truce.damage.services import structure_create, structure_update
from truce.damage.services.validation import clean_structure

STRUCTURE_COLUMNS = (
    "settlement",
    "reference",
    "use",
    "grade",
    "lon",
    "lat",
    *NEED_KEYS,
    "assessed_on",
    "assessor",
    "assessor_organisation",
    "notes",
    "source",
    "confidence",
    "visibility",
)
REQUIRED = ("settlement", "reference", "use", "grade", "assessed_on", "visibility")


def parse_structures(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, STRUCTURE_COLUMNS, REQUIRED):
        pcode = raw.text("settlement", required=True, max_length=20)
        reference = raw.text("reference", required=True, max_length=100)
        key = f"{pcode}/{reference}"
        raw.keyed("structure", key)
        if not ctx.known("settlement", pcode, Settlement, "pcode"):
            raise raw.error(
                f"no settlement {pcode!r} in this scenario or the database", "settlement"
            )
        data: dict[str, Any] = {
            "settlement": pcode,
            "reference": reference,
            "use": raw.choice("use", Use.values),
            "grade": raw.choice("grade", Grade.values),
            "assessed_on": raw.date("assessed_on"),
            "needs": {},
        }
        for name in NEED_KEYS:
            value = raw.number(name, required=False)
            if value is not None:
                if value < 0:
                    raise raw.error("cannot be negative", name)
                data["needs"][name] = value
        if raw.text("lon") or raw.text("lat"):
            data["lon"] = raw.number("lon")
            data["lat"] = raw.number("lat")
        assessor = raw.text("assessor")
        if assessor:
            if not ctx.known("user", assessor, User, "username"):
                raise raw.error(f"no user {assessor!r}", "assessor")
            data["assessor"] = assessor
        organisation = raw.text("assessor_organisation")
        if organisation:
            if not ctx.known("organisation", organisation, Organisation, "code"):
                raise raw.error(f"no organisation {organisation!r}", "assessor_organisation")
            data["assessor_organisation"] = organisation
        for name, length in (("notes", 2000), ("source", 500)):
            if raw.text(name):
                data[name] = raw.text(name, max_length=length)
        if raw.text("confidence"):
            data["confidence"] = raw.choice("confidence", Confidence.values)
        item = Item(
            file=raw.file,
            label=raw.label,
            key=key,
            fields=data,
            visibility=raw.visibility(),
        )
        ctx.declare("damage.structure", item)
        items.append(item)
    return items


def write_structure(ctx: LoadContext, item: Item) -> Outcome:
    data = item.fields
    actor = User.objects.filter(username=data.get("assessor", "")).first()
    existing = Structure.objects.filter(
        settlement__pcode=data["settlement"], reference=data["reference"], is_deleted=False
    ).first()
    try:
        if existing is None:
            structure_create(actor=actor, data=data, visibility=item.visibility)
            return "created"
        wanted = clean_structure(actor, data)
        if "geometry" not in wanted:
            wanted.pop("location_approximate", None)
        changes = changed_fields(existing, wanted)
        new_visibility = visibility_changed(existing, item.visibility)
        if not changes and not new_visibility:
            return "unchanged"
        # The changes are given as the service takes them: re-cleaned there.
        changed_data = {k: v for k, v in data.items() if _touches(k, changes)}
        structure_update(
            actor=actor,
            structure=existing,
            changes=changed_data,
            expected_version=existing.version,
            visibility=item.visibility if new_visibility else None,
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


def _touches(name: str, changes: dict[str, Any]) -> bool:
    if name == "needs":
        return any(k.startswith("need_") for k in changes)
    if name in ("lon", "lat"):
        return "geometry" in changes or "location_approximate" in changes
    return name in changes


register_section(
    SectionType(
        "damage.structures",
        parse_structures,
        write_structure,
        "Damage assessment: one structure per row (CSV)",
    )
)
