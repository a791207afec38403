"""Convoy screens: the list, a convoy's page with its forms, deliveries, pipeline, map.

Views parse, call a selector or a service, and render. A refusal from a service
is shown beside the form with the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from truce.convoys import selectors, services
from truce.convoys.models import TRANSITIONS, ConvoyStatus, LossReason
from truce.core.errors import DomainError, NotFound, PermissionDenied
from truce.core.models import User
from truce.core.web import viewer
from truce.lib.csv_export import csv_response


def _may_write(user: User) -> bool:
    try:
        services.ensure_convoy_writer(user)
    except PermissionDenied:
        return False
    return True


def _convoy(user: User, reference: str) -> Any:
    try:
        return selectors.convoy_get(user, reference)
    except NotFound:
        raise Http404(_("No such convoy")) from None


@login_required
@require_safe
def convoy_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    convoys = list(selectors.convoys_visible_to(user, status=request.GET.get("status") or None))
    if request.GET.get("format") == "csv":
        return csv_response(
            "convoys",
            ["reference", "name", "owner", "origin", "status", "departed_at", "arrived_at"],
            (
                [
                    c.reference,
                    c.name,
                    c.owner.code,
                    getattr(selectors.seen_places(user, c).seen_origin, "code", ""),  # type: ignore[attr-defined]
                    c.status,
                    c.departed_at,
                    c.arrived_at,
                ]
                for c in convoys
            ),
        )
    rows = [(selectors.seen_places(user, c), selectors.convoy_tonnage(user, c)) for c in convoys]
    return render(
        request,
        "convoys/list.html",
        {"rows": rows, "statuses": ConvoyStatus.choices, "status": request.GET.get("status")},
    )


@login_required
@require_safe
def convoy_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = viewer(request)
    convoy = selectors.seen_places(user, _convoy(user, reference))
    loads = selectors.loads_seen(user, convoy)
    return render(
        request,
        "convoys/detail.html",
        {
            "convoy": convoy,
            "lorries": selectors.lorries_visible_to(user, convoy=convoy),
            "loads": loads,
            "losses": list(selectors.losses_of(user, convoy)),
            "events": list(selectors.events_of(user, convoy)),
            "positions": list(selectors.positions_visible_to(user, convoy=convoy)[:20]),
            "deliveries": [
                selectors.seen_delivery(user, d)
                for d in selectors.deliveries_visible_to(user, convoy=convoy)
            ],
            "tonnage": selectors.convoy_tonnage(user, convoy),
            "may_write": _may_write(user),
            "next_statuses": [
                (s, ConvoyStatus(s).label)
                for s in sorted(TRANSITIONS[ConvoyStatus(convoy.status)])
                if s != ConvoyStatus.ARRIVED
            ],
            "can_arrive": convoy.status in (ConvoyStatus.IN_TRANSIT, ConvoyStatus.UNLOADING),
            "loss_reasons": LossReason.choices,
            "map_config": {
                "route": convoy.route_geometry,
                "positions": [
                    [p.lon, p.lat, p.reported_at.isoformat()]
                    for p in selectors.positions_visible_to(user, convoy=convoy)
                ],
                "origin": convoy.seen_origin.geometry if convoy.seen_origin else None,  # type: ignore[attr-defined]
            },
        },
    )


def _done(request: HttpRequest, convoy: Any, action: Any) -> HttpResponseBase:
    try:
        action()
    except DomainError as exc:
        messages.error(request, f"{exc.field or ''}: {exc.message}")
    else:
        messages.success(request, _("Saved."))
    return redirect(reverse("convoys:detail", kwargs={"reference": convoy.reference}))


@login_required
@require_http_methods(["POST"])
def convoy_status(request: HttpRequest, reference: str) -> HttpResponseBase:
    user = viewer(request)
    convoy = _convoy(user, reference)
    return _done(
        request,
        convoy,
        lambda: services.convoy_status_change(
            actor=user,
            convoy=convoy,
            status=request.POST.get("status", ""),
            occurred_at=request.POST.get("occurred_at"),
            note=request.POST.get("note", ""),
        ),
    )


@login_required
@require_http_methods(["POST"])
def convoy_arrival(request: HttpRequest, reference: str) -> HttpResponseBase:
    user = viewer(request)
    convoy = _convoy(user, reference)
    lines = []
    for load in selectors.loads_of(user, convoy):
        key = str(load.public_id)
        lost = request.POST.get(f"lost-{key}") or ""
        losses = [{"quantity": lost, "reason": request.POST.get(f"reason-{key}")}] if lost else []
        lines.append(
            {
                "load": key,
                "received": request.POST.get(f"received-{key}"),
                "losses": losses,
                "into": request.POST.get("into") or None,
            }
        )
    return _done(
        request,
        convoy,
        lambda: services.convoy_arrive(
            actor=user, convoy=convoy, occurred_at=request.POST.get("occurred_at"), lines=lines
        ),
    )


@login_required
@require_http_methods(["POST"])
def convoy_position(request: HttpRequest, reference: str) -> HttpResponseBase:
    user = viewer(request)
    convoy = _convoy(user, reference)
    return _done(
        request,
        convoy,
        lambda: services.position_report(
            actor=user,
            convoy=convoy,
            lon=request.POST.get("lon"),
            lat=request.POST.get("lat"),
            reported_at=request.POST.get("reported_at"),
        ),
    )


@login_required
@require_http_methods(["POST"])
def convoy_replan(request: HttpRequest, reference: str) -> HttpResponseBase:
    user = viewer(request)
    convoy = _convoy(user, reference)
    return _done(request, convoy, lambda: services.convoy_plan_route(actor=user, convoy=convoy))


@login_required
@require_safe
def deliveries(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    rows = [
        selectors.seen_delivery(user, d)
        for d in selectors.deliveries_visible_to(user, settlement=request.GET.get("settlement"))
    ]
    if request.GET.get("format") == "csv":
        return csv_response(
            "deliveries",
            [
                "delivered_on",
                "item",
                "quantity",
                "weight_t",
                "settlement",
                "shelter",
                "recipient",
                "people",
                "convoy",
                "source",
            ],
            (
                [
                    d.delivered_on,
                    d.item.code,
                    d.quantity,
                    d.weight_t,
                    getattr(d.seen_settlement, "pcode", ""),  # type: ignore[attr-defined]
                    getattr(d.seen_shelter, "code", ""),  # type: ignore[attr-defined]
                    getattr(d.seen_recipient, "code", ""),  # type: ignore[attr-defined]
                    d.people,
                    getattr(d.seen_convoy, "reference", ""),  # type: ignore[attr-defined]
                    d.source,
                ]
                for d in rows
            ),
        )
    return render(
        request,
        "convoys/deliveries.html",
        {
            "rows": rows,
            "by_item": selectors.totals_by_item(user),
            "by_settlement": selectors.totals_by_settlement(user),
            "by_source": selectors.totals_by_source(user),
        },
    )


@login_required
@require_safe
def pipeline(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    return render(
        request,
        "convoys/pipeline.html",
        {"rows": selectors.pipeline(user), "stages": selectors.PIPELINE_STAGES},
    )


@login_required
@require_safe
def transit_map(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    return render(
        request,
        "convoys/map.html",
        {"map_config": {"layer": selectors.in_transit_geojson(user)}},
    )
