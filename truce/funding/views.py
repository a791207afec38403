"""Funding screens: requirement against funded per sector, flows list/detail, forms.

Views parse, call a selector or a service, and render. Reads go through
truce.funding.selectors, so what a party cannot see is absent here too; a
refusal from a service is shown on the field it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from truce.core.errors import DomainError, PermissionDenied
from truce.core.models import User
from truce.core.selectors import organisations_visible_to
from truce.core.web import viewer
from truce.funding import selectors, services
from truce.funding.charts import bar_chart
from truce.funding.forms import CoverageFilterForm, FlowFilterForm, FlowForm, StatusForm
from truce.funding.models import Flow
from truce.lib.csv_export import csv_response
from truce.lib.time import utcnow

PAGE_SIZE = 100


def _may_write(user: User) -> bool:
    try:
        services.ensure_funding_writer(user)
    except PermissionDenied:
        return False
    return True


def _organisations(user: User) -> list[tuple[str, str]]:
    return [(o.code, str(o)) for o in organisations_visible_to(user).order_by("name")]


def _refuse(form: Any, error: DomainError) -> None:
    if error.field in ("version", "expected_version"):
        form.add_error(
            None,
            _("Someone changed this record meanwhile (%(detail)s). Reload and try again.")
            % {"detail": error.message},
        )
        return
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """Required against committed or paid per sector, as a table and a bar chart."""
    user = viewer(request)
    form = CoverageFilterForm(request.GET or None, currencies=selectors.reporting_currencies(user))
    as_of = form.value("as_of") or utcnow().date()
    reporting = form.value("reporting_currency")
    state = selectors.coverage(user, as_of=as_of, reporting_currency=reporting)
    rows: list[tuple[str, str, Decimal, Decimal]] = []
    for row in state.rows:
        if reporting:
            if row.required.converted or row.funded.converted:
                rows.append((row.label, reporting, row.required.converted, row.funded.converted))
            continue
        for currency in sorted({*row.required.by_currency, *row.funded.by_currency}):
            rows.append(
                (
                    row.label,
                    currency,
                    row.required.by_currency.get(currency, Decimal(0)),
                    row.funded.by_currency.get(currency, Decimal(0)),
                )
            )
    context = {
        "form": form,
        "state": state,
        "chart": bar_chart(rows),
        "may_write": _may_write(user),
    }
    return render(request, "funding/overview.html", context)


@login_required
@require_safe
def flow_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = FlowFilterForm(request.GET or None, organisations=_organisations(user))
    rows = selectors.flows_visible_to(user, **form.selector_kwargs()).order_by("-flow_date", "id")
    if request.GET.get("format") == "csv":
        return _flows_csv(rows.iterator(chunk_size=2000))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "may_write": _may_write(user),
        "query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
    }
    return render(request, "funding/flow_list.html", context)


def _flows_csv(rows: Iterable[Flow]) -> StreamingHttpResponse:
    header = [
        "public_id",
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
        "source",
    ]

    def values() -> Iterator[list[Any]]:
        for f in rows:
            yield [
                f.public_id,
                f.donor.code,
                f.recipient.code,
                f.amount,
                f.currency,
                f.status,
                f.sector,
                f.flow_date,
                f.pledged_on or "",
                f.committed_on or "",
                f.paid_on or "",
                f.source,
            ]

    return csv_response("funding-flows", header, values())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def flow_new(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not _may_write(user):
        raise DjangoPermissionDenied(_("You may not record funding."))
    organisations = _organisations(user)
    form = FlowForm(organisations=organisations, initial={"flow_date": utcnow().date()})
    if request.method == "POST":
        form = FlowForm(request.POST, organisations=organisations)
        if form.is_valid():
            try:
                flow = services.flow_record(
                    actor=user, fields=form.service_fields(), visibility=form.visibility()
                )
            except DomainError as exc:
                _refuse(form, exc)
            else:
                messages.success(request, _("The flow is recorded."))
                return redirect("funding:flow", public_id=flow.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "funding/flow_form.html", {"form": form}, status=status)


def _flow_or_404(user: User, public_id: Any) -> Flow:
    flow = selectors.flows_visible_to(user).filter(public_id=public_id).first()
    if flow is None:
        raise Http404("no such flow")
    return flow


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def flow_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A flow with its status history, and the form to change its status."""
    user = viewer(request)
    flow = _flow_or_404(user, public_id)
    may_write = _may_write(user)
    form = StatusForm(initial={"version": flow.version, "on": utcnow().date()})
    if request.method == "POST":
        if not may_write:
            raise DjangoPermissionDenied(_("You may not change funding flows."))
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                services.flow_status_change(
                    actor=user,
                    flow=flow,
                    expected_version=form.cleaned_data["version"],
                    status=form.cleaned_data["status"],
                    on=form.cleaned_data["on"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                _refuse(form, exc)
            else:
                messages.success(request, _("The flow's status is changed."))
                return redirect("funding:flow", public_id=flow.public_id)
    context = {
        "flow": flow,
        "steps": list(selectors.status_history(user, flow)),
        "form": form,
        "may_write": may_write,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "funding/flow_detail.html", context, status=status)
