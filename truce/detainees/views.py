"""The detainees screens: lists per side, cases with history, exchanges and their transfers.

Views parse, call truce.detainees.selectors or services, and render. Whatever
the reader may not see is a 404 here as in the API; personal fields it may
not read are shown as withheld. A service's refusal is shown on the field it
names. Handover and confirmation buttons post with HTMX and get their
transfer's row back; without script they post and come back to the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from truce.core.errors import DomainError, NotFound
from truce.core.models import User
from truce.core.web import is_htmx, viewer
from truce.detainees import labels, rights, selectors, services
from truce.detainees.forms import (
    CaseForm,
    ConfirmForm,
    ExchangeForm,
    ListForm,
    ReasonForm,
    VersionForm,
)
from truce.detainees.models import PERSONAL_FIELDS, Case, CaseStatus, Exchange, Transfer
from truce.detainees.serializers import CSV_COLUMNS, case_csv_row, case_history_out
from truce.lib.csv_export import csv_response

PAGE_SIZE = 100


def _or_404(get: Any, user: User, public_id: Any) -> Any:
    try:
        return get(user, public_id)
    except NotFound:
        raise Http404(_("No such record.")) from None


def _refuse(form: Any, error: DomainError) -> None:
    """A service's refusal on the field it names, else above the form."""
    field = error.field if error.field in form.fields else None
    if field is not None and form.fields[field].widget.is_hidden:
        field = None
    if error.field in {"version", "expected_version"}:
        form.add_error(
            None,
            _("Someone changed this record meanwhile (%(detail)s). Reload and try again.")
            % {"detail": error.message},
        )
        return
    if error.field and error.field.startswith("cases"):
        field = "cases"
    form.add_error(field, error.message)


# --- overview and lists ------------------------------------------------------------------


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not selectors.may_enter(user):
        # Shown, not refused: the page says why there is nothing, and counts nothing.
        return render(request, "detainees/index.html", {"allowed": False})
    summary = selectors.summary_for(user)
    context = {
        "allowed": True,
        "summary": summary,
        "case_statuses": [
            (labels.CASE_STATUS[k], summary.cases_by_status.get(k, 0)) for k in labels.CASE_STATUS
        ],
        "lists": selectors.lists_visible_to(user).order_by("side__code", "reference"),
        "exchanges": selectors.exchanges_visible_to(user)[:10],
        "may_add_list": rights.may_hand_in_lists(user),
        "may_plan": rights.may_run_exchanges(user),
        "may_export": selectors.may_export(user),
        "labels": labels,
    }
    return render(request, "detainees/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def list_create(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not rights.may_hand_in_lists(user):
        raise Http404(_("No such page."))
    form = ListForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.list_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("List %(ref)s recorded.") % {"ref": created.reference})
            return redirect(created.get_absolute_url())
    status = 422 if form.errors else 200
    return render(request, "detainees/list_form.html", {"form": form}, status=status)


def _case_rows(cases: Any, user: User) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        allowed = selectors.personal_fields_for(user, case)
        rows.append(
            {
                "case": case,
                "name": case.full_name if "full_name" in allowed else None,
                "birth_year": case.birth_year if "birth_year" in allowed else None,
                "withheld": "full_name" not in allowed,
                "kind": labels.CASE_KIND.get(case.kind, case.kind),
                "category": labels.CATEGORY.get(case.category, case.category),
                "status": labels.CASE_STATUS.get(case.status, case.status),
            }
        )
    return rows


@login_required
@require_safe
def list_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    side_list = _or_404(selectors.list_get, user, public_id)
    page = Paginator(selectors.cases_visible_to(user, side_list=side_list), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "side_list": side_list,
        "kind": labels.LIST_KIND.get(side_list.kind, side_list.kind),
        "page": page,
        "rows": _case_rows(page.object_list, user),
        "may_add": rights.may_keep_list(user, side_list),
        "may_export": selectors.may_export(user),
    }
    return render(request, "detainees/list_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    side_list = _or_404(selectors.list_get, user, public_id)
    if not rights.may_keep_list(user, side_list):
        raise Http404(_("No such page."))
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            created = services.case_create(actor=user, side_list=side_list, **data)
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Case %(ref)s listed.") % {"ref": created.reference})
            return redirect(created.get_absolute_url())
    status = 422 if form.errors else 200
    context = {"form": form, "side_list": side_list, "case": None}
    return render(request, "detainees/case_form.html", context, status=status)


def _history_rows(case: Case, user: User) -> list[dict[str, Any]]:
    rows = []
    for item in reversed(case_history_out(case, user)):
        first = item["action"] == "create"
        changes = [
            (labels.FIELD.get(name, name), item["data"].get(name))
            for name in item["changed"]
            if name in labels.FIELD and not (first and item["data"].get(name) in (None, ""))
        ]
        rows.append(
            {
                **item,
                "action": labels.ACTION.get(item["action"], item["action"]),
                "changes": changes,
            }
        )
    return rows


def _case_page(request: HttpRequest, user: User, case: Case, **forms: Any) -> HttpResponse:
    allowed = selectors.personal_fields_for(user, case)
    personal = [
        (labels.FIELD[name], getattr(case, name), name in allowed) for name in PERSONAL_FIELDS
    ]
    open_status = case.status in {CaseStatus.LISTED, CaseStatus.VERIFIED}
    may_keep = rights.may_keep_list(user, case.side_list)
    version = VersionForm(initial={"version": case.version})
    reason = ReasonForm(initial={"version": case.version})
    context = {
        "case": case,
        "personal": personal,
        "kind": labels.CASE_KIND.get(case.kind, case.kind),
        "category": labels.CATEGORY.get(case.category, case.category),
        "status": labels.CASE_STATUS.get(case.status, case.status),
        "list_visible": selectors.lists_visible_to(user).filter(pk=case.side_list_id).exists(),
        "versions": _history_rows(case, user),
        "transfers": selectors.transfers_visible_to(user).filter(case=case),
        "may_edit": may_keep and open_status,
        "verify_form": forms.get("verify") or (version if rights.may_verify(user, case) else None),
        "withdraw_form": forms.get("withdraw") or (reason if may_keep and open_status else None),
    }
    status = 422 if any(f.errors for f in forms.values()) else 200
    return render(request, "detainees/case_detail.html", context, status=status)


@login_required
@require_safe
def case_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    return _case_page(request, user, _or_404(selectors.case_get, user, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    case = _or_404(selectors.case_get, user, public_id)
    if not rights.may_keep_list(user, case.side_list):
        raise Http404(_("No such page."))
    form = CaseForm(request.POST) if request.method == "POST" else CaseForm.for_case(case)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.case_update(
                actor=user,
                case=case,
                expected_version=form.cleaned_data["version"] or case.version,
                changes=form.changes(case),
            )
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Case %(ref)s corrected.") % {"ref": updated.reference})
            return redirect(updated.get_absolute_url())
    status = 422 if form.errors else 200
    context = {"form": form, "side_list": case.side_list, "case": case}
    return render(request, "detainees/case_form.html", context, status=status)


@login_required
@require_POST
def case_verify(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    case = _or_404(selectors.case_get, user, public_id)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.case_verify(
                actor=user, case=case, expected_version=form.cleaned_data["version"]
            )
        except DomainError as exc:
            _refuse(form, exc)
            return _case_page(request, user, case, verify=form)
        messages.success(request, _("Case verified."))
        return redirect(case.get_absolute_url())
    return _case_page(request, user, case, verify=form)


@login_required
@require_POST
def case_withdraw(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    case = _or_404(selectors.case_get, user, public_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.case_withdraw(
                actor=user,
                case=case,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _refuse(form, exc)
            return _case_page(request, user, case, withdraw=form)
        messages.success(request, _("Case withdrawn."))
        return redirect(case.get_absolute_url())
    return _case_page(request, user, case, withdraw=form)


@login_required
@require_safe
def cases_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The cases the reader may see, with the same field-by-field redaction as the pages."""
    user = viewer(request)
    if not selectors.may_export(user):
        raise Http404(_("No such page."))
    side_list = None
    if request.GET.get("side_list"):
        side_list = _or_404(selectors.list_get, user, request.GET["side_list"])
    rows = selectors.cases_visible_to(user, side_list=side_list).order_by("reference")

    rows_out = (case_csv_row(case, user) for case in rows.iterator(chunk_size=2000))
    return csv_response("detainee-cases", CSV_COLUMNS, rows_out)


# --- exchanges and transfers ------------------------------------------------------------


@login_required
@require_safe
def exchange_list(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not selectors.may_enter(user):
        raise Http404(_("No such page."))
    page = Paginator(selectors.exchanges_visible_to(user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "statuses": labels.EXCHANGE_STATUS,
        "may_plan": rights.may_run_exchanges(user),
    }
    return render(request, "detainees/exchange_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def exchange_create(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not rights.may_run_exchanges(user):
        raise Http404(_("No such page."))
    verified = selectors.cases_visible_to(user, status=CaseStatus.VERIFIED).order_by("reference")
    choices = []
    for case in verified:
        name = case.full_name if "full_name" in selectors.personal_fields_for(user, case) else ""
        choices.append((str(case.public_id), f"{case.reference} {name}".strip()))
    form = ExchangeForm(request.POST or None, user=user, cases=choices)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.exchange_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("Exchange %(ref)s planned.") % {"ref": created.reference})
            return redirect(created.get_absolute_url())
    status = 422 if form.errors else 200
    return render(request, "detainees/exchange_form.html", {"form": form}, status=status)


def _transfer_row(user: User, transfer: Transfer) -> dict[str, Any]:
    allowed = selectors.personal_fields_for(user, transfer.case)
    due = rights.confirmation_due_from(user, transfer)
    return {
        "transfer": transfer,
        "name": transfer.case.full_name if "full_name" in allowed else None,
        "case_kind": labels.CASE_KIND.get(transfer.case.kind, transfer.case.kind),
        "status": labels.TRANSFER_STATUS.get(transfer.status, transfer.status),
        "may_hand_over": rights.may_hand_over(user, transfer),
        "confirm_side": due,
    }


def _exchange_log(user: User, exchange: Exchange, transfers: list[Transfer]) -> list[Any]:
    return [
        {**vars(entry), "action": labels.ACTION.get(entry.action, entry.action)}
        for entry in selectors.exchange_log(user, exchange, transfers)
    ]


@login_required
@require_safe
def exchange_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    exchange: Exchange = _or_404(selectors.exchange_get, user, public_id)
    transfers = list(selectors.transfers_visible_to(user, exchange=exchange))
    context = {
        "log": _exchange_log(user, exchange, transfers),
        "exchange": exchange,
        "status": labels.EXCHANGE_STATUS.get(exchange.status, exchange.status),
        "rows": [_transfer_row(user, t) for t in transfers],
        "cancel_form": ReasonForm(initial={"version": exchange.version})
        if exchange.status == "planned" and rights.may_run_exchange(user, exchange)
        else None,
    }
    return render(request, "detainees/exchange_detail.html", context)


@login_required
@require_POST
def exchange_cancel(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    exchange = _or_404(selectors.exchange_get, user, public_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.exchange_cancel(
                actor=user,
                exchange=exchange,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Exchange cancelled."))
    else:
        messages.error(request, _("Give a reason to cancel the exchange."))
    return redirect(exchange.get_absolute_url())


def _after_transfer(
    request: HttpRequest, user: User, transfer: Transfer, error: str | None
) -> HttpResponse:
    if is_htmx(request):
        fresh = selectors.transfer_get(user, transfer.public_id)
        context = {"row": _transfer_row(user, fresh), "error": error}
        return render(request, "detainees/_transfer_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Transfer %(ref)s updated.") % {"ref": str(transfer)})
    return redirect(transfer.exchange.get_absolute_url())


@login_required
@require_POST
def transfer_hand_over(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    transfer = _or_404(selectors.transfer_get, user, public_id)
    form = VersionForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("The form was incomplete; reload the page.")
    else:
        try:
            services.transfer_hand_over(
                actor=user, transfer=transfer, expected_version=form.cleaned_data["version"]
            )
        except DomainError as exc:
            error = exc.message
    return _after_transfer(request, user, transfer, error)


@login_required
@require_POST
def transfer_confirm(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    transfer = _or_404(selectors.transfer_get, user, public_id)
    form = ConfirmForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("The form was incomplete; reload the page.")
    else:
        try:
            services.transfer_confirm(
                actor=user,
                transfer=transfer,
                side=form.cleaned_data["side"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            error = exc.message
    return _after_transfer(request, user, transfer, error)
