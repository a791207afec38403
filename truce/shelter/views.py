"""The shelter screens: shelters, a shelter's page, the gap, the allocation, the map.

Views only parse, call a selector or service, and render. Every read goes through
truce.shelter.selectors (a hidden shelter or run is a 404 here as in the API); writes
call the same services as the API, and a refusal is shown on the field it names.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from truce.core.errors import DomainError, NotFound
from truce.core.models import User
from truce.core.web import is_htmx, viewer
from truce.lib.time import utcnow
from truce.shelter import allocation, gap, selectors, services
from truce.shelter.forms import AsOfForm, OccupancyForm, RunForm, StatusForm, refuse
from truce.shelter.models import AllocationRun, Shelter, ShelterKind, ShelterStatus
from truce.shelter.web import area_chart, date_chart, placement_rows, status_timeline

CHART_DAYS = 21
PLACEMENT_LIMIT = 500


def _as_of(request: HttpRequest, user: User) -> tuple[AsOfForm, dt.date]:
    form = AsOfForm(request.GET)
    day = form.cleaned_data.get("as_of") if form.is_valid() else None
    if day is None:
        day = selectors.latest_data_day(user, utcnow().date())
        form = AsOfForm({"as_of": day.isoformat()})
        form.is_valid()
    return form, day


def _shelter_or_404(user: User, public_id: Any) -> Shelter:
    try:
        return selectors.shelter_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such shelter.")) from None


def _run_or_404(user: User, public_id: Any) -> AllocationRun:
    try:
        return selectors.run_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such allocation run.")) from None


def _may_write(user: User) -> bool:
    try:
        services.ensure_shelter_writer(user)
    except DomainError:
        return False
    return True


# --- shelters ----------------------------------------------------------------------------


CSV_COLUMNS = (
    "code",
    "name",
    "settlement",
    "kind",
    "status",
    "capacity",
    "occupied",
    "allocated",
    "free",
)


@login_required
@require_safe
def shelter_list(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    form, day = _as_of(request, user)
    rows = selectors.shelter_places(user, day)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="shelters-{day}.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            s = r.shelter
            writer.writerow(
                [
                    s.code,
                    s.name,
                    s.settlement.pcode,
                    s.kind,
                    s.status,
                    s.capacity,
                    r.occupied,
                    r.allocated,
                    r.free,
                ]
            )
        return response
    totals = {
        "capacity": sum(r.shelter.capacity for r in rows),
        "places": sum(r.places for r in rows),
        "occupied": sum(r.occupied for r in rows),
        "allocated": sum(r.allocated for r in rows),
        "free": sum(r.free for r in rows),
    }
    context = {
        "form": form,
        "as_of": day,
        "rows": rows,
        "totals": totals,
        "kinds": dict(ShelterKind.choices),
        "statuses": dict(ShelterStatus.choices),
    }
    return render(request, "shelter/shelter_list.html", context)


def _shelter_page(
    request: HttpRequest,
    user: User,
    shelter: Shelter,
    *,
    occupancy_form: OccupancyForm | None = None,
    status_form: StatusForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form, day = _as_of(request, user)
    places = selectors.shelter_places(
        user, day, selectors.shelters_visible_to(user).filter(pk=shelter.pk)
    )[0]
    run = selectors.current_run(user)
    placements = (
        list(selectors.placements_visible_to(user, run=run, shelter=shelter)[:PLACEMENT_LIMIT])
        if run
        else []
    )
    context = {
        "shelter": shelter,
        "places": places,
        "as_of": day,
        "form": form,
        "timeline": status_timeline(shelter, user),
        "counts": list(selectors.occupancy_visible_to(user, shelter=shelter)),
        "run": run,
        "placements": placement_rows(placements, selectors.households_of(user, placements), user),
        "may_write": _may_write(user),
        "occupancy_form": occupancy_form or OccupancyForm(initial={"counted_on": day}),
        "status_form": status_form
        or StatusForm(
            initial={
                "version": shelter.version,
                "status": shelter.status,
                "capacity": shelter.capacity,
                "status_since": shelter.status_since,
            }
        ),
        "kinds": dict(ShelterKind.choices),
        "statuses": dict(ShelterStatus.choices),
    }
    return render(request, "shelter/shelter_detail.html", context, status=status)


@login_required
@require_safe
def shelter_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    return _shelter_page(request, user, _shelter_or_404(user, public_id))


@login_required
@require_POST
def shelter_occupancy(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    shelter = _shelter_or_404(user, public_id)
    form = OccupancyForm(request.POST)
    if form.is_valid():
        try:
            services.occupancy_record(actor=user, shelter=shelter, **form.cleaned_data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            return redirect(shelter.get_absolute_url())
    return _shelter_page(request, user, shelter, occupancy_form=form, status=422)


@login_required
@require_POST
def shelter_status(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    shelter = _shelter_or_404(user, public_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        changes = {k: v for k, v in data.items() if v is not None and getattr(shelter, k) != v}
        try:
            if changes:
                services.shelter_update(
                    actor=user, shelter=shelter, expected_version=version, changes=changes
                )
        except DomainError as exc:
            refuse(form, exc)
        else:
            return redirect(shelter.get_absolute_url())
    return _shelter_page(request, user, shelter, status_form=form, status=422)


# --- the gap -------------------------------------------------------------------------------


@login_required
@require_safe
def gap_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    form, day = _as_of(request, user)
    current = gap.gap_as_of(user, day)
    points = gap.gap_by_date(user, day - dt.timedelta(days=7), CHART_DAYS)
    context = {
        "form": form,
        "as_of": day,
        "gap": current,
        "date_chart": date_chart(points),
        "points": points,
        "area_chart": area_chart(current.areas) if current.areas else None,
    }
    return render(request, "shelter/gap.html", context)


# --- allocation ------------------------------------------------------------------------------


def _allocation_context(user: User, run: AllocationRun | None) -> dict[str, Any]:
    placements = (
        list(selectors.placements_visible_to(user, run=run)[:PLACEMENT_LIMIT]) if run else []
    )
    return {
        "run": run,
        "placements": placement_rows(placements, selectors.households_of(user, placements), user),
        "truncated": run is not None and len(placements) >= PLACEMENT_LIMIT,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def allocation_view(request: HttpRequest) -> HttpResponse:
    """The current run and its placements; mission staff with the role may rerun it."""
    user = viewer(request)
    may_run = allocation.may_allocate(user)
    day = selectors.latest_data_day(user, utcnow().date())
    dry = None
    status = 200
    if request.method == "POST":
        if not may_run:
            raise Http404(_("No such page."))
        form = RunForm(request.POST)
        if form.is_valid():
            try:
                outcome = allocation.allocation_run(
                    actor=user,
                    as_of=form.cleaned_data["as_of"],
                    dry_run=form.cleaned_data["dry_run"],
                    horizon_days=form.cleaned_data["horizon_days"],
                )
            except DomainError as exc:
                refuse(form, exc)
                status = 422
            else:
                dry = outcome if outcome.run is None else None
        else:
            status = 422
    else:
        form = RunForm(initial={"as_of": day, "horizon_days": allocation.DEFAULT_HORIZON_DAYS})
    context = {
        **_allocation_context(user, selectors.current_run(user)),
        "form": form,
        "may_run": may_run,
        "dry": dry,
        "runs": list(selectors.runs_visible_to(user)[:20]),
    }
    template = "shelter/_allocation_result.html" if is_htmx(request) else "shelter/allocation.html"
    return render(request, template, context, status=status)


@login_required
@require_safe
def run_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    run = _run_or_404(user, public_id)
    context = _allocation_context(user, run)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="placements-{run.as_of}.csv"'
        writer = csv.writer(response)
        writer.writerow(["household", "people", "vulnerable", "shelter", "distance_km", "reason"])
        for row in context["placements"]:
            p = row["placement"]
            writer.writerow(
                [
                    p.household.code,
                    p.people,
                    p.vulnerable,
                    p.shelter.code if p.shelter else "",
                    p.distance_km,
                    row["reason"],
                ]
            )
        return response
    return render(request, "shelter/run_detail.html", context)


# --- the map ---------------------------------------------------------------------------------


@login_required
@require_safe
def shelter_map(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    day = selectors.latest_data_day(user, utcnow().date())
    config = {
        "geojsonUrl": f"{get_script_prefix()}api/v1/shelter/shelters.geojson?as_of={day}",
        "labels": {
            "capacity": _("Capacity"),
            "occupied": _("Occupied"),
            "allocated": _("Allocated"),
            "free": _("Free places"),
            "status": _("Status"),
            "open": _("Open shelter page"),
            "none": _("No shelter shared with your party."),
            "loading": _("Loading…"),
            "failed": _("Could not load"),
        },
        "statusLabels": {k: str(v) for k, v in ShelterStatus.choices},
    }
    return render(request, "shelter/map.html", {"map_config": config, "as_of": day})
