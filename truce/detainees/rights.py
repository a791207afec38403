"""Who may write what in the exchanges of detainees and remains.

The services enforce these; the screens ask the same functions which buttons
to offer, so a button is never shown for a write the service would refuse.
Reading is decided in truce.detainees.selectors.
"""

from __future__ import annotations

from truce.core.errors import PermissionDenied
from truce.core.models import Organisation, Party, User
from truce.detainees.models import Case, CaseStatus, Exchange, SideList, Transfer, TransferStatus
from truce.detainees.selectors import Reader, Standing, reader_of

# --- who may write -------------------------------------------------------------------


def may_keep_list_as(reader: Reader, side_list: SideList) -> bool:
    """The mission's case officers, the list's intermediary, the listing side."""
    if reader.standing == Standing.MISSION_CASES:
        return True
    if reader.standing == Standing.INTERMEDIARY:
        return side_list.intermediary_id == reader.organisation_id
    return reader.standing == Standing.SIDE and side_list.side_id == reader.party_id


def may_run_exchange_as(reader: Reader, intermediary: Organisation) -> bool:
    if reader.standing == Standing.MISSION_CASES:
        return True
    return reader.standing == Standing.INTERMEDIARY and intermediary.pk == reader.organisation_id


def intermediary_only(reader: Reader, intermediary_id: int, what: str) -> None:
    if reader.standing != Standing.INTERMEDIARY or reader.organisation_id != intermediary_id:
        raise PermissionDenied(f"only the intermediary's staff may {what}")


# --- what the screens offer (the same rules as the writes above) ----------------------


def may_keep_list(user: User, side_list: SideList) -> bool:
    """Whether the user may add to, correct and withdraw from this (visible) list."""
    return may_keep_list_as(reader_of(user), side_list)


def may_hand_in_lists(user: User) -> bool:
    """Whether the user may record a list (for their own side, or as intermediary)."""
    return reader_of(user).standing in {
        Standing.MISSION_CASES,
        Standing.INTERMEDIARY,
        Standing.SIDE,
    }


def may_run_exchanges(user: User) -> bool:
    """Whether the user may plan and cancel exchanges (for some intermediary)."""
    return reader_of(user).standing in {Standing.MISSION_CASES, Standing.INTERMEDIARY}


def may_run_exchange(user: User, exchange: Exchange) -> bool:
    return may_run_exchange_as(reader_of(user), exchange.intermediary)


def may_verify(user: User, case: Case) -> bool:
    reader = reader_of(user)
    return (
        reader.standing == Standing.INTERMEDIARY
        and reader.organisation_id == case.side_list.intermediary_id
        and case.status == CaseStatus.LISTED
    )


def may_hand_over(user: User, transfer: Transfer) -> bool:
    reader = reader_of(user)
    return (
        reader.standing == Standing.INTERMEDIARY
        and reader.organisation_id == transfer.exchange.intermediary_id
        and transfer.status == TransferStatus.PENDING
    )


def confirmation_due_from(user: User, transfer: Transfer) -> Party | None:
    """The user's own side, if it still owes this handed-over transfer its confirmation."""
    reader = reader_of(user)
    if reader.standing != Standing.SIDE or transfer.status != TransferStatus.HANDED_OVER:
        return None
    if reader.party_id == transfer.from_side_id and transfer.released_confirmed_at is None:
        return transfer.from_side
    if reader.party_id == transfer.to_side_id and transfer.received_confirmed_at is None:
        return transfer.to_side
    return None
