"""Lists, cases, exchanges and transfers as plain values, as one reader may see them.

Personal fields the reader may not read are given as null and named in
`redacted`, field by field (selectors.personal_fields_for decides which).
The API, the CSV export and the pages all build their rows here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from truce.core.models import User
from truce.core.serializers import history_out, record_fields
from truce.detainees.models import PERSONAL_FIELDS, Case, Exchange, SideList, Transfer
from truce.detainees.selectors import personal_fields_for, redact_payload, redacted_fields_for
from truce.lib.time import iso_utc


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return iso_utc(value) if hasattr(value, "tzinfo") else value.isoformat()


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


def list_out(side_list: SideList, user: User) -> dict[str, Any]:
    return {
        **record_fields(side_list, user),
        "reference": side_list.reference,
        "side": side_list.side.code,
        "kind": side_list.kind,
        "intermediary": side_list.intermediary.code,
        "title": side_list.title,
        "submitted_on": side_list.submitted_on.isoformat(),
        "notes": side_list.notes,
    }


def personal_values(case: Case, user: User) -> dict[str, Any]:
    """The personal fields, each either its value or None if the reader may not read it."""
    allowed = personal_fields_for(user, case)
    values: dict[str, Any] = {}
    for name in PERSONAL_FIELDS:
        value = getattr(case, name) if name in allowed else None
        values[name] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def case_out(case: Case, user: User) -> dict[str, Any]:
    return {
        **record_fields(case, user),
        "reference": case.reference,
        "side_list": str(case.side_list.public_id),
        "side": case.side_list.side.code,
        "kind": case.kind,
        "category": case.category,
        "status": case.status,
        **personal_values(case, user),
        "verified_at": _iso(case.verified_at),
        "redacted": redacted_fields_for(user, case),
    }


def transfer_out(transfer: Transfer, user: User) -> dict[str, Any]:
    case = transfer.case
    return {
        **record_fields(transfer, user),
        "reference": str(transfer),
        "exchange": str(transfer.exchange.public_id),
        "number": transfer.number,
        "case": str(case.public_id),
        "case_reference": case.reference,
        "case_kind": case.kind,
        "full_name": personal_values(case, user)["full_name"],
        "from_side": transfer.from_side.code,
        "to_side": transfer.to_side.code,
        "status": transfer.status,
        "handed_over_at": _iso(transfer.handed_over_at),
        "handed_over_by": _username(transfer.handed_over_by),
        "released_confirmed_at": _iso(transfer.released_confirmed_at),
        "released_confirmed_by": _username(transfer.released_confirmed_by),
        "received_confirmed_at": _iso(transfer.received_confirmed_at),
        "received_confirmed_by": _username(transfer.received_confirmed_by),
    }


def exchange_out(
    exchange: Exchange, user: User, transfers: list[Transfer] | None = None
) -> dict[str, Any]:
    out = {
        **record_fields(exchange, user),
        "reference": exchange.reference,
        "planned_on": exchange.planned_on.isoformat(),
        "crossing_point": exchange.crossing_point,
        "intermediary": exchange.intermediary.code,
        "status": exchange.status,
        "completed_at": _iso(exchange.completed_at),
        "notes": exchange.notes,
    }
    if transfers is not None:
        out["transfers"] = [transfer_out(t, user) for t in transfers]
    return out


def case_history_out(case: Case, user: User) -> list[dict[str, Any]]:
    """The case's versions the reader may see, without the personal fields it may not read."""
    hidden = redacted_fields_for(user, case)
    items = history_out(case, user)
    for item in items:
        item["data"] = redact_payload(item["data"], hidden)
        item["changed"] = [name for name in item["changed"] if name not in hidden]
    return items


CSV_COLUMNS = (
    "reference",
    "side_list",
    "side",
    "kind",
    "category",
    "status",
    *PERSONAL_FIELDS,
    "version",
    "updated_at",
)


def case_csv_row(case: Case, user: User) -> list[Any]:
    """One export row; a redacted field is an empty cell, as an unknown one."""
    personal = personal_values(case, user)
    return [
        case.reference,
        case.side_list.reference,
        case.side_list.side.code,
        case.kind,
        case.category,
        case.status,
        *("" if personal[name] is None else personal[name] for name in PERSONAL_FIELDS),
        case.version,
        iso_utc(case.updated_at),
    ]
