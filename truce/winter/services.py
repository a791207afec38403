"""Writes of winter readiness: utility reports and supply needs.

Each service is keyword-only and atomic and goes through truce.core.records,
so every version lands in the ledger in the same transaction. The web forms,
the API and the scenario loader all come here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from truce.core.errors import InvalidInput
from truce.core.models import Settlement, User
from truce.core.permissions import ensure_response_writer
from truce.core.records import record_create, record_delete, record_update
from truce.core.references import settlement_ref
from truce.lib.time import utcnow
from truce.winter.models import NeedCategory, NeedStatus, SupplyNeed, UtilityReport

Visibility = Iterable[str] | str | None

# Reports are shared with the agencies unless the writer says otherwise: they
# plan the repairs and the deliveries with the mission.
DEFAULT_VISIBILITY = ("agencies",)

REPORT_FIELDS = frozenset(
    {"state", "since", "works_planned", "works_due", "notes", "source", "confidence"}
)
NEED_FIELDS = frozenset(
    {
        "category",
        "item",
        "quantity",
        "unit",
        "priority",
        "status",
        "needed_by",
        "stated_on",
        "notes",
        "source",
        "confidence",
    }
)


def ensure_winter_writer(actor: User | None) -> None:
    """Mission staff with a response role, or agency staff (None is the scenario loader)."""
    ensure_response_writer(
        actor, "only the response centre's staff and agency staff may report winter readiness"
    )


def _settlement(value: Settlement | str | None) -> Settlement:
    row = settlement_ref(None, value, field="settlement", required=True)
    assert row is not None  # required=True raises instead
    return row


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


def _not_future(day: dt.date | None, name: str) -> None:
    # Mission-local "today" can be a day ahead of UTC; allow that one day.
    if day is not None and day > utcnow().date() + dt.timedelta(days=1):
        raise InvalidInput(f"{name} {day.isoformat()} is in the future", field=name)


def _check_report(fields: Mapping[str, Any]) -> dict[str, Any]:
    checked = dict(fields)
    since = _date(checked.get("since"), "since", required=True)
    _not_future(since, "since")
    checked["since"] = since
    if "works_due" in checked:
        due = _date(checked.get("works_due"), "works_due", required=False)
        if due is not None and since is not None and due < since:
            raise InvalidInput("works_due is before the day the state began", field="works_due")
        checked["works_due"] = due
    for name in ("works_planned", "notes", "source"):
        if checked.get(name) is None and name in checked:
            checked[name] = ""
    return checked


def _unknown(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in fields:
        if name not in allowed:
            raise InvalidInput(f"unknown field {name!r}", field=name)


@transaction.atomic
def utility_report_record(
    *,
    actor: User | None,
    settlement: Settlement | str,
    utility: str,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_VISIBILITY,
) -> UtilityReport:
    """Report a utility's state in a settlement from a day on ("heat out since 12 Nov").

    A second report for the same settlement, utility and day is refused: that
    is a correction of the first (utility_report_correct), not a new state.
    """
    ensure_winter_writer(actor)
    _unknown(fields, REPORT_FIELDS)
    place = _settlement(settlement)
    checked = _check_report(fields)
    if UtilityReport.objects.filter(
        settlement=place, utility=utility, since=checked["since"], is_deleted=False
    ).exists():
        raise InvalidInput(
            f"a {utility} report for {place.pcode} already begins on "
            f"{checked['since'].isoformat()}: correct that report instead",
            field="since",
        )
    return record_create(
        actor=actor,
        model=UtilityReport,
        fields={"settlement": place, "utility": utility, **checked},
        visibility=visibility,
    )


@transaction.atomic
def utility_report_correct(
    *,
    actor: User | None,
    report: UtilityReport,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> UtilityReport:
    """A new version of a report (its state, day or works); settlement and utility stay."""
    ensure_winter_writer(actor)
    for name in ("settlement", "utility"):
        if name in changes:
            raise InvalidInput(
                f"a report's {name} cannot change: withdraw it and report anew", field=name
            )
    _unknown(changes, REPORT_FIELDS)
    merged = {"since": report.since, "works_due": report.works_due, **changes}
    checked = _check_report(merged)
    applied = {k: v for k, v in checked.items() if k in changes}
    if (
        "since" in applied
        and UtilityReport.objects.filter(
            settlement_id=report.settlement_id,
            utility=report.utility,
            since=applied["since"],
            is_deleted=False,
        )
        .exclude(pk=report.pk)
        .exists()
    ):
        raise InvalidInput("another report already begins on that day", field="since")
    return record_update(
        actor=actor,
        record=report,
        expected_version=expected_version,
        changes=applied,
        visibility=visibility,
    )


@transaction.atomic
def utility_report_withdraw(
    *, actor: User | None, report: UtilityReport, expected_version: int | None, reason: str
) -> UtilityReport:
    """Tombstone a report made in error; the reason stays in the ledger."""
    ensure_winter_writer(actor)
    if not reason.strip():
        raise InvalidInput("say why the report is withdrawn", field="reason")
    return record_delete(
        actor=actor, record=report, expected_version=expected_version, reason=reason
    )


def _check_need(fields: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    checked = dict(fields)
    if "quantity" in checked or creating:
        raw = checked.get("quantity")
        try:
            quantity = Decimal(str(raw)) if raw not in (None, "") else None
        except InvalidOperation:
            raise InvalidInput("quantity must be a number", field="quantity") from None
        if quantity is None:
            raise InvalidInput("quantity is required", field="quantity")
        if not quantity.is_finite() or quantity <= 0:
            raise InvalidInput("quantity must be more than zero", field="quantity")
        checked["quantity"] = quantity
    if "item" in checked or creating:
        item = str(checked.get("item") or "").strip()
        if not item:
            raise InvalidInput("say what is needed", field="item")
        checked["item"] = item
    if "stated_on" in checked or creating:
        checked["stated_on"] = _date(checked.get("stated_on"), "stated_on", required=True)
        _not_future(checked["stated_on"], "stated_on")
    if "needed_by" in checked:
        checked["needed_by"] = _date(checked.get("needed_by"), "needed_by", required=False)
    if checked.get("category") not in (None, *NeedCategory.values):
        raise InvalidInput(
            f"unknown category {checked['category']!r}; use one of "
            f"{', '.join(NeedCategory.values)}",
            field="category",
        )
    for name in ("notes", "source"):
        if name in checked and checked[name] is None:
            checked[name] = ""
    return checked


@transaction.atomic
def need_record(
    *,
    actor: User | None,
    settlement: Settlement | str,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_VISIBILITY,
) -> SupplyNeed:
    """State a need of a settlement (medicines, fuel, blankets, ...), in quantities."""
    ensure_winter_writer(actor)
    _unknown(fields, NEED_FIELDS)
    place = _settlement(settlement)
    checked = _check_need(fields, creating=True)
    needed_by = checked.get("needed_by")
    if needed_by is not None and needed_by < checked["stated_on"]:
        raise InvalidInput("needed_by is before the day the need was stated", field="needed_by")
    return record_create(
        actor=actor,
        model=SupplyNeed,
        fields={"settlement": place, **checked},
        visibility=visibility,
    )


@transaction.atomic
def need_update(
    *,
    actor: User | None,
    need: SupplyNeed,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> SupplyNeed:
    """A new version of a need: its quantity, priority or status (pledged, delivered...)."""
    ensure_winter_writer(actor)
    if "settlement" in changes:
        raise InvalidInput("a need's settlement cannot change", field="settlement")
    _unknown(changes, NEED_FIELDS)
    checked = _check_need(changes, creating=False)
    if checked.get("status") not in (None, *NeedStatus.values):
        raise InvalidInput(f"unknown status {checked['status']!r}", field="status")
    return record_update(
        actor=actor,
        record=need,
        expected_version=expected_version,
        changes=checked,
        visibility=visibility,
    )
