"""Routing screens: the route planner, the printable route sheet, the road status layer
and its segment panels, and the network import. The maps draw the open hazard areas
from mine action's layer (/api/v1/mineaction/hazards.geojson).

Views parse, call truce.routing.services.plan_route or a selector, and render; what
a party may not see is absent here as everywhere (the route itself avoids every
hazard the mission knows, but reports only what the reader may see).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from truce.core.errors import DomainError, NotFound, PermissionDenied
from truce.core.models import User
from truce.core.selectors import BBoxFilter, settlements_visible_to
from truce.core.web import viewer
from truce.lib.time import utcnow
from truce.mineaction.models import HazardStatus
from truce.mineaction.selectors import hazard_areas_visible_to
from truce.routing import selectors, services, sheet
from truce.routing.forms import (
    NetworkImportForm,
    PlannerForm,
    RoadsFilterForm,
    SegmentStatusForm,
)
from truce.routing.models import RoadNetwork, SegmentState

STATUS_LABELS = {key: str(label) for key, label in SegmentState.choices}
# A route blocked by many segments (verified only, across a large network) draws the first.
MAX_DRAWN_BLOCKERS = 50
# The road status page lists this many segments under its map; the map shows them all.
SEGMENT_ROWS = 300


def _may_change_status(user: User) -> bool:
    try:
        services.ensure_routing_writer(user, agencies=False)
    except PermissionDenied:
        return False
    return True


def _may_import(user: User) -> bool:
    return _may_change_status(user)


def _networks(user: User) -> list[RoadNetwork]:
    return list(selectors.networks_visible_to(user))


def _labels() -> dict[str, str]:
    return {
        **STATUS_LABELS,
        "from": _("From"),
        "to": _("To"),
        "since": _("since"),
        "status": _("Status"),
        "blocker": _("Blocks the route"),
        "details": _("Its history is below the map."),
    }


def _hazards_url() -> str:
    """Mine action's layer of the open hazard areas (it filters by the reader's party)."""
    return reverse("api:mineaction_hazards_layer") + "?status=open"


# --- the route planner and the route sheet -----------------------------------------------


def _plan(request: HttpRequest) -> tuple[PlannerForm, sheet.RouteView | None]:
    user = viewer(request)
    places = [(s.pcode, s.display_name) for s in settlements_visible_to(user)]
    networks = [(n.slug, n.name) for n in _networks(user)]
    form = PlannerForm(request.GET or None, places=places, networks=networks)
    if not form.is_bound or not form.is_valid():
        return form, None
    try:
        result = services.plan_route(user=user, **form.query())
    except DomainError as exc:
        field = {"origin": "from", "destination": "to"}.get(str(exc.field), exc.field)
        form.add_error(field if field in form.fields else None, exc.message)
        return form, None
    return form, sheet.prepare(result)


@login_required
@require_safe
def planner(request: HttpRequest) -> HttpResponseBase:
    form, view = _plan(request)
    route = view.route if view else {}
    context = {
        "form": form,
        "view": view,
        "status_labels": STATUS_LABELS,
        "may_import": _may_import(viewer(request)),
        "sheet_query": urlencode(form.params()) if view else "",
        "map_config": {
            "hazardsUrl": _hazards_url(),
            "pieces": view.pieces if view else [],
            "from": route.get("from"),
            "to": route.get("to"),
            "blockers": [b for b in route.get("blockers") or [] if b.get("geometry")],
            # Blocking segments are drawn from the segment endpoint (the reader's view of them).
            "blockingSegments": sorted(
                {str(b["segment"]) for b in route.get("blockers") or [] if b.get("segment")}
            )[:MAX_DRAWN_BLOCKERS],
            "network": route.get("network") or form.data.get("network") or "",
            "segmentUrl": reverse("api:routing_segment", kwargs={"key": "KEY"}),
            "segmentsUrl": reverse("api:routing_segments_geojson"),
            "labels": _labels(),
        },
    }
    return render(request, "routing/planner.html", context)


def _hazard_shapes(user: User, bbox: list[float] | None) -> list[dict[str, Any]]:
    """The open hazard areas the reader may see (near a box, ~5 km around it, if given)."""
    near = None
    if bbox is not None:
        m = sheet.NEAR_MARGIN_DEG
        near = BBoxFilter(bbox[0] - m, bbox[1] - m, bbox[2] + m, bbox[3] + m)
    rows = hazard_areas_visible_to(user, status=HazardStatus.OPEN, bbox=near)
    return [{"reference": h.reference, "name": h.name, "geometry": h.geometry} for h in rows]


@login_required
@require_safe
def route_sheet(request: HttpRequest) -> HttpResponseBase:
    """The printable sheet of a route: its URL carries the planner's query, so it can be
    shared, and each reader's sheet says only what their party may see."""
    form, view = _plan(request)
    if view is None:
        if not form.is_bound:
            return redirect("routing:planner")
        return render(
            request,
            "routing/planner.html",
            {"form": form, "view": None, "status_labels": STATUS_LABELS, "map_config": {}},
            status=422,
        )
    user = viewer(request)
    bbox = sheet.route_bbox(view.route)
    hazards = _hazard_shapes(user, bbox)
    svg = sheet.route_svg(view, hazards)
    context = {
        "view": view,
        "query": form.cleaned_data,
        "planner_query": urlencode(form.params()),
        "svg": mark_safe(svg),  # noqa: S308  every text in it is escaped by route_svg
        "hazards": hazards,
        "generated_at": utcnow(),
        "status_labels": STATUS_LABELS,
    }
    return render(request, "routing/sheet.html", context)


# --- the road status layer ----------------------------------------------------------------


@login_required
@require_safe
def roads(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    networks = _networks(user)
    form = RoadsFilterForm(request.GET or None, networks=[(n.slug, n.name) for n in networks])
    chosen = networks[0] if networks else None
    status = ""
    if form.is_bound and form.is_valid():
        slug = form.cleaned_data.get("network")
        chosen = next((n for n in networks if n.slug == slug), chosen)
        status = form.cleaned_data.get("status") or ""
    corridors = list(selectors.corridors_visible_to(user, chosen)) if chosen else []
    table, more = _segment_table(user, chosen, status) if chosen else ([], False)
    context = {
        "form": form,
        "networks": networks,
        "network": chosen,
        "corridors": corridors,
        "segments": table,
        "more_segments": more,
        "status_labels": STATUS_LABELS,
        "may_import": _may_import(user),
        "map_config": {
            "network": chosen.slug if chosen else "",
            "status": status,
            "bbox": chosen.bbox if chosen else None,
            "segmentsUrl": reverse("api:routing_segments_geojson"),
            "segmentUrl": reverse("routing:segment", args=[chosen.slug, "KEY"]) if chosen else "",
            "hazardsUrl": _hazards_url(),
            "labels": _labels(),
        },
    }
    return render(request, "routing/roads.html", context)


def _segment_table(
    user: User, network: RoadNetwork, status: str
) -> tuple[list[dict[str, Any]], bool]:
    """The first segments of the layer as a table (the keyboard's way to their panels)."""
    rows = list(selectors.segments_of(user, network, status=status or None)[: SEGMENT_ROWS + 1])
    seen = selectors.statuses_seen_by(user, rows[:SEGMENT_ROWS])
    corridor_of = selectors.corridor_of_segments(user, network)
    table = [
        {
            "segment": row,
            "status": seen[row.key][0],
            "since": seen[row.key][1],
            "corridor": corridor_of.get(row.key, ""),
        }
        for row in rows[:SEGMENT_ROWS]
    ]
    return table, len(rows) > SEGMENT_ROWS


def _segment_context(
    user: User, slug: str, key: str, *, form: SegmentStatusForm | None = None
) -> dict[str, Any]:
    try:
        network = selectors.network_for(user, slug)
        segment = selectors.segment_get(user, network, key)
    except NotFound as exc:
        raise Http404(exc.message) from None
    status, since, _record = selectors.statuses_seen_by(user, [segment])[segment.key]
    if form is None and _may_change_status(user):
        form = SegmentStatusForm(
            initial={
                "status": status,
                "since": utcnow().date(),
                "expected_version": segment.status_version,
            }
        )
    return {
        "network": network,
        "segment": segment,
        "status": status,
        "status_since": since,
        "history": list(selectors.status_history(user, segment)),
        "corridor": selectors.corridor_of_segments(user, network).get(segment.key, ""),
        "form": form,
    }


@login_required
@require_safe
def segment(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """The segment's panel (into the status page, by HTMX), or a page of its own."""
    context = _segment_context(viewer(request), slug, key)
    if request.headers.get("HX-Request"):
        return render(request, "routing/_segment_panel.html", context)
    return render(request, "routing/segment.html", context)


@login_required
@require_POST
def segment_status(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """A new status of a segment, from the panel's HTMX form (with the expected version)."""
    user = viewer(request)
    if not _may_change_status(user):
        raise DjangoPermissionDenied
    context = _segment_context(user, slug, key)
    form = SegmentStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.segment_status_set(
                actor=user,
                network=context["network"],
                key=key,
                fields={k: data[k] for k in ("status", "since", "reason", "source")},
                expected_version=data["expected_version"],
            )
        except DomainError as exc:
            if exc.field in ("version", "expected_version"):
                form.add_error(
                    None,
                    _("Someone changed this segment meanwhile (%(detail)s). Reload and try again.")
                    % {"detail": exc.message},
                )
            else:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            fresh = _segment_context(user, slug, key)
            response = render(request, "routing/_segment_panel.html", {**fresh, "saved": True})
            response["HX-Trigger"] = "routing:status-changed"
            return response
    context["form"] = form
    return render(request, "routing/_segment_panel.html", context, status=422)


# --- importing a road network ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def network_import(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not _may_import(user):
        raise DjangoPermissionDenied
    form = NetworkImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"] or uuid.uuid4().hex
        progress = services.cache_progress(services.import_progress_key(user, token))
        try:
            network = services.network_import_upload(
                actor=user,
                upload=form.cleaned_data["file"],
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"] or None,
                progress=progress,
            )
        except DomainError as exc:
            field = {"network": "slug"}.get(str(exc.field), exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
            progress(0, 0, "failed")
        else:
            progress(network.segment_count, network.segment_count, "done")
            messages.success(
                request,
                _("%(count)d road segments imported into %(name)s.")
                % {"count": network.segment_count, "name": network.name},
            )
            return redirect(f"{reverse('routing:roads')}?network={network.slug}")
    if not form.is_bound:
        form = NetworkImportForm(initial={"token": uuid.uuid4().hex})
    return render(request, "routing/import.html", {"form": form, "may_import": True})


@login_required
@require_safe
def import_progress(request: HttpRequest, token: str) -> JsonResponse:
    return JsonResponse(services.import_progress(viewer(request), token))
