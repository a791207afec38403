"""Who may see the exchanges of detainees and remains: the whole rule, in this one module.

Every screen, export, endpoint and figure of the app reads through the
functions below, so none can show more than another. The rule, strictest in
the system:

- never the public;
- the mission: users holding a case role (administrator, analyst) see
  everything; duty officers see lists, cases, exchanges and transfers with
  their statuses and counts but none of the personal fields; any other
  mission user sees nothing;
- the agencies: only the staff of a designated intermediary organisation (the
  ICRC; setting TRUCE_DETAINEES_INTERMEDIARIES, organisation codes), and only
  the lists and exchanges that name their organisation, with their cases;
  staff of any other agency see nothing;
- a side: its liaison officers see the side's own lists and their cases, and
  the exchanges and transfers that involve the side, with the cases in those
  transfers (identity and circumstances, not the other side's notes); nothing
  of the other side's lists.

Every query starts from truce.core.sharing.visible, so the share flags (set by
the services, never by callers) and tombstones apply first; the rule above then
narrows what the flags let through. A record outside it is a 404, as if it did
not exist, and every count here is a count of rows the reader may see.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from truce.core.errors import NotFound
from truce.core.models import RoleCode
from truce.core.sharing import Scope, scopes_allow, visible
from truce.detainees.models import (
    CIRCUMSTANCE_FIELDS,
    IDENTITY_FIELDS,
    PERSONAL_FIELDS,
    Case,
    Exchange,
    SideList,
    Transfer,
    TransferStatus,
)
from truce.ledger.models import LedgerEntry

if TYPE_CHECKING:
    from truce.core.models import User

CASE_ROLES = frozenset({RoleCode.ADMINISTRATOR.value, RoleCode.ANALYST.value})
SUMMARY_ROLES = frozenset({RoleCode.DUTY_OFFICER.value})
SIDE_ROLES = frozenset({RoleCode.LIAISON_OFFICER.value})
INTERMEDIARY_ROLES = frozenset({RoleCode.AGENCY_STAFF.value})
SIDE_SCOPES = frozenset({Scope.SIDE_A.value, Scope.SIDE_B.value})
COUNTERPART_FIELDS = frozenset((*IDENTITY_FIELDS, *CIRCUMSTANCE_FIELDS))
# The organisations the mission has designated as intermediary (by code).
DEFAULT_INTERMEDIARIES = ("icrc",)


def intermediary_codes() -> frozenset[str]:
    """Codes of the organisations that may act as intermediary (the ICRC by default)."""
    return frozenset(getattr(settings, "TRUCE_DETAINEES_INTERMEDIARIES", DEFAULT_INTERMEDIARIES))


class Standing(StrEnum):
    """What kind of reader a user is here (before looking at any one record)."""

    NONE = "none"
    MISSION_CASES = "mission_cases"
    MISSION_SUMMARY = "mission_summary"
    INTERMEDIARY = "intermediary"
    SIDE = "side"


@dataclass(frozen=True)
class Reader:
    user: User | None
    standing: Standing
    party_id: int | None = None
    organisation_id: int | None = None

    @property
    def sees_anything(self) -> bool:
        return self.standing != Standing.NONE

    @property
    def is_mission(self) -> bool:
        return self.standing in {Standing.MISSION_CASES, Standing.MISSION_SUMMARY}


def reader_of(user: User | None) -> Reader:
    """The reader's standing, from their party, roles and organisation."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Reader(user, Standing.NONE)
    scope = user.party.scope
    if scope == Scope.MISSION:
        if user.is_superuser or user.has_role(*CASE_ROLES):
            return Reader(user, Standing.MISSION_CASES, user.party_id)
        if user.has_role(*SUMMARY_ROLES):
            return Reader(user, Standing.MISSION_SUMMARY, user.party_id)
        return Reader(user, Standing.NONE)
    if scope == Scope.AGENCIES:
        organisation = user.organisation
        if (
            organisation is not None
            and not organisation.is_deleted
            and organisation.code in intermediary_codes()
            and user.has_role(*INTERMEDIARY_ROLES)
        ):
            return Reader(user, Standing.INTERMEDIARY, user.party_id, organisation.pk)
        return Reader(user, Standing.NONE)
    if scope in SIDE_SCOPES and user.has_role(*SIDE_ROLES):
        return Reader(user, Standing.SIDE, user.party_id)
    return Reader(user, Standing.NONE)


def _involves(reader: Reader, prefix: str = "") -> Q:
    return Q(**{f"{prefix}from_side_id": reader.party_id}) | Q(
        **{f"{prefix}to_side_id": reader.party_id}
    )


# --- the four record types -----------------------------------------------------------


def lists_visible_to(user: User | None) -> QuerySet[SideList]:
    """Side lists the user may see (the intermediary's own; a side's own)."""
    reader = reader_of(user)
    qs = visible(SideList.objects.select_related("side", "intermediary"), user)
    if reader.is_mission:
        return qs
    if reader.standing == Standing.INTERMEDIARY:
        return qs.filter(intermediary_id=reader.organisation_id)
    if reader.standing == Standing.SIDE:
        return qs.filter(side_id=reader.party_id)
    return qs.none()


def cases_visible_to(
    user: User | None,
    *,
    side_list: SideList | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> QuerySet[Case]:
    """Cases the user may see: of the lists they may see, and (for a side) those in
    transfers that involve it."""
    reader = reader_of(user)
    qs = visible(Case.objects.select_related("side_list", "side_list__side"), user)
    if reader.standing == Standing.INTERMEDIARY:
        qs = qs.filter(side_list__intermediary_id=reader.organisation_id)
    elif reader.standing == Standing.SIDE:
        involved = Transfer.objects.filter(_involves(reader), case_id=OuterRef("pk"))
        qs = qs.filter(Q(side_list__side_id=reader.party_id) | Exists(involved))
    elif not reader.is_mission:
        return qs.none()
    if side_list is not None:
        qs = qs.filter(side_list=side_list)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def exchanges_visible_to(user: User | None, *, status: str | None = None) -> QuerySet[Exchange]:
    """Exchanges the user may see: the intermediary's own; for a side, those involving it."""
    reader = reader_of(user)
    qs = visible(Exchange.objects.select_related("intermediary"), user)
    if reader.standing == Standing.INTERMEDIARY:
        qs = qs.filter(intermediary_id=reader.organisation_id)
    elif reader.standing == Standing.SIDE:
        involved = Transfer.objects.filter(_involves(reader), exchange_id=OuterRef("pk"))
        qs = qs.filter(Exists(involved))
    elif not reader.is_mission:
        return qs.none()
    if status:
        qs = qs.filter(status=status)
    return qs


def transfers_visible_to(
    user: User | None, *, exchange: Exchange | None = None, status: str | None = None
) -> QuerySet[Transfer]:
    """Transfers the user may see: the intermediary's exchanges'; a side's own."""
    reader = reader_of(user)
    qs = visible(
        Transfer.objects.select_related(
            "exchange",
            "case",
            "case__side_list",
            "from_side",
            "to_side",
            "handed_over_by",
            "released_confirmed_by",
            "received_confirmed_by",
        ),
        user,
    )
    if reader.standing == Standing.INTERMEDIARY:
        qs = qs.filter(exchange__intermediary_id=reader.organisation_id)
    elif reader.standing == Standing.SIDE:
        qs = qs.filter(_involves(reader))
    elif not reader.is_mission:
        return qs.none()
    if exchange is not None:
        qs = qs.filter(exchange=exchange)
    if status:
        qs = qs.filter(status=status)
    return qs


def get_one(qs: QuerySet[Any], public_id: uuid.UUID | str, what: str) -> Any:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(f"no such {what}", field="id") from None
    row = qs.filter(public_id=key).first()
    if row is None:
        raise NotFound(f"no such {what}", field="id")
    return row


def list_get(user: User | None, public_id: uuid.UUID | str) -> SideList:
    row: SideList = get_one(lists_visible_to(user), public_id, "list")
    return row


def case_get(user: User | None, public_id: uuid.UUID | str) -> Case:
    row: Case = get_one(cases_visible_to(user), public_id, "case")
    return row


def exchange_get(user: User | None, public_id: uuid.UUID | str) -> Exchange:
    row: Exchange = get_one(exchanges_visible_to(user), public_id, "exchange")
    return row


def transfer_get(user: User | None, public_id: uuid.UUID | str) -> Transfer:
    row: Transfer = get_one(transfers_visible_to(user), public_id, "transfer")
    return row


@dataclass(frozen=True)
class LogEntry:
    seq: int
    recorded_at: Any
    actor: str
    action: str
    version: int
    record: str


def exchange_log(
    user: User | None, exchange: Exchange, transfers: list[Transfer]
) -> list[LogEntry]:
    """Every version of an exchange and of the given (visible) transfers, newest first.

    One ledger query for them all; a version not shared with the reader's party
    at the time is left out, as in record histories.
    """
    names = {str(exchange.public_id): str(exchange)}
    names |= {str(t.public_id): str(t) for t in transfers}
    entries = LedgerEntry.objects.filter(
        record_type__in=[Exchange.ledger_type(), Transfer.ledger_type()],
        record_id__in=list(names),
    ).order_by("-seq")
    return [
        LogEntry(e.seq, e.recorded_at, e.actor, e.action, e.record_version, names[e.record_id])
        for e in entries
        if scopes_allow(json.loads(e.payload).get("visibility", []), user)
    ]


# --- field-by-field redaction ----------------------------------------------------------


def personal_fields_for(user: User | None, case: Case) -> frozenset[str]:
    """Which personal fields of a case (already known visible) the user may read.

    The caller must have had the case from cases_visible_to; this only says
    how much of it to show.
    """
    reader = reader_of(user)
    if reader.standing in {Standing.MISSION_CASES, Standing.INTERMEDIARY}:
        return frozenset(PERSONAL_FIELDS)
    if reader.standing == Standing.SIDE:
        if case.side_list.side_id == reader.party_id:
            return frozenset(PERSONAL_FIELDS)
        # The other side of a transfer must know whom it receives or releases;
        # the listing side's notes stay its own.
        return COUNTERPART_FIELDS
    return frozenset()


def redacted_fields_for(user: User | None, case: Case) -> list[str]:
    allowed = personal_fields_for(user, case)
    return [name for name in PERSONAL_FIELDS if name not in allowed]


def redact_payload(data: dict[str, Any], hidden: list[str]) -> dict[str, Any]:
    """A ledger payload of a case without the fields the reader may not read."""
    return {k: v for k, v in data.items() if k not in hidden}


def may_export(user: User | None) -> bool:
    """CSV export is for readers who may see personal data of some case."""
    return reader_of(user).standing in {
        Standing.MISSION_CASES,
        Standing.INTERMEDIARY,
        Standing.SIDE,
    }


def may_enter(user: User | None) -> bool:
    """Whether the app's screens have anything for the user (the menu entries' test)."""
    return reader_of(user).sees_anything


# --- counts (aggregates over the same querysets) ---------------------------------------


@dataclass(frozen=True)
class Summary:
    cases_by_status: dict[str, int]
    cases_by_kind: dict[str, int]
    exchanges_by_status: dict[str, int]
    transfers_by_status: dict[str, int]
    confirmations_pending: int

    @property
    def cases(self) -> int:
        return sum(self.cases_by_status.values())


def _counted(qs: QuerySet[Any], field: str) -> dict[str, int]:
    return {row[field]: row["n"] for row in qs.order_by().values(field).annotate(n=Count("id"))}


def pending_confirmations(transfers: QuerySet[Transfer], *, by: str = "code") -> Counter[str]:
    """Confirmations still due on live transfers, by the side that owes them.

    Sides are keyed by their party `code` (or `name`).
    """
    due: Counter[str] = Counter()
    rows = transfers.exclude(
        status__in=[TransferStatus.COMPLETED, TransferStatus.CANCELLED]
    ).values_list(
        f"from_side__{by}", f"to_side__{by}", "released_confirmed_at", "received_confirmed_at"
    )
    for from_code, to_code, released, received in rows:
        if released is None:
            due[from_code] += 1
        if received is None:
            due[to_code] += 1
    return due


def summary_for(user: User | None) -> Summary:
    """Counts of what the user may see, and nothing else."""
    cases = cases_visible_to(user)
    transfers = transfers_visible_to(user)
    return Summary(
        cases_by_status=_counted(cases, "status"),
        cases_by_kind=_counted(cases, "kind"),
        exchanges_by_status=_counted(exchanges_visible_to(user), "status"),
        transfers_by_status=_counted(transfers, "status"),
        confirmations_pending=sum(pending_confirmations(transfers).values()),
    )
