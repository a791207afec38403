"""The exchanges of detainees and remains API, mounted under /api/v1/detainees/.

Handlers parse, call truce.detainees.selectors or services, and serialise.
Every read goes through the selectors, so what a reader may not see is an
empty list or a 404, and personal fields it may not read come back null and
named in `redacted`. Writes name the field at fault; an exchange and its
transfers are written in one transaction or not at all.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router

from truce.core.auth import api_user
from truce.core.idempotency import KEY_HEADER, run_idempotent
from truce.core.schemas import HistoryEntryOut, page_of
from truce.core.serializers import history_out
from truce.detainees import schemas, selectors, services
from truce.detainees.serializers import (
    case_history_out,
    case_out,
    exchange_out,
    list_out,
    transfer_out,
)
from truce.lib.pagination import paginate

router = Router(tags=["detainees"])


def _page(rows: Any, query: schemas.PageQuery, namespace: str, out: Any, user: Any) -> Any:
    page = paginate(rows, namespace=namespace, limit=query.limit, cursor=query.cursor)
    return {"items": [out(row, user) for row in page.items], "next_cursor": page.next_cursor}


# --- summary ---------------------------------------------------------------------------


@router.get("/summary", response=schemas.SummaryOut)
def detainees_summary(request: HttpRequest) -> dict[str, Any]:
    """Counts of what the caller may see (zero for anyone the rule leaves out)."""
    summary = selectors.summary_for(api_user(request))
    return {
        "cases": summary.cases,
        "cases_by_status": summary.cases_by_status,
        "cases_by_kind": summary.cases_by_kind,
        "exchanges_by_status": summary.exchanges_by_status,
        "transfers_by_status": summary.transfers_by_status,
        "confirmations_pending": summary.confirmations_pending,
    }


# --- lists -----------------------------------------------------------------------------


@router.get("/lists", response=page_of(schemas.ListOut))
def detainee_lists(request: HttpRequest, query: Query[schemas.PageQuery]) -> Any:
    user = api_user(request)
    return _page(selectors.lists_visible_to(user), query, "detainee-lists", list_out, user)


@router.post("/lists", response={201: schemas.ListOut})
def detainee_list_create(
    request: HttpRequest,
    payload: schemas.ListIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)

    def perform() -> tuple[int, dict[str, Any]]:
        created = services.list_create(actor=user, **payload.model_dump())
        return 201, list_out(created, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/lists/{public_id}", response=schemas.ListOut)
def detainee_list_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return list_out(selectors.list_get(user, public_id), user)


@router.get("/lists/{public_id}/history", response=list[HistoryEntryOut])
def detainee_list_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    return history_out(selectors.list_get(user, public_id), user)


# --- cases -----------------------------------------------------------------------------


@router.get("/cases", response=page_of(schemas.CaseOut))
def detainee_cases(request: HttpRequest, query: Query[schemas.CaseFilters]) -> Any:
    user = api_user(request)
    side_list = selectors.list_get(user, query.side_list) if query.side_list else None
    rows = selectors.cases_visible_to(
        user, side_list=side_list, status=query.status, kind=query.kind
    )
    return _page(rows, query, "detainee-cases", case_out, user)


@router.post("/cases", response={201: schemas.CaseOut})
def detainee_case_create(
    request: HttpRequest,
    payload: schemas.CaseIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)

    def perform() -> tuple[int, dict[str, Any]]:
        fields = payload.model_dump()
        side_list = selectors.list_get(user, fields.pop("side_list"))
        created = services.case_create(actor=user, side_list=side_list, **fields)
        return 201, case_out(created, user)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/cases/{public_id}", response=schemas.CaseOut)
def detainee_case_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return case_out(selectors.case_get(user, public_id), user)


@router.patch("/cases/{public_id}", response=schemas.CaseOut)
def detainee_case_update(
    request: HttpRequest, public_id: str, payload: schemas.CasePatch
) -> dict[str, Any]:
    user = api_user(request)
    case = selectors.case_get(user, public_id)
    changes = payload.model_dump(exclude_unset=True)
    expected = changes.pop("expected_version")
    updated = services.case_update(
        actor=user, case=case, expected_version=expected, changes=changes
    )
    return case_out(updated, user)


@router.post("/cases/{public_id}/verify", response=schemas.CaseOut)
def detainee_case_verify(
    request: HttpRequest, public_id: str, payload: schemas.Expected
) -> dict[str, Any]:
    """The intermediary's staff only."""
    user = api_user(request)
    case = selectors.case_get(user, public_id)
    verified = services.case_verify(
        actor=user, case=case, expected_version=payload.expected_version
    )
    return case_out(verified, user)


@router.post("/cases/{public_id}/withdraw", response=schemas.CaseOut)
def detainee_case_withdraw(
    request: HttpRequest, public_id: str, payload: schemas.WithReason
) -> dict[str, Any]:
    user = api_user(request)
    case = selectors.case_get(user, public_id)
    withdrawn = services.case_withdraw(
        actor=user, case=case, expected_version=payload.expected_version, reason=payload.reason
    )
    return case_out(withdrawn, user)


@router.get("/cases/{public_id}/history", response=list[HistoryEntryOut])
def detainee_case_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    """Versions shared with the caller, without the personal fields it may not read."""
    user = api_user(request)
    return case_history_out(selectors.case_get(user, public_id), user)


# --- exchanges -------------------------------------------------------------------------


@router.get("/exchanges", response=page_of(schemas.ExchangeOut))
def detainee_exchanges(request: HttpRequest, query: Query[schemas.StatusFilters]) -> Any:
    user = api_user(request)
    rows = selectors.exchanges_visible_to(user, status=query.status)
    return _page(rows, query, "detainee-exchanges", exchange_out, user)


@router.post(
    "/exchanges",
    response={201: schemas.ExchangeDetailOut},
    summary="Plan an exchange with one transfer per case, all or nothing",
)
def detainee_exchange_create(
    request: HttpRequest,
    payload: schemas.ExchangeIn,
    idempotency_key: str | None = Header(None, alias=KEY_HEADER),
) -> HttpResponse:
    user = api_user(request)

    def perform() -> tuple[int, dict[str, Any]]:
        created = services.exchange_create(actor=user, **payload.model_dump())
        transfers = list(selectors.transfers_visible_to(user, exchange=created))
        return 201, exchange_out(created, user, transfers)

    return run_idempotent(request, user=user, key=idempotency_key, perform=perform).as_response()


@router.get("/exchanges/{public_id}", response=schemas.ExchangeDetailOut)
def detainee_exchange_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    exchange = selectors.exchange_get(user, public_id)
    transfers = list(selectors.transfers_visible_to(user, exchange=exchange))
    return exchange_out(exchange, user, transfers)


@router.post("/exchanges/{public_id}/cancel", response=schemas.ExchangeOut)
def detainee_exchange_cancel(
    request: HttpRequest, public_id: str, payload: schemas.WithReason
) -> dict[str, Any]:
    user = api_user(request)
    exchange = selectors.exchange_get(user, public_id)
    cancelled = services.exchange_cancel(
        actor=user,
        exchange=exchange,
        expected_version=payload.expected_version,
        reason=payload.reason,
    )
    return exchange_out(cancelled, user)


@router.get("/exchanges/{public_id}/history", response=list[HistoryEntryOut])
def detainee_exchange_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    return history_out(selectors.exchange_get(user, public_id), user)


# --- transfers -------------------------------------------------------------------------


@router.get("/transfers", response=page_of(schemas.TransferOut))
def detainee_transfers(request: HttpRequest, query: Query[schemas.TransferFilters]) -> Any:
    user = api_user(request)
    exchange = selectors.exchange_get(user, query.exchange) if query.exchange else None
    rows = selectors.transfers_visible_to(user, exchange=exchange, status=query.status)
    return _page(rows, query, "detainee-transfers", transfer_out, user)


@router.get("/transfers/{public_id}", response=schemas.TransferOut)
def detainee_transfer_get(request: HttpRequest, public_id: str) -> dict[str, Any]:
    user = api_user(request)
    return transfer_out(selectors.transfer_get(user, public_id), user)


@router.post("/transfers/{public_id}/hand-over", response=schemas.TransferOut)
def detainee_transfer_hand_over(
    request: HttpRequest, public_id: str, payload: schemas.Expected
) -> dict[str, Any]:
    """The intermediary records the handover at the crossing point."""
    user = api_user(request)
    transfer = selectors.transfer_get(user, public_id)
    done = services.transfer_hand_over(
        actor=user, transfer=transfer, expected_version=payload.expected_version
    )
    return transfer_out(selectors.transfer_get(user, done.public_id), user)


@router.post("/transfers/{public_id}/confirm", response=schemas.TransferOut)
def detainee_transfer_confirm(
    request: HttpRequest, public_id: str, payload: schemas.ConfirmIn
) -> dict[str, Any]:
    """One side's confirmation, for its own party only; both complete the transfer."""
    user = api_user(request)
    transfer = selectors.transfer_get(user, public_id)
    done = services.transfer_confirm(
        actor=user,
        transfer=transfer,
        side=payload.side,
        expected_version=payload.expected_version,
    )
    return transfer_out(selectors.transfer_get(user, done.public_id), user)


@router.get("/transfers/{public_id}/history", response=list[HistoryEntryOut])
def detainee_transfer_history(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    user = api_user(request)
    return history_out(selectors.transfer_get(user, public_id), user)
