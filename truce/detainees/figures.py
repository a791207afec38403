"""Figures of the exchanges of detainees and remains (mechanism 4).

Each counts only the transfers the reader may see (truce.detainees.selectors),
so a side's figure is the count of its own transfers and a reader the rule
leaves out gets no value at all ("—"), not a zero that would read as "none
happened". Supporting records are transfers, named by their reference
(EX-001/2), never by a person's name. "As of" a date counts transfers
completed by the end of that day (UTC).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from truce.core.figures import FigureQuery, figure
from truce.detainees.models import CaseKind, Transfer, TransferStatus
from truce.detainees.selectors import may_enter, pending_confirmations, transfers_visible_to


def _completed(query: FigureQuery, kind: str) -> QuerySet[Transfer]:
    rows = transfers_visible_to(query.user, status=TransferStatus.COMPLETED).filter(case__kind=kind)
    if query.as_of is not None:
        end = dt.datetime.combine(query.as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        rows = rows.filter(received_confirmed_at__lt=end, released_confirmed_at__lt=end)
    return rows


def _by_direction(rows: list[Transfer]) -> dict[str, int]:
    counted = Counter(f"{t.from_side.name} → {t.to_side.name}" for t in rows)
    return dict(sorted(counted.items()))


def _transferred(query: FigureQuery, kind: str) -> Any:
    if not may_enter(query.user):
        return None, []
    rows = list(_completed(query, kind))
    return len(rows), rows, _by_direction(rows)


@figure(
    "detainees_persons_transferred",
    label=_("Detainees transferred"),
    unit="persons",
    description=(
        "Persons handed over between the sides through the intermediary, whose transfers "
        "both sides confirmed, by direction."
    ),
)
def _persons_transferred(query: FigureQuery) -> Any:
    return _transferred(query, CaseKind.PERSON)


@figure(
    "detainees_remains_transferred",
    label=_("Remains transferred"),
    unit="sets of remains",
    description=(
        "Remains of the dead handed over between the sides through the intermediary, whose "
        "transfers both sides confirmed, by direction."
    ),
)
def _remains_transferred(query: FigureQuery) -> Any:
    return _transferred(query, CaseKind.REMAINS)


@figure(
    "detainees_confirmations_pending",
    label=_("Transfer confirmations pending"),
    unit="confirmations",
    description=(
        "Confirmations the sides still owe on transfers not yet complete (each transfer needs "
        "the releasing and the receiving side's), by the side that owes them."
    ),
)
def _confirmations_pending(query: FigureQuery) -> Any:
    if not may_enter(query.user):
        return None, []
    rows = transfers_visible_to(query.user).exclude(
        status__in=[TransferStatus.COMPLETED, TransferStatus.CANCELLED]
    )
    due = pending_confirmations(rows, by="name")
    return sum(due.values()), list(rows), dict(sorted(due.items()))
