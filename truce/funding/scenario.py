"""Scenario sections of funding: requirements, flows (YAML) and exchange rates (CSV).

`funding.requirements` entries: sector, plan, amount (empty: not stated), currency,
period_start, period_end, requested_by, notes, source, visibility; keyed by sector,
plan and period_start. `funding.flows` entries: donor, recipient, amount, currency,
status, sector, flow_date, pledged_on, committed_on, paid_on, notes, source,
visibility; keyed by donor, recipient, sector and flow_date (a later load that
moves the status forward records the step). `funding.rates` rows: currency,
reporting_currency, rate, as_of, source, visibility. All go through
truce.funding.services as the system.
"""

from __future__ import annotations

from decimal import Decimal
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
from truce.core.scenario.files import Raw
from truce.core.scenario.sync import changed_fields, visibility_changed
from truce.funding import services
from truce.funding.models import ExchangeRate, Flow, FlowStatus, Requirement, Sector

REQUIREMENT_FIELDS = (
    "sector",
    "plan",
    "amount",
    "currency",
    "period_start",
    "period_end",
    "requested_by",
    "notes",
    "source",
    "visibility",
)
FLOW_FIELDS = (
    "donor",
    "recipient",
    "amount",
    "currency",
    "status",
    "sector",
    "flow_date",
    "pledged_on",
    "committed_on",
    "paid_on",
    "notes",
    "source",
    "visibility",
)
RATE_COLUMNS = ("currency", "reporting_currency", "rate", "as_of", "source", "visibility")


def _org(ctx: LoadContext, raw: Raw, name: str, *, required: bool) -> str:
    code = raw.text(name, required=required)
    if code and not ctx.known("organisation", code, Organisation, "code"):
        raise raw.error(f"unknown organisation {code!r}", name)
    return code


def _amount(raw: Raw, name: str, *, required: bool) -> Decimal | None:
    value = raw.number(name, required=required)
    if value is None:
        return None
    if value <= 0:
        raise raw.error("must be more than zero", name)
    return Decimal(str(raw.data[name]))


def _required_date(raw: Raw, name: str) -> Any:
    value = raw.date(name)
    if value is None:
        raise raw.error("is required", name)
    return value


def parse_requirements(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _doc in yaml_entries(section, "requirements"):
        raw.only(REQUIREMENT_FIELDS)
        sector = raw.choice("sector", Sector.values)
        plan = raw.text("plan", required=True, max_length=300)
        start = _required_date(raw, "period_start")
        key = f"{sector}/{plan}/{start.isoformat()}"
        raw.keyed("requirement", f"{sector}/{start.isoformat()}")
        fields = {
            "sector": sector,
            "plan": plan,
            "amount": _amount(raw, "amount", required=False),
            "currency": raw.text("currency"),
            "period_start": start,
            "period_end": raw.date("period_end"),
            "requested_by": _org(ctx, raw, "requested_by", required=False) or None,
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
        }
        item = Item(raw.file, raw.label, key, fields, raw.visibility())
        ctx.declare("funding_requirement", item)
        items.append(item)
    return items


def write_requirement(ctx: LoadContext, item: Item) -> Outcome:
    existing = Requirement.objects.filter(
        sector=item.fields["sector"],
        plan=item.fields["plan"],
        period_start=item.fields["period_start"],
        is_deleted=False,
    ).first()
    try:
        if existing is None:
            services.requirement_record(actor=None, fields=item.fields, visibility=item.visibility)
            return "created"
        wanted = {k: v for k, v in item.fields.items() if k not in ("requested_by",)}
        changes = changed_fields(existing, wanted)
        shared = visibility_changed(existing, item.visibility)
        if not changes and not shared:
            return "unchanged"
        services.requirement_update(
            actor=None,
            requirement=existing,
            expected_version=existing.version,
            changes=changes,
            visibility=item.visibility if shared else None,
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


def parse_flows(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _doc in yaml_entries(section, "flows"):
        raw.only(FLOW_FIELDS)
        donor = _org(ctx, raw, "donor", required=True)
        recipient = _org(ctx, raw, "recipient", required=True)
        sector = raw.choice("sector", Sector.values)
        flow_date = _required_date(raw, "flow_date")
        key = f"{donor}/{recipient}/{sector}/{flow_date.isoformat()}"
        raw.keyed("flow", key)
        fields = {
            "donor": donor,
            "recipient": recipient,
            "amount": _amount(raw, "amount", required=True),
            "currency": raw.text("currency", required=True),
            "status": raw.choice("status", FlowStatus.values),
            "sector": sector,
            "flow_date": flow_date,
            "pledged_on": raw.date("pledged_on"),
            "committed_on": raw.date("committed_on"),
            "paid_on": raw.date("paid_on"),
            "notes": raw.text("notes"),
            "source": raw.text("source", max_length=500),
        }
        item = Item(raw.file, raw.label, key, fields, raw.visibility())
        ctx.declare("funding_flow", item)
        items.append(item)
    return items


def write_flow(ctx: LoadContext, item: Item) -> Outcome:
    f = item.fields
    existing = Flow.objects.filter(
        donor__code=f["donor"],
        recipient__code=f["recipient"],
        sector=f["sector"],
        flow_date=f["flow_date"],
        is_deleted=False,
    ).first()
    try:
        if existing is None:
            services.flow_record(actor=None, fields=f, visibility=item.visibility)
            return "created"
        if existing.status == f["status"]:
            return "unchanged"
        # A later load with a newer status is a step of the flow's history.
        day = f[services.DATE_FIELD[FlowStatus(f["status"])]] or f["flow_date"]
        services.flow_status_change(
            actor=None,
            flow=existing,
            expected_version=existing.version,
            status=f["status"],
            on=day,
            reason="changed in the scenario data",
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


def parse_rates(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw in csv_rows(section, RATE_COLUMNS, ("currency", "reporting_currency", "rate", "as_of")):
        currency = raw.text("currency", required=True).upper()
        reporting = raw.text("reporting_currency", required=True).upper()
        as_of = _required_date(raw, "as_of")
        key = f"{currency}/{reporting}/{as_of.isoformat()}"
        raw.keyed("rate", key)
        fields = {
            "currency": currency,
            "reporting_currency": reporting,
            "rate": _amount(raw, "rate", required=True),
            "as_of": as_of,
            "source": raw.text("source", max_length=500),
        }
        item = Item(raw.file, raw.label, key, fields, raw.visibility())
        ctx.declare("funding_rate", item)
        items.append(item)
    return items


def write_rate(ctx: LoadContext, item: Item) -> Outcome:
    f = item.fields
    if ExchangeRate.objects.filter(
        currency=f["currency"],
        reporting_currency=f["reporting_currency"],
        as_of=f["as_of"],
        is_deleted=False,
    ).exists():
        return "unchanged"
    try:
        services.exchange_rate_record(actor=None, visibility=item.visibility, **f)
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None
    return "created"


for _section_type in (
    SectionType(
        "funding.requirements",
        parse_requirements,
        write_requirement,
        "Funding requirements per sector (YAML; amount may be unknown)",
    ),
    SectionType("funding.flows", parse_flows, write_flow, "Funding flows, donor to recipient"),
    SectionType("funding.rates", parse_rates, write_rate, "Exchange rates with their source"),
):
    register_section(_section_type)
