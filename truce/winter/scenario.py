"""Scenario sections of winter readiness: utility reports and supply needs (CSV).

`winter.utility_reports` rows: settlement (P-code), utility, state, since, works_planned,
works_due, notes, source, confidence, visibility. A report's natural key is its
settlement, utility and day; a second load finds it and writes nothing, a changed row
becomes a correction (a new version).

`winter.needs` rows: settlement, category, item, quantity, unit, priority, status,
stated_on, needed_by, notes, source, confidence, visibility; keyed by settlement,
category, item and the day it was stated.

Both are written through truce.winter.services as the system (actor None).
"""

from __future__ import annotations

from typing import Any

from truce.core.errors import DomainError
from truce.core.models import Confidence, Settlement
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    csv_rows,
    register_section,
)
from truce.core.scenario.sync import changed_fields, visibility_changed
from truce.winter import services
from truce.winter.models import (
    NeedCategory,
    NeedPriority,
    NeedStatus,
    NeedUnit,
    ServiceState,
    SupplyNeed,
    Utility,
    UtilityReport,
)

REPORT_COLUMNS = (
    "settlement",
    "utility",
    "state",
    "since",
    "works_planned",
    "works_due",
    "notes",
    "source",
    "confidence",
    "visibility",
)
NEED_COLUMNS = (
    "settlement",
    "category",
    "item",
    "quantity",
    "unit",
    "priority",
    "status",
    "stated_on",
    "needed_by",
    "notes",
    "source",
    "confidence",
    "visibility",
)


def _settlement(ctx: LoadContext, raw: Raw) -> str:
    pcode = raw.text("settlement", required=True)
    if not ctx.known("settlement", pcode, Settlement, "pcode"):
        raise raw.error(f"unknown settlement {pcode!r}", "settlement")
    return pcode


def _required_date(raw: Raw, name: str) -> Any:
    value = raw.date(name)
    if value is None:
        raise raw.error("is required", name)
    return value


def parse_reports(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, REPORT_COLUMNS, ("settlement", "utility", "state", "since")):
        pcode = _settlement(ctx, raw)
        utility = raw.choice("utility", Utility.values)
        since = _required_date(raw, "since")
        key = f"{pcode}/{utility}/{since.isoformat()}"
        raw.keyed("report", key)
        fields = {
            "state": raw.choice("state", ServiceState.values),
            "since": since,
            "works_planned": raw.text("works_planned"),
            "works_due": raw.date("works_due"),
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
            "confidence": raw.choice("confidence", Confidence.values, required=False),
        }
        item = Item(
            file=raw.file,
            label=raw.label,
            key=key,
            fields=fields,
            visibility=raw.visibility(),
            extra={"settlement": pcode, "utility": utility},
        )
        ctx.declare("winter_report", item)
        items.append(item)
    return items


def write_report(ctx: LoadContext, item: Item) -> Outcome:
    existing = UtilityReport.objects.filter(
        settlement__pcode=item.extra["settlement"],
        utility=item.extra["utility"],
        since=item.fields["since"],
        is_deleted=False,
    ).first()
    try:
        if existing is None:
            services.utility_report_record(
                actor=None,
                settlement=item.extra["settlement"],
                utility=item.extra["utility"],
                fields=item.fields,
                visibility=item.visibility,
            )
            return "created"
        changes = changed_fields(existing, item.fields)
        shared = visibility_changed(existing, item.visibility)
        if not changes and not shared:
            return "unchanged"
        services.utility_report_correct(
            actor=None,
            report=existing,
            expected_version=existing.version,
            changes=changes,
            visibility=item.visibility if shared else None,
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


def parse_needs(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    required = ("settlement", "category", "item", "quantity", "unit", "stated_on")
    for raw in csv_rows(section, NEED_COLUMNS, required):
        pcode = _settlement(ctx, raw)
        category = raw.choice("category", NeedCategory.values)
        what = raw.text("item", required=True, max_length=200)
        stated_on = _required_date(raw, "stated_on")
        key = f"{pcode}/{category}/{what}/{stated_on.isoformat()}"
        raw.keyed("need", key)
        quantity = raw.number("quantity")
        if quantity is None or quantity <= 0:
            raise raw.error("must be more than zero", "quantity")
        fields = {
            "category": category,
            "item": what,
            "quantity": quantity,
            "unit": raw.choice("unit", NeedUnit.values),
            "priority": raw.choice("priority", NeedPriority.values, required=False)
            or NeedPriority.NORMAL.value,
            "status": raw.choice("status", NeedStatus.values, required=False)
            or NeedStatus.OPEN.value,
            "stated_on": stated_on,
            "needed_by": raw.date("needed_by"),
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
            "confidence": raw.choice("confidence", Confidence.values, required=False),
        }
        item = Item(
            file=raw.file,
            label=raw.label,
            key=key,
            fields=fields,
            visibility=raw.visibility(),
            extra={"settlement": pcode},
        )
        ctx.declare("winter_need", item)
        items.append(item)
    return items


def write_need(ctx: LoadContext, item: Item) -> Outcome:
    fields = item.fields
    existing = SupplyNeed.objects.filter(
        settlement__pcode=item.extra["settlement"],
        category=fields["category"],
        item=fields["item"],
        stated_on=fields["stated_on"],
        is_deleted=False,
    ).first()
    try:
        if existing is None:
            services.need_record(
                actor=None,
                settlement=item.extra["settlement"],
                fields=fields,
                visibility=item.visibility,
            )
            return "created"
        wanted = {k: v for k, v in fields.items() if k != "quantity"}
        changes = changed_fields(existing, wanted)
        if float(existing.quantity) != fields["quantity"]:
            changes["quantity"] = fields["quantity"]
        shared = visibility_changed(existing, item.visibility)
        if not changes and not shared:
            return "unchanged"
        services.need_update(
            actor=None,
            need=existing,
            expected_version=existing.version,
            changes=changes,
            visibility=item.visibility if shared else None,
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


for _section_type in (
    SectionType(
        "winter.utility_reports",
        parse_reports,
        write_report,
        "Power, gas, heat and water state per settlement from a day on (CSV)",
    ),
    SectionType(
        "winter.needs", parse_needs, write_need, "Winter needs per settlement, in quantities (CSV)"
    ),
):
    register_section(_section_type)
