"""The displacement and returns screens, under /population/.

Views parse, call a selector or service, and render. Every list, page, map
and export reads through truce.population.selectors, so household personal
fields arrive redacted for the viewer and another party's records never show.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from truce.core.errors import DomainError, NotFound, PermissionDenied
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import Settlement, User
from truce.core.selectors import settlements_visible_to
from truce.core.web import viewer
from truce.lib.csv_export import csv_response
from truce.lib.time import utcnow
from truce.population import geojson, selectors, services
from truce.population.forms import (
    DIRECTION_LABELS,
    INTENTION_LABELS,
    VULNERABILITY_LABELS,
    FlowCountForm,
    HouseholdFilterForm,
    HouseholdForm,
    ReturnFilterForm,
    ReturnForm,
    members_text,
)
from truce.population.models import Household
from truce.population.redaction import PERSONAL_FIELDS, hidden_fields
from truce.population.serializers import HOUSEHOLD_CSV_COLUMNS, household_csv_row
from truce.population.services.common import HOUSEHOLD_ROLES, MOVEMENT_ROLES, ensure_writer
from truce.population.services.households import SETTLEMENT_REFERENCES
from truce.population.web import flow_chart

PAGE_SIZE = 50
FIGURES = (
    "displaced_estimated",
    "returns_escorted_to_stepanakert_since_14_nov",
    "returns_escorted_since_14_nov",
    "returns_stated_whole_area",
)


def _may(user: User, roles: Any, *, agencies: bool = False) -> bool:
    from truce.core.sharing import Scope

    scopes = {Scope.MISSION, Scope.AGENCIES} if agencies else {Scope.MISSION}
    try:
        ensure_writer(user, roles, "", scopes=scopes)
    except PermissionDenied:
        return False
    return True


def _settlement_codes(user: User) -> list[Settlement]:
    return list(settlements_visible_to(user).order_by("pcode"))


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


# --- overview ----------------------------------------------------------------------------


@login_required
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    query = FigureQuery(user=user)
    points = selectors.monitoring_points_visible_to(user)
    codes = [p.code for p in points]
    chosen = request.GET.get("point") or (codes[0] if codes else "")
    if chosen and chosen not in codes:
        raise Http404(_("No such monitoring point."))
    days = selectors.flow_days(user, point=chosen) if chosen else []
    counts = selectors.household_counts(user)
    context = {
        "figures": [figure_value(key, query) for key in FIGURES],
        "baselines": list(selectors.baselines_visible_to(user)),
        "destinations": selectors.returns_by_destination(user),
        "returns_daily": selectors.returns_daily(user),
        "points": points,
        "point": chosen,
        "chart": flow_chart(days),
        "household_counts": counts,
        "intention_counts": [
            (label, counts.get(f"households_{key}", 0)) for key, label in INTENTION_LABELS.items()
        ],
        "map_data": {
            "returns": geojson.returns_layer(user),
            "origins": geojson.household_origins_layer(user),
            "labels": {
                "people": _("people"),
                "movements": _("movements"),
                "households": _("households"),
            },
        },
    }
    return render(request, "population/overview.html", context)


# --- monitoring points -------------------------------------------------------------------


@login_required
@require_safe
def point_list(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    totals = selectors.flow_totals_by_point(user)
    rows = [
        {
            "point": p,
            "inbound": totals.get(p.pk, {}).get("inbound", 0),
            "outbound": totals.get(p.pk, {}).get("outbound", 0),
        }
        for p in selectors.monitoring_points_visible_to(user)
    ]
    return render(request, "population/point_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def point_detail(request: HttpRequest, code: str) -> HttpResponseBase:
    user = viewer(request)
    try:
        point = selectors.monitoring_point_get(user, code)
    except NotFound:
        raise Http404(_("No such monitoring point.")) from None
    can_count = _may(user, MOVEMENT_ROLES)
    form = FlowCountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_count:
            return render(request, "population/not_allowed.html", status=403)
        if form.is_valid():
            try:
                result = services.flow_count_record(
                    actor=user, point=point.code, **form.cleaned_data
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                done = _("Count corrected.") if result.outcome == "updated" else _("Count saved.")
                messages.success(request, done)
                return redirect("population:point-detail", code=point.code)
    days = selectors.flow_days(user, point=point.code)
    if request.GET.get("format") == "csv":
        rows = selectors.flow_counts_visible_to(user, point=point.code)
        return csv_response(
            f"flows-{point.code}",
            ["point", "day", "direction", "escorted", "people", "vehicles", "version", "source"],
            (
                [
                    r.point.code,
                    r.day.isoformat(),
                    r.direction,
                    r.escorted,
                    r.people,
                    r.vehicles if r.vehicles is not None else "",
                    r.version,
                    r.source,
                ]
                for r in rows
            ),
        )
    context = {
        "point": point,
        "days": days,
        "chart": flow_chart(days),
        "direction_labels": DIRECTION_LABELS,
        "form": form if can_count else None,
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "population/point_detail.html", context, status=status)


# --- escorted returns --------------------------------------------------------------------


@login_required
@require_safe
def return_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = ReturnFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    rows = selectors.returns_visible_to(user, **filters)
    if request.GET.get("format") == "csv":
        return csv_response(
            "returns",
            [
                "reference",
                "date",
                "from",
                "to",
                "people",
                "vehicles",
                "escort",
                "checkpoint",
                "source",
            ],
            (
                [
                    r.reference,
                    r.date.isoformat(),
                    r.from_settlement.pcode if r.from_settlement else r.from_text,
                    r.to_settlement.pcode,
                    r.people,
                    r.vehicles if r.vehicles is not None else "",
                    r.escort,
                    r.checkpoint.code if r.checkpoint else "",
                    r.source,
                ]
                for r in rows
            ),
        )
    movements = list(rows)
    context = {
        "form": form,
        "rows": movements,
        "total": sum(r.people for r in movements),
        "can_record": _may(user, MOVEMENT_ROLES),
        "query": request.GET.urlencode(),
    }
    return render(request, "population/return_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def return_new(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not _may(user, MOVEMENT_ROLES):
        return render(request, "population/not_allowed.html", status=403)
    points = selectors.monitoring_points_visible_to(user)
    form = ReturnForm(request.POST or None, points=points)
    if request.method == "POST" and form.is_valid():
        data, visibility = form.service_data()
        try:
            services.return_movement_create(actor=user, data=data, visibility=visibility)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Return movement recorded."))
            return redirect("population:return-list")
    status = 422 if form.is_bound and form.errors else 200
    context = {"form": form, "settlements": _settlement_codes(user)}
    return render(request, "population/return_form.html", context, status=status)


# --- households ----------------------------------------------------------------------------


def _household_filters(form: HouseholdFilterForm) -> dict[str, Any]:
    if not (form.is_bound and form.is_valid()):
        return {}
    return {k: v for k, v in form.cleaned_data.items() if v}


@login_required
@require_safe
def household_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = HouseholdFilterForm(request.GET or None)
    rows = selectors.households_visible_to(user, **_household_filters(form))
    if request.GET.get("format") == "csv":
        return csv_response(
            "households",
            HOUSEHOLD_CSV_COLUMNS,
            (household_csv_row(row, user) for row in rows.iterator(chunk_size=1000)),
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": list(page.object_list),
        "hidden": hidden_fields(user),
        "can_register": _may(user, HOUSEHOLD_ROLES, agencies=True),
        "query": params.urlencode(),
        "intention_labels": INTENTION_LABELS,
        "vulnerability_labels": VULNERABILITY_LABELS,
        "settlements": _settlement_codes(user),
    }
    return render(request, "population/household_list.html", context)


def _household(user: User, public_id: Any) -> Household:
    try:
        return selectors.household_get(user, public_id)
    except NotFound:
        raise Http404(_("No such household.")) from None


@login_required
@require_safe
def household_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    household = _household(user, public_id)
    history = list(reversed(selectors.household_history(household, user)))
    context = {
        "household": household,
        "history": history,
        "personal_fields": [n for n in PERSONAL_FIELDS if n not in household.redacted_fields],
        "can_edit": _may(user, HOUSEHOLD_ROLES, agencies=True),
        "intention_labels": INTENTION_LABELS,
        "vulnerability_labels": VULNERABILITY_LABELS,
    }
    return render(request, "population/household_detail.html", context)


def _initial(household: Household) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(household, name)
        for name in (
            "code",
            "size",
            "vulnerabilities",
            "current_location_text",
            "intention",
            "expected_on",
            "registered_on",
            "head_name",
            "phone",
            "document_number",
            "protection_notes",
        )
    }
    for name in ("origin_settlement", *SETTLEMENT_REFERENCES):
        target = getattr(household, name)
        initial[name] = target.pcode if target else ""
    initial["members"] = members_text(household.members)
    initial["version"] = household.version
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def household_form(request: HttpRequest, public_id: Any = None) -> HttpResponse:
    user = viewer(request)
    if not _may(user, HOUSEHOLD_ROLES, agencies=True):
        return render(request, "population/not_allowed.html", status=403)
    household = _household(user, public_id) if public_id else None
    initial = _initial(household) if household else {"registered_on": utcnow().date()}
    form = HouseholdForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            if household is None:
                saved = services.household_register(actor=user, data=data)
            else:
                saved = services.household_update(
                    actor=user,
                    household=household,
                    expected_version=form.cleaned_data.get("version"),
                    changes=data,
                )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Household saved."))
            return redirect("population:household-detail", public_id=saved.public_id)
    status = 422 if form.is_bound and form.errors else 200
    context = {"form": form, "household": household, "settlements": _settlement_codes(user)}
    return render(request, "population/household_form.html", context, status=status)
