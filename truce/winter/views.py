"""Winter readiness screens: the matrix with its map, a settlement's page, the needs list.

Views parse, call a selector or a service, and render. Reads go through
truce.winter.selectors, so what a party cannot see is absent here as
everywhere; a refusal from a service is shown on the field it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from truce.core.errors import DomainError, PermissionDenied
from truce.core.models import Settlement, User
from truce.core.selectors import admin_areas_visible_to, settlements_visible_to
from truce.core.web import viewer
from truce.lib.csv_export import csv_response
from truce.lib.time import utcnow
from truce.winter import selectors, services
from truce.winter.forms import NeedFilterForm, NeedForm, NeedStatusForm, ReadinessFilterForm
from truce.winter.forms import ReportForm as UtilityReportForm
from truce.winter.models import (
    NeedCategory,
    NeedPriority,
    NeedStatus,
    NeedUnit,
    ServiceState,
    SupplyNeed,
    Utility,
)

PAGE_SIZE = 100
STATE_LABELS = dict(ServiceState.choices)
UTILITY_LABELS = dict(Utility.choices)
TOTAL_COLUMNS = (*ServiceState.values, selectors.UNKNOWN)


def _may_write(user: User) -> bool:
    try:
        services.ensure_winter_writer(user)
    except PermissionDenied:
        return False
    return True


def _areas(user: User) -> list[tuple[str, str]]:
    return [(a.pcode, a.display_name) for a in admin_areas_visible_to(user, level=1)]


def _refuse(form: Any, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    if error.field in ("version", "expected_version"):
        form.add_error(
            None,
            _("Someone changed this record meanwhile (%(detail)s). Reload and try again.")
            % {"detail": error.message},
        )
        return
    form.add_error(field, error.message)


# --- the readiness matrix ---------------------------------------------------------------


@login_required
@require_safe
def readiness(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = ReadinessFilterForm(request.GET or None, areas=_areas(user))
    as_of = form.as_of_or(selectors.latest_report_day(user, not_after=utcnow().date()))
    area = form.value("area")
    state = selectors.readiness(user, as_of=as_of, area=area)
    if request.GET.get("format") == "csv":
        return _readiness_csv(state)
    layer_query = {"as_of": as_of.isoformat(), **({"area": area} if area else {})}
    context = {
        "form": form,
        "state": state,
        "utilities": Utility.choices,
        "state_labels": STATE_LABELS,
        "totals": [
            (UTILITY_LABELS[u], [(s, state.totals[u][s]) for s in TOTAL_COLUMNS])
            for u in Utility.values
        ],
        "map_config": {
            "layerUrl": reverse("api:winter_readiness_layer"),
            "query": layer_query,
            "utility": form.value("utility") or "",
            "labels": {
                **{k: str(v) for k, v in STATE_LABELS.items()},
                **{k: str(v) for k, v in UTILITY_LABELS.items()},
                "unknown": _("No report"),
                "since": _("since"),
                "worst": _("Worst state"),
                "open": _("Open the settlement"),
            },
        },
    }
    return render(request, "winter/readiness.html", context)


def _readiness_csv(state: selectors.Readiness) -> StreamingHttpResponse:
    header = ["pcode", "settlement", "as_of"]
    for utility in Utility.values:
        header += [f"{utility}_state", f"{utility}_since", f"{utility}_works_planned"]

    def rows() -> Iterator[list[Any]]:
        for row in state.rows:
            values: list[Any] = [row.settlement.pcode, row.settlement.display_name, state.as_of]
            for _utility, report in row.cells:
                values += (
                    [report.state, report.since, report.works_planned]
                    if report
                    else ["unknown", "", ""]
                )
            yield values

    return csv_response("winter-readiness", header, rows())


# --- one settlement ----------------------------------------------------------------------


def _settlement_or_404(user: User, pcode: str) -> Settlement:
    place = settlements_visible_to(user).filter(pcode=pcode).first()
    if place is None:
        raise Http404("no such settlement")
    return place


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settlement(request: HttpRequest, pcode: str) -> HttpResponse:
    user = viewer(request)
    place = _settlement_or_404(user, pcode)
    may_write = _may_write(user)
    report_form = UtilityReportForm(prefix="report", initial={"since": utcnow().date()})
    need_form = NeedForm(prefix="need", initial={"stated_on": utcnow().date()})
    if request.method == "POST":
        if not may_write:
            raise DjangoPermissionDenied(_("You may not report winter readiness."))
        if "report-utility" in request.POST:
            report_form = UtilityReportForm(request.POST, prefix="report")
            if report_form.is_valid():
                try:
                    services.utility_report_record(
                        actor=user,
                        settlement=place,
                        utility=report_form.cleaned_data["utility"],
                        fields=report_form.service_fields(),
                        visibility=report_form.visibility(),
                    )
                except DomainError as exc:
                    _refuse(report_form, exc)
                else:
                    messages.success(request, _("The report is recorded."))
                    return redirect("winter:settlement", pcode=place.pcode)
        else:
            need_form = NeedForm(request.POST, prefix="need")
            if need_form.is_valid():
                try:
                    services.need_record(
                        actor=user,
                        settlement=place,
                        fields=need_form.service_fields(),
                        visibility=need_form.visibility(),
                    )
                except DomainError as exc:
                    _refuse(need_form, exc)
                else:
                    messages.success(request, _("The need is recorded."))
                    return redirect("winter:settlement", pcode=place.pcode)
    history = selectors.settlement_history(user, place)
    context = {
        "settlement": place,
        "history": [(UTILITY_LABELS[u], history[u]) for u in Utility.values],
        "needs": list(selectors.needs_visible_to(user, settlement=place.pcode)),
        "may_write": may_write,
        "report_form": report_form,
        "need_form": need_form,
        "state_labels": STATE_LABELS,
        "labels": _need_labels(),
        "status_choices": NeedStatus.choices,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "winter/settlement.html", context, status=status)


def _need_labels() -> dict[str, dict[str, Any]]:
    return {
        "category": dict(NeedCategory.choices),
        "unit": dict(NeedUnit.choices),
        "priority": dict(NeedPriority.choices),
        "status": dict(NeedStatus.choices),
    }


@login_required
@require_http_methods(["POST"])
def need_status(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    need = selectors.needs_visible_to(user).filter(public_id=public_id).first()
    if need is None:
        raise Http404("no such need")
    if not _may_write(user):
        raise DjangoPermissionDenied(_("You may not change needs."))
    form = NeedStatusForm(request.POST)
    if form.is_valid():
        try:
            services.need_update(
                actor=user,
                need=need,
                expected_version=form.cleaned_data["version"],
                changes={"status": form.cleaned_data["status"]},
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The need's status is changed."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect("winter:settlement", pcode=need.settlement.pcode)


# --- needs -------------------------------------------------------------------------------


@login_required
@require_safe
def need_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = NeedFilterForm(request.GET or None, areas=_areas(user))
    rows = selectors.needs_visible_to(user, **form.selector_kwargs()).order_by(
        "settlement__display_name", "category", "item"
    )
    if request.GET.get("format") == "csv":
        return _needs_csv(rows.iterator(chunk_size=2000))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = selectors.open_needs_by_category(user, area=form.selector_kwargs().get("area"))
    labels = _need_labels()
    context = {
        "form": form,
        "page": page,
        "labels": labels,
        "totals": [
            (labels["category"][category], [(labels["unit"][u], q) for u, q in units.items()])
            for category, units in totals.items()
        ],
        "query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
    }
    return render(request, "winter/need_list.html", context)


def _needs_csv(rows: Iterable[SupplyNeed]) -> StreamingHttpResponse:
    header = [
        "public_id",
        "pcode",
        "settlement",
        "category",
        "item",
        "quantity",
        "unit",
        "priority",
        "status",
        "stated_on",
        "needed_by",
        "source",
    ]

    def values() -> Iterator[list[Any]]:
        for need in rows:
            yield [
                need.public_id,
                need.settlement.pcode,
                need.settlement.display_name,
                need.category,
                need.item,
                need.quantity,
                need.unit,
                need.priority,
                need.status,
                need.stated_on,
                need.needed_by or "",
                need.source,
            ]

    return csv_response("winter-needs", header, values())
