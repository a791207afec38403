"""Mine action screens: the hazard map with land-release progress, lists, a hazard's page,
forms for a hazard, its status and an activity's result, and the totals with CSV.

Views parse, call a selector or a service, and render. Reads go through
truce.mineaction.selectors, so what a party cannot see is absent here as
everywhere; a refusal from a service is shown on the field it names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from truce.core.errors import DomainError, PermissionDenied
from truce.core.models import User
from truce.core.selectors import admin_areas_visible_to, settlements_visible_to
from truce.core.serializers import history_out
from truce.core.web import viewer
from truce.lib.csv_export import csv_response
from truce.lib.time import utcnow
from truce.mineaction import charts, rollups, selectors, services, task_services
from truce.mineaction.forms import HazardForm, ResultForm, StatusForm, TotalsFilterForm
from truce.mineaction.models import (
    Activity,
    ActivityKind,
    DeviceCategory,
    HazardArea,
    HazardStatus,
)

PAGE_SIZE = 100
STATUS_LABELS = dict(HazardStatus.choices)
CATEGORY_LABELS = dict(DeviceCategory.choices)
KIND_LABELS = dict(ActivityKind.choices)


def _may_write(user: User) -> bool:
    try:
        services.ensure_mine_action_writer(user)
    except PermissionDenied:
        return False
    return True


def _refuse(form: Any, error: DomainError) -> None:
    if error.field in ("version", "expected_version"):
        form.add_error(
            None,
            _("Someone changed this record meanwhile (%(detail)s). Reload and try again.")
            % {"detail": error.message},
        )
        return
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _places(user: User) -> list[tuple[str, str]]:
    return [(s.pcode, s.display_name) for s in settlements_visible_to(user)]


def _areas(user: User) -> list[tuple[str, str]]:
    return [(a.pcode, a.display_name) for a in admin_areas_visible_to(user)]


def _hazard_or_404(user: User, public_id: Any) -> HazardArea:
    hazard = selectors.hazard_areas_visible_to(user).filter(public_id=public_id).first()
    if hazard is None:
        raise Http404("no such hazard area")
    return hazard


def _totals_cards(totals: rollups.Totals) -> list[tuple[str, str, str]]:
    return [
        (_("Land cleared"), f"{totals.cleared_ha:,.1f}", _("ha")),
        (_("Road checked"), f"{totals.road_km:,.1f}", _("km")),
        (_("Buildings checked"), f"{totals.buildings_checked:,}", ""),
        (_("Explosive items destroyed"), f"{totals.items_destroyed:,}", ""),
        (_("Open hazard areas"), f"{totals.hazards[HazardStatus.OPEN].count}", ""),
    ]


# --- the hazard map ---------------------------------------------------------------------


@login_required
@require_safe
def hazard_map(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    where = rollups.Where()
    totals = rollups.mine_action_totals(user, where)
    chart = charts.cumulative_chart(rollups.cumulative_series(user, where))
    hazards = sorted(
        selectors.hazard_areas_visible_to(user),
        key=lambda h: (h.status != HazardStatus.OPEN, h.reference),
    )
    context = {
        "cards": _totals_cards(totals),
        "chart": chart,
        "progress": _progress_rows(user, hazards),
        "may_write": _may_write(user),
        "map_config": {
            "layerUrl": reverse("api:mineaction_hazards_layer"),
            "roadsUrl": reverse("api:mineaction_roads_layer"),
            "labels": {
                **{k: str(v) for k, v in STATUS_LABELS.items()},
                "area": _("Area"),
                "released": _("Released"),
                "cleared": _("Cleared"),
                "since": _("since"),
                "open_page": _("Open the hazard area"),
                "road": _("Road checked"),
                "approximate": _("Position approximate"),
            },
        },
    }
    return render(request, "mineaction/map.html", context)


# --- lists -------------------------------------------------------------------------------


@login_required
@require_safe
def hazard_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    status = request.GET.get("status") or None
    if status not in (None, *HazardStatus.values):
        status = None
    rows = selectors.hazard_areas_visible_to(user, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = _progress_rows(user, list(page.object_list))
    context = {
        "page": page,
        "items": items,
        "status": status or "",
        "statuses": HazardStatus.choices,
        "may_write": _may_write(user),
    }
    return render(request, "mineaction/hazard_list.html", context)


def _progress_rows(
    user: User, hazards: list[HazardArea]
) -> list[tuple[HazardArea, float, float, int]]:
    """Each hazard with its area and the land released so far (ha), and the share (%)."""
    released = rollups.released_by_hazard(user, hazards)
    return [
        (
            h,
            h.area_m2 / rollups.M2_PER_HA,
            released.get(h.pk, {}).get("released_m2", 0.0) / rollups.M2_PER_HA,
            _share(h, released),
        )
        for h in hazards
    ]


def _share(hazard: HazardArea, released: dict[int, dict[str, float]]) -> int:
    done = released.get(hazard.pk, {}).get("released_m2", 0.0)
    return min(100, round(100 * done / hazard.area_m2)) if hazard.area_m2 else 0


@login_required
@require_safe
def activity_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    rows = selectors.activities_visible_to(user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "mineaction/activity_list.html", {"page": page, "kinds": KIND_LABELS})


# --- one hazard area ------------------------------------------------------------------------


@login_required
@require_safe
def hazard(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    area = _hazard_or_404(user, public_id)
    return _hazard_page(request, user, area, status_form=None)


def _release_choices(user: User, area: HazardArea) -> list[tuple[str, str]]:
    return [
        (str(r.public_id), f"{r.activity.reference}, {r.reported_on.isoformat()}")
        for r in selectors.results_visible_to(user, hazard=area)
    ]


def _hazard_page(
    request: HttpRequest, user: User, area: HazardArea, *, status_form: StatusForm | None
) -> HttpResponse:
    activities = list(selectors.activities_visible_to(user, hazard=area))
    results = list(selectors.results_visible_to(user, hazard=area))
    released = rollups.released_by_hazard(user, [area]).get(area.pk, {})
    if status_form is None:
        status_form = StatusForm(
            initial={"version": area.version, "since": utcnow().date()},
            releases=_release_choices(user, area),
        )
    context = {
        "hazard": area,
        "activities": activities,
        "results": results,
        "released": released,
        "share": _share(area, {area.pk: released}),
        "history": history_out(area, user),
        "status_form": status_form,
        "may_write": _may_write(user),
        "kinds": KIND_LABELS,
        "map_config": {"geometry": area.geometry, "status": area.status},
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "mineaction/hazard.html", context, status=status)


@login_required
@require_POST
def hazard_status(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    area = _hazard_or_404(user, public_id)
    if not _may_write(user):
        raise DjangoPermissionDenied(_("You may not record mine action."))
    form = StatusForm(request.POST, releases=_release_choices(user, area))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.hazard_area_change_status(
                actor=user,
                hazard=area,
                expected_version=data["version"],
                status=data["status"],
                since=data["since"],
                released_by=data.get("released_by") or None,
                note=data.get("note") or "",
            )
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("The status is changed."))
            return redirect("mineaction:hazard", public_id=area.public_id)
    return _hazard_page(request, user, area, status_form=form)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def hazard_new(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not _may_write(user):
        raise DjangoPermissionDenied(_("You may not record mine action."))
    form = HazardForm(
        request.POST or None, places=_places(user), initial={"reported_on": utcnow().date()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            area = services.hazard_area_record(
                actor=user, fields=form.service_fields(), visibility=form.visibility()
            )
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("The hazard area is recorded."))
            return redirect("mineaction:hazard", public_id=area.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "mineaction/hazard_form.html", {"form": form}, status=status)


# --- one activity ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    task: Activity | None = (
        selectors.activities_visible_to(user).filter(public_id=public_id).first()
    )
    if task is None:
        raise Http404("no such activity")
    may_write = _may_write(user)
    form = ResultForm(initial={"reported_on": utcnow().date()})
    if request.method == "POST":
        if not may_write:
            raise DjangoPermissionDenied(_("You may not record mine action."))
        form = ResultForm(request.POST)
        if form.is_valid():
            try:
                task_services.land_release_record(
                    actor=user, activity=task, fields=form.service_fields()
                )
            except DomainError as exc:
                _refuse(form, exc)
            else:
                messages.success(request, _("The result is recorded."))
                return redirect("mineaction:activity", public_id=task.public_id)
    context = {
        "activity": task,
        "hazard": task.hazard,
        "results": list(selectors.results_visible_to(user, activity=task)),
        "devices": list(selectors.devices_visible_to(user, activity=task)),
        "categories": CATEGORY_LABELS,
        "kinds": KIND_LABELS,
        "form": form,
        "may_write": may_write and task.hazard_id is not None,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "mineaction/activity.html", context, status=status)


# --- totals ---------------------------------------------------------------------------------


@login_required
@require_safe
def totals(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = TotalsFilterForm(request.GET or None, areas=_areas(user), places=_places(user))
    where = rollups.Where(**form.where())
    result = rollups.mine_action_totals(user, where)
    if request.GET.get("format") == "csv":
        return csv_response("mineaction-totals", ["measure", "value", "unit"], _csv_rows(result))
    chart = charts.cumulative_chart(rollups.cumulative_series(user, where))
    context = {
        "form": form,
        "totals": result,
        "cards": _totals_cards(result),
        "chart": chart,
        "categories": [(CATEGORY_LABELS[c], n) for c, n in result.destroyed_by_category.items()],
        "hazards": [
            (STATUS_LABELS[s], t.count, t.area_m2 / rollups.M2_PER_HA)
            for s, t in result.hazards.items()
        ],
    }
    return render(request, "mineaction/totals.html", context)


def _csv_rows(result: rollups.Totals) -> Iterator[list[Any]]:
    where = result.where
    yield ["from", where.start or "", "date"]
    yield ["to", where.end or "", "date"]
    yield ["admin_area", where.admin_area or "", "P-code"]
    yield ["settlement", where.settlement or "", "P-code"]
    yield ["land_cleared", round(result.cleared_ha, 4), "ha"]
    yield ["land_reduced", round(result.reduced_ha, 4), "ha"]
    yield ["land_cancelled", round(result.cancelled_ha, 4), "ha"]
    yield ["road_checked", round(result.road_km, 3), "km"]
    yield ["buildings_checked", result.buildings_checked, "buildings"]
    yield ["items_found", result.items_found, "items"]
    yield ["items_destroyed", result.items_destroyed, "items"]
    for category, n in result.destroyed_by_category.items():
        yield [f"items_destroyed_{category}", n, "items"]
    for status, tally in result.hazards.items():
        yield [f"hazards_{status}", tally.count, "areas"]
        yield [f"hazards_{status}_area", round(tally.area_m2 / rollups.M2_PER_HA, 4), "ha"]
