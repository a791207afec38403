"""Writes of the exchanges of detainees and remains: lists, cases, exchanges, transfers.

Every write is one transaction through truce.core.records, so each version is
in the ledger. The services decide who may write (after the selectors decide
who may see: a record the actor may not see is NotFound, as if it did not
exist) and keep the share flags, which no caller sets:

- a list and its cases are shared with the listing side and the agencies
  (the selectors narrow the agencies to the intermediary's staff);
- a case that goes into an exchange, the exchange and its transfers are
  shared with both sides and the agencies.

Nothing is ever shared with the public.

Case path:     listed -> verified (by the intermediary) -> agreed (in an exchange)
               -> transferred (once both sides confirmed its transfer);
               listed | verified -> withdrawn; agreed -> verified (exchange cancelled).
Transfer path: pending -> handed_over (the intermediary) -> completed (both sides
               confirmed, each separately); pending -> cancelled.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from truce.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from truce.core.models import Organisation, Party, User
from truce.core.records import record_create, record_update
from truce.core.sharing import Scope
from truce.detainees import selectors
from truce.detainees.models import (
    PERSONAL_FIELDS,
    Case,
    CaseKind,
    CaseStatus,
    Exchange,
    ExchangeStatus,
    ListKind,
    SideList,
    Transfer,
    TransferStatus,
)
from truce.detainees.rights import (
    intermediary_only,
    may_keep_list_as,
    may_run_exchange_as,
)
from truce.detainees.selectors import Standing, reader_of
from truce.ledger.services import ledger_lock
from truce.lib.time import utcnow

SIDE_LETTERS = {Scope.SIDE_A.value: "A", Scope.SIDE_B.value: "B"}
EDITABLE_CASE_FIELDS = frozenset({*PERSONAL_FIELDS, "kind", "category", "source"})
OPEN_CASE_STATUSES = frozenset({CaseStatus.LISTED, CaseStatus.VERIFIED})
MAX_EXCHANGE_CASES = 500
EARLIEST_BIRTH_YEAR = 1900
# Without 0/O and 1/I, so a reference read out over a radio link is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6


# --- references and checks -----------------------------------------------------------


def _side(value: Party | str, field: str) -> Party:
    if isinstance(value, Party):
        party: Party | None = value
    else:
        party = Party.objects.filter(code=value, is_deleted=False).first()
        if party is None:
            party = Party.objects.filter(scope=value, is_deleted=False).first()
    if party is None or party.scope not in SIDE_LETTERS:
        raise InvalidInput(f"{value!r} is not one of the two sides", field=field)
    return party


def _other_side(party: Party) -> Party:
    other = Scope.SIDE_B if party.scope == Scope.SIDE_A else Scope.SIDE_A
    found = Party.objects.filter(scope=other, is_deleted=False).first()
    if found is None:
        raise InvalidInput("the other side is not registered", field="side")
    return found


def _intermediary(value: Organisation | str, field: str = "intermediary") -> Organisation:
    org = (
        value
        if isinstance(value, Organisation)
        else Organisation.objects.select_related("party")
        .filter(code=value, is_deleted=False)
        .first()
    )
    if org is None:
        raise InvalidInput(f"unknown organisation {value!r}", field=field)
    if org.party.scope != Scope.AGENCIES or org.code not in selectors.intermediary_codes():
        designated = ", ".join(sorted(selectors.intermediary_codes()))
        raise InvalidInput(
            f"{org.code!r} is not a designated intermediary (use {designated})", field=field
        )
    return org


def _check_personal(fields: Mapping[str, Any]) -> None:
    year = fields.get("birth_year")
    if year is not None:
        if not isinstance(year, int) or isinstance(year, bool):
            raise InvalidInput("must be a whole year, e.g. 1994", field="birth_year")
        if not EARLIEST_BIRTH_YEAR <= year <= utcnow().year:
            raise InvalidInput(
                f"must be between {EARLIEST_BIRTH_YEAR} and {utcnow().year}", field="birth_year"
            )
    when = fields.get("event_date")
    if when is not None:
        if not isinstance(when, dt.date) or isinstance(when, dt.datetime):
            raise InvalidInput("must be a date, e.g. 2020-11-10", field="event_date")
        if when > utcnow().date():
            raise InvalidInput("cannot be in the future", field="event_date")
    if fields.get("kind") == CaseKind.PERSON and not str(fields.get("full_name") or "").strip():
        raise InvalidInput("a person's case needs the person's name", field="full_name")


def _scopes(*parties: Party) -> list[str]:
    return sorted({p.scope for p in parties} | {Scope.AGENCIES.value})


def _new_reference(prefix: str, model: type[SideList | Case | Exchange]) -> str:
    """A reference that says nothing of how many others exist.

    A running number would let a side that sees B-0001 and B-0003 count a
    case hidden from it; a random code reveals nothing.
    """
    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        reference = f"{prefix}-{code}"
        if not model._default_manager.filter(reference=reference).exists():
            return reference


# --- lists ---------------------------------------------------------------------------


@transaction.atomic
def list_create(
    *,
    actor: User,
    side: Party | str,
    kind: str,
    intermediary: Organisation | str,
    title: str,
    submitted_on: dt.date,
    notes: str = "",
    source: str = "",
) -> SideList:
    """A side's list handed to the intermediary (version 1, shared with that side)."""
    ledger_lock()
    party = _side(side, "side")
    org = _intermediary(intermediary)
    reader = reader_of(actor)
    draft = SideList(side=party, intermediary=org)
    if not may_keep_list_as(reader, draft):
        if not reader.sees_anything:
            raise NotFound("no such endpoint")
        raise PermissionDenied("you may not hand in a list for this side to this intermediary")
    if kind not in ListKind.values:
        raise InvalidInput(f"use one of {', '.join(ListKind.values)}", field="kind")
    if submitted_on > utcnow().date():
        raise InvalidInput("cannot be in the future", field="submitted_on")
    return record_create(
        actor=actor,
        model=SideList,
        fields={
            "reference": _new_reference(f"{SIDE_LETTERS[party.scope]}L", SideList),
            "side": party,
            "kind": kind,
            "intermediary": org,
            "title": title,
            "submitted_on": submitted_on,
            "notes": notes,
            "source": source,
        },
        visibility=_scopes(party),
    )


# --- cases ---------------------------------------------------------------------------


@transaction.atomic
def case_create(
    *,
    actor: User,
    side_list: SideList,
    kind: str,
    full_name: str = "",
    category: str = "unknown",
    birth_year: int | None = None,
    unit: str = "",
    event_place: str = "",
    event_date: dt.date | None = None,
    notes: str = "",
    source: str = "",
) -> Case:
    """One person or set of remains on a list (listed, shared as the list is)."""
    ledger_lock()
    current = selectors.list_get(actor, side_list.public_id)
    if not may_keep_list_as(reader_of(actor), current):
        raise PermissionDenied("you may not add to this list")
    fields: dict[str, Any] = {
        "side_list": current,
        "kind": kind,
        "category": category,
        "full_name": full_name.strip(),
        "birth_year": birth_year,
        "unit": unit,
        "event_place": event_place,
        "event_date": event_date,
        "notes": notes,
        "source": source,
    }
    _check_personal(fields)
    fields["reference"] = _new_reference(SIDE_LETTERS[current.side.scope], Case)
    return record_create(actor=actor, model=Case, fields=fields, visibility=_scopes(current.side))


def _case_for_write(actor: User, case: Case) -> Case:
    current = selectors.case_get(actor, case.public_id)
    if not may_keep_list_as(reader_of(actor), current.side_list):
        raise PermissionDenied("you may not change this case")
    return current


@transaction.atomic
def case_update(
    *, actor: User, case: Case, expected_version: int, changes: Mapping[str, Any]
) -> Case:
    """Correct a listed or verified case; a changed identity needs verifying again."""
    ledger_lock()
    current = _case_for_write(actor, case)
    unknown = sorted(set(changes) - EDITABLE_CASE_FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed here", field=unknown[0])
    if current.status not in OPEN_CASE_STATUSES:
        raise Conflict(f"a case that is {current.status} cannot be changed", field="status")
    merged = {name: getattr(current, name) for name in EDITABLE_CASE_FIELDS} | dict(changes)
    if "full_name" in changes:
        merged["full_name"] = str(changes["full_name"] or "").strip()
    _check_personal(merged)
    updates = {k: merged[k] for k in changes}
    identity_changed = any(
        merged[k] != getattr(current, k) for k in ("full_name", "birth_year", "kind")
    )
    if current.status == CaseStatus.VERIFIED and identity_changed:
        updates |= {"status": CaseStatus.LISTED, "verified_at": None, "verified_by": None}
    return record_update(
        actor=actor, record=current, changes=updates, expected_version=expected_version
    )


@transaction.atomic
def case_verify(*, actor: User, case: Case, expected_version: int) -> Case:
    """The intermediary has verified the case (seen the person, identified the remains)."""
    ledger_lock()
    current = selectors.case_get(actor, case.public_id)
    intermediary_only(reader_of(actor), current.side_list.intermediary_id, "verify a case")
    if current.status != CaseStatus.LISTED:
        raise Conflict(
            f"only a listed case can be verified, not a {current.status} one", field="status"
        )
    return record_update(
        actor=actor,
        record=current,
        changes={"status": CaseStatus.VERIFIED, "verified_at": utcnow(), "verified_by": actor},
        expected_version=expected_version,
        action="verify",
    )


@transaction.atomic
def case_withdraw(*, actor: User, case: Case, expected_version: int, reason: str) -> Case:
    """Take a case off its list (found elsewhere, a duplicate, listed by mistake)."""
    ledger_lock()
    current = _case_for_write(actor, case)
    if current.status not in OPEN_CASE_STATUSES:
        raise Conflict(f"a case that is {current.status} cannot be withdrawn", field="status")
    if not reason.strip():
        raise InvalidInput("say why the case is withdrawn", field="reason")
    notes = (current.notes + "\n" if current.notes else "") + f"Withdrawn: {reason.strip()}"
    return record_update(
        actor=actor,
        record=current,
        changes={"status": CaseStatus.WITHDRAWN, "notes": notes},
        expected_version=expected_version,
        action="withdraw",
    )


# --- exchanges -----------------------------------------------------------------------


def _directions(case: Case) -> tuple[Party, Party]:
    """(from, to): a side releases whom it holds, and receives whom it seeks."""
    listing = case.side_list.side
    if case.side_list.kind == ListKind.HELD:
        return listing, _other_side(listing)
    return _other_side(listing), listing


def _exchange_cases(actor: User, cases: Sequence[Case | str], org: Organisation) -> list[Case]:
    if not cases:
        raise InvalidInput("an exchange needs at least one case", field="cases")
    if len(cases) > MAX_EXCHANGE_CASES:
        raise InvalidInput(f"at most {MAX_EXCHANGE_CASES} cases per exchange", field="cases")
    chosen: list[Case] = []
    seen: set[int] = set()
    visible = selectors.cases_visible_to(actor).select_for_update(of=("self",))
    for index, value in enumerate(cases):
        field = f"cases.{index}"
        key = value.public_id if isinstance(value, Case) else value
        try:
            case = selectors.get_one(visible, key, "case")
        except NotFound:
            raise InvalidInput(f"no such case {key!s}", field=field) from None
        if case.pk in seen:
            raise InvalidInput(f"{case.reference} is listed twice", field=field)
        if case.status != CaseStatus.VERIFIED:
            raise InvalidInput(
                f"{case.reference} is {case.status}; only verified cases can be exchanged",
                field=field,
            )
        if case.side_list.intermediary_id != org.pk:
            raise InvalidInput(
                f"{case.reference} was listed with another intermediary", field=field
            )
        seen.add(case.pk)
        chosen.append(case)
    return chosen


@transaction.atomic
def exchange_create(
    *,
    actor: User,
    planned_on: dt.date,
    crossing_point: str,
    intermediary: Organisation | str,
    cases: Sequence[Case | str],
    notes: str = "",
    source: str = "",
) -> Exchange:
    """Plan an exchange with one transfer per case, all in one transaction.

    Each case must be verified and listed with the same intermediary; it is
    agreed for transfer and shared with both sides from this version on.
    """
    ledger_lock()
    org = _intermediary(intermediary)
    reader = reader_of(actor)
    if not may_run_exchange_as(reader, org):
        if not reader.sees_anything:
            raise NotFound("no such endpoint")
        raise PermissionDenied(
            "only the mission's case officers and the intermediary plan exchanges"
        )
    if not crossing_point.strip():
        raise InvalidInput("name the crossing point", field="crossing_point")
    chosen = _exchange_cases(actor, cases, org)
    both = [_side(Scope.SIDE_A.value, "cases"), _side(Scope.SIDE_B.value, "cases")]
    exchange = record_create(
        actor=actor,
        model=Exchange,
        fields={
            "reference": _new_reference("EX", Exchange),
            "planned_on": planned_on,
            "crossing_point": crossing_point.strip(),
            "intermediary": org,
            "notes": notes,
            "source": source,
        },
        visibility=_scopes(*both),
    )
    for position, case in enumerate(chosen, start=1):
        from_side, to_side = _directions(case)
        record_update(
            actor=actor,
            record=case,
            changes={"status": CaseStatus.AGREED},
            expected_version=case.version,
            visibility=_scopes(*both),
            action="agree",
        )
        record_create(
            actor=actor,
            model=Transfer,
            fields={
                "exchange": exchange,
                "number": position,
                "case": case,
                "from_side": from_side,
                "to_side": to_side,
                "source": source,
            },
            visibility=_scopes(*both),
        )
    return exchange


def _exchange_for_write(actor: User, exchange: Exchange) -> Exchange:
    current = selectors.exchange_get(actor, exchange.public_id)
    if not may_run_exchange_as(reader_of(actor), current.intermediary):
        raise PermissionDenied("only the mission's case officers and the intermediary may do this")
    return current


@transaction.atomic
def exchange_cancel(
    *, actor: User, exchange: Exchange, expected_version: int, reason: str
) -> Exchange:
    """Call off a planned exchange before any handover; its cases go back to verified."""
    ledger_lock()
    current = _exchange_for_write(actor, exchange)
    if current.status != ExchangeStatus.PLANNED:
        raise Conflict(f"a {current.status} exchange cannot be cancelled", field="status")
    if not reason.strip():
        raise InvalidInput("say why the exchange is cancelled", field="reason")
    transfers = list(Transfer.objects.select_related("case").filter(exchange=current))
    if any(t.status != TransferStatus.PENDING for t in transfers):
        raise Conflict("a transfer of this exchange has been handed over", field="status")
    notes = (current.notes + "\n" if current.notes else "") + f"Cancelled: {reason.strip()}"
    cancelled = record_update(
        actor=actor,
        record=current,
        changes={"status": ExchangeStatus.CANCELLED, "notes": notes},
        expected_version=expected_version,
        action="cancel",
    )
    for transfer in transfers:
        record_update(
            actor=actor,
            record=transfer,
            changes={"status": TransferStatus.CANCELLED},
            expected_version=transfer.version,
            action="cancel",
        )
        record_update(
            actor=actor,
            record=transfer.case,
            changes={"status": CaseStatus.VERIFIED},
            expected_version=transfer.case.version,
            action="exchange_cancelled",
        )
    return cancelled


# --- transfers -----------------------------------------------------------------------


@transaction.atomic
def transfer_hand_over(*, actor: User, transfer: Transfer, expected_version: int) -> Transfer:
    """The intermediary records that it handed the case over at the crossing point."""
    ledger_lock()
    current = selectors.transfer_get(actor, transfer.public_id)
    intermediary_only(reader_of(actor), current.exchange.intermediary_id, "record a handover")
    if current.status != TransferStatus.PENDING:
        raise Conflict(f"the transfer is {current.status}, not awaiting handover", field="status")
    return record_update(
        actor=actor,
        record=current,
        changes={
            "status": TransferStatus.HANDED_OVER,
            "handed_over_at": utcnow(),
            "handed_over_by": actor,
        },
        expected_version=expected_version,
        action="hand_over",
    )


@transaction.atomic
def transfer_confirm(
    *, actor: User, transfer: Transfer, side: Party | str, expected_version: int
) -> Transfer:
    """One side confirms a handed-over transfer: the releasing or the receiving side.

    A side confirms for itself only. The second confirmation completes the
    transfer, marks its case transferred, and completes the exchange once
    none of its transfers is left open.
    """
    ledger_lock()
    current = selectors.transfer_get(actor, transfer.public_id)
    party = _side(side, "side")
    reader = reader_of(actor)
    if reader.standing != Standing.SIDE or reader.party_id != party.pk:
        raise PermissionDenied("a side can only confirm for its own party", field="side")
    if party.pk == current.from_side_id:
        at, by = "released_confirmed_at", "released_confirmed_by"
    elif party.pk == current.to_side_id:
        at, by = "received_confirmed_at", "received_confirmed_by"
    else:
        raise InvalidInput("this transfer does not involve that side", field="side")
    if current.status != TransferStatus.HANDED_OVER:
        raise Conflict(
            f"the transfer is {current.status}; a side confirms after the handover", field="status"
        )
    if getattr(current, at) is not None:
        raise Conflict(f"{party.code} has already confirmed this transfer", field="side")
    changes: dict[str, Any] = {at: utcnow(), by: actor}
    other_at = "received_confirmed_at" if at == "released_confirmed_at" else "released_confirmed_at"
    both = getattr(current, other_at) is not None
    if both:
        changes["status"] = TransferStatus.COMPLETED
    confirmed = record_update(
        actor=actor,
        record=current,
        changes=changes,
        expected_version=expected_version,
        action="confirm",
    )
    if both:
        _complete(actor, confirmed)
    return confirmed


def _complete(actor: User, transfer: Transfer) -> None:
    case = Case.objects.select_for_update().get(pk=transfer.case_id)
    record_update(
        actor=actor,
        record=case,
        changes={"status": CaseStatus.TRANSFERRED},
        expected_version=case.version,
        action="transferred",
    )
    exchange = Exchange.objects.select_for_update().get(pk=transfer.exchange_id)
    open_left = (
        Transfer.objects.filter(exchange=exchange)
        .exclude(status__in=[TransferStatus.COMPLETED, TransferStatus.CANCELLED])
        .exists()
    )
    if not open_left and exchange.status == ExchangeStatus.PLANNED:
        record_update(
            actor=actor,
            record=exchange,
            changes={"status": ExchangeStatus.COMPLETED, "completed_at": utcnow()},
            expected_version=exchange.version,
            action="complete",
        )
