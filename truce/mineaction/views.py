"""Mine action screens: the hazard map with land-release progress, lists, a hazard's page,
forms for a hazard, its status and an activity's result, and the totals with CSV.

Views parse, call a selector or a service, and render. Reads go through
truce.mineaction.selectors, so what a party cannot see is absent here as
everywhere; a refusal from a service is shown on the field it names.
"""

from __future__ import annotations

import uuid
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
from truce.core.selectors import (
    admin_areas_visible_to,
    organisations_visible_to,
    settlements_visible_to,
)
from truce.core.serializers import history_out
from truce.core.web import viewer
from truce.lib.csv_export import csv_response
from truce.lib.time import utcnow
from truce.mineaction import charts, rollups, selectors, services, task_services
from truce.mineaction.forms import (
    AccidentFilterForm,
    AccidentForm,
    ActivityChangeForm,
    ActivityForm,
    BuildingCheckForm,
    HazardForm,
    ResultForm,
    RoadCheckForm,
    StatusForm,
    TotalsFilterForm,
)
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


def _refuse(form: Any, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the field it names (a stale version above the form)."""
    if error.field in ("version", "expected_version"):
        form.add_error(
            None,
            _("Someone changed this record meanwhile (%(detail)s). Reload and try again.")
            % {"detail": error.message},
        )
        return
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


def _places(user: User) -> list[tuple[str, str]]:
    return [(s.pcode, s.display_name) for s in settlements_visible_to(user)]


def _areas(user: User) -> list[tuple[str, str]]:
    return [(a.pcode, a.display_name) for a in admin_areas_visible_to(user)]


def _organisations(user: User) -> list[tuple[str, str]]:
    return [(o.code, str(o)) for o in organisations_visible_to(user)]


def _hazards(user: User) -> list[tuple[str, str]]:
    return [(str(h.public_id), str(h)) for h in selectors.hazard_areas_visible_to(user)]


def _tasks(user: User) -> list[tuple[str, str]]:
    return [
        (t.reference, f"{t.reference} ({t.get_kind_display()})")
        for t in selectors.activities_visible_to(user)
    ]


def _ensure_writer(user: User) -> None:
    if not _may_write(user):
        raise DjangoPermissionDenied(_("You may not record mine action."))


def _activity_or_404(user: User, public_id: Any) -> Activity:
    task = selectors.activities_visible_to(user).filter(public_id=public_id).first()
    if task is None:
        raise Http404("no such activity")
    return task


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
    context = {"page": page, "kinds": KIND_LABELS, "may_write": _may_write(user)}
    return render(request, "mineaction/activity_list.html", context)


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
    task = _activity_or_404(user, public_id)
    form = ResultForm(initial={"reported_on": utcnow().date()})
    if request.method == "POST":
        _ensure_writer(user)
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
    return _activity_page(request, user, task, result_form=form)


def _activity_page(
    request: HttpRequest,
    user: User,
    task: Activity,
    *,
    result_form: ResultForm | None = None,
    change_form: ActivityChangeForm | None = None,
) -> HttpResponse:
    may_write = _may_write(user)
    if result_form is None:
        result_form = ResultForm(initial={"reported_on": utcnow().date()})
    if change_form is None:
        change_form = ActivityChangeForm(
            initial={
                "version": task.version,
                "status": task.status,
                "start_date": task.start_date,
                "end_date": task.end_date,
            }
        )
    context = {
        "activity": task,
        "hazard": task.hazard,
        "results": list(selectors.results_visible_to(user, activity=task)),
        "devices": list(selectors.devices_visible_to(user, activity=task)),
        "roads": list(selectors.road_checks_visible_to(user).filter(activity=task)),
        "buildings": list(selectors.building_checks_visible_to(user).filter(activity=task)),
        "categories": CATEGORY_LABELS,
        "kinds": KIND_LABELS,
        "form": result_form,
        "change_form": change_form,
        "may_write": may_write and task.hazard_id is not None,
        "may_change": may_write,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "mineaction/activity.html", context, status=status)


@login_required
@require_POST
def activity_change(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A new version of the task's status and dates; a stale version is refused."""
    user = viewer(request)
    task = _activity_or_404(user, public_id)
    _ensure_writer(user)
    form = ActivityChangeForm(request.POST)
    if form.is_valid():
        try:
            task_services.activity_update(
                actor=user,
                activity=task,
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
            )
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("The task is changed."))
            return redirect("mineaction:activity", public_id=task.public_id)
    return _activity_page(request, user, task, change_form=form)


# A refusal from a result or a device count written with the task names the result's
# own field; "activity" there means the task has no hazard area to release land from.
ACTIVITY_ALIASES = {"activity": "hazard"}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_new(request: HttpRequest) -> HttpResponse:
    """Record a task, with its first land release result and device counts if reported."""
    user = viewer(request)
    _ensure_writer(user)
    initial: dict[str, Any] = {"start_date": utcnow().date()}
    on = request.GET.get("hazard")
    if on:
        area = _hazard_or_404(user, _uuid_or_404(on))
        initial.update(hazard=str(area.public_id), kind="clearance")
    form = ActivityForm(
        request.POST or None,
        organisations=_organisations(user),
        hazards=_hazards(user),
        places=_places(user),
        areas=_areas(user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            task = task_services.activity_record(
                actor=user,
                fields=form.service_fields(),
                results=form.results(),
                devices=form.devices(),
                visibility=form.visibility(),
            )
        except DomainError as exc:
            _refuse(form, exc, ACTIVITY_ALIASES)
        else:
            messages.success(request, _("The task is recorded."))
            return redirect("mineaction:activity", public_id=task.public_id)
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "title": _("Record a mine action task"),
        "submit": _("Record the task"),
    }
    return render(request, "mineaction/record_form.html", context, status=status)


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("not an id") from None


def _check_initial(request: HttpRequest, user: User, day_field: str) -> dict[str, Any]:
    """A check opened from a task's page starts with the task, its organisation and place."""
    initial: dict[str, Any] = {day_field: utcnow().date()}
    of = request.GET.get("activity")
    if of:
        task = _activity_or_404(user, _uuid_or_404(of))
        initial.update(activity=task.reference, organisation=task.organisation.code)
        if task.settlement is not None:
            initial["settlement"] = task.settlement.pcode
    return initial


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def road_check_new(request: HttpRequest) -> HttpResponse:
    """A road checked: its line drawn on the map or pasted as GeoJSON."""
    user = viewer(request)
    _ensure_writer(user)
    form = RoadCheckForm(
        request.POST or None,
        organisations=_organisations(user),
        activities=_tasks(user),
        places=_places(user),
        initial=_check_initial(request, user, "checked_on"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            check = task_services.road_check_record(
                actor=user, fields=form.service_fields(), visibility=form.visibility()
            )
        except DomainError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, _("The road check is recorded."))
            return redirect(_after_check(check.activity))
    status = 400 if request.method == "POST" else 200
    return render(request, "mineaction/road_check_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def building_check_new(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    _ensure_writer(user)
    form = BuildingCheckForm(
        request.POST or None,
        organisations=_organisations(user),
        activities=_tasks(user),
        places=_places(user),
        initial=_check_initial(request, user, "checked_on"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            check = task_services.building_check_record(
                actor=user, fields=form.service_fields(), visibility=form.visibility()
            )
        except DomainError as exc:
            _refuse(form, exc, {"geometry": "longitude"})
        else:
            messages.success(request, _("The building check is recorded."))
            return redirect(_after_check(check.activity))
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "title": _("Record a building check"),
        "submit": _("Record the building check"),
    }
    return render(request, "mineaction/record_form.html", context, status=status)


def _after_check(task: Activity | None) -> str:
    if task is not None:
        return reverse("mineaction:activity", kwargs={"public_id": task.public_id})
    return reverse("mineaction:map")


# --- accidents ------------------------------------------------------------------------------
# Accidents are the mission's unless shared on purpose: the selector decides, so another
# party's list is empty (as every list here) and a detail it may not see is a 404.


@login_required
@require_safe
def accident_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = AccidentFilterForm(request.GET or None, places=_places(user))
    rows = selectors.accidents_visible_to(user, **form.where())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "may_write": _may_write(user),
    }
    return render(request, "mineaction/accident_list.html", context)


@login_required
@require_safe
def accident(request: HttpRequest, public_id: Any) -> HttpResponseBase:
    user = viewer(request)
    row = selectors.accidents_visible_to(user).filter(public_id=public_id).first()
    if row is None:
        raise Http404("no such accident")
    victims = [
        (_("Men"), row.killed_men, row.injured_men),
        (_("Women"), row.killed_women, row.injured_women),
        (_("Boys"), row.killed_boys, row.injured_boys),
        (_("Girls"), row.killed_girls, row.injured_girls),
    ]
    context = {"accident": row, "victims": victims, "history": history_out(row, user)}
    return render(request, "mineaction/accident.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def accident_new(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    _ensure_writer(user)
    form = AccidentForm(
        request.POST or None,
        places=_places(user),
        areas=_areas(user),
        initial={"occurred_on": utcnow().date()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            row = task_services.accident_record(
                actor=user, fields=form.service_fields(), visibility=form.visibility()
            )
        except DomainError as exc:
            _refuse(form, exc, {"geometry": "longitude"})
        else:
            messages.success(request, _("The accident is recorded."))
            # A writer outside the mission who did not share it with their party
            # cannot open it: back to the list, which says nothing it should not.
            if selectors.accidents_visible_to(user).filter(pk=row.pk).exists():
                return redirect("mineaction:accident", public_id=row.public_id)
            return redirect("mineaction:accident-list")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": _("Record an accident"), "submit": _("Record the accident")}
    return render(request, "mineaction/record_form.html", context, status=status)


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
