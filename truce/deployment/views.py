"""Deployment screens: the airlift's flights with totals and a cumulative chart, units.

Views parse, call a selector or a service, and render; reads go through
truce.deployment.selectors, so what a party cannot see is absent.
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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from truce.core.errors import DomainError, PermissionDenied
from truce.core.models import User
from truce.core.selectors import organisations_visible_to
from truce.core.web import viewer
from truce.deployment import selectors, services
from truce.deployment.charts import cumulative_chart
from truce.deployment.forms import DeploymentForm, FlightFilterForm, FlightForm
from truce.deployment.models import AirliftFlight, UnitDeployment
from truce.lib.csv_export import csv_response
from truce.lib.time import utcnow

PAGE_SIZE = 100


def _may_write(user: User) -> bool:
    try:
        services.ensure_deployment_writer(user)
    except PermissionDenied:
        return False
    return True


def _refuse(form: Any, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
@require_safe
def flight_list(request: HttpRequest) -> HttpResponseBase:
    """The flights, their totals up to the chosen day and a cumulative chart."""
    user = viewer(request)
    form = FlightFilterForm(request.GET or None)
    rows = selectors.flights_visible_to(user, **form.selector_kwargs()).order_by(
        "flown_on", "flight_ref", "id"
    )
    if request.GET.get("format") == "csv":
        return _flights_csv(rows.iterator(chunk_size=2000))
    days = selectors.airlift_by_day(rows)
    context = {
        "form": form,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "totals": selectors.airlift_totals(rows),
        "days": days,
        "chart": cumulative_chart(days),
        "may_write": _may_write(user),
        "query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
    }
    return render(request, "deployment/flight_list.html", context)


def _flights_csv(rows: Iterable[AirliftFlight]) -> StreamingHttpResponse:
    header = [
        "public_id",
        "flown_on",
        "flight_ref",
        "origin",
        "destination",
        "aircraft_type",
        "personnel",
        "equipment_units",
        "cargo_t",
        "source",
    ]

    def values() -> Iterator[list[Any]]:
        for f in rows:
            yield [
                f.public_id,
                f.flown_on,
                f.flight_ref,
                f.origin,
                f.destination,
                f.aircraft_type,
                f.personnel,
                f.equipment_units,
                "" if f.cargo_t is None else f.cargo_t,
                f.source,
            ]

    return csv_response("airlift-flights", header, values())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def flight_new(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if not _may_write(user):
        raise DjangoPermissionDenied(_("You may not record flights."))
    form = FlightForm(initial={"flown_on": utcnow().date()})
    if request.method == "POST":
        form = FlightForm(request.POST)
        if form.is_valid():
            try:
                flight = services.flight_record(
                    actor=user, fields=form.service_fields(), visibility=form.visibility()
                )
            except DomainError as exc:
                _refuse(form, exc)
            else:
                messages.success(request, _("The flight is recorded."))
                return redirect("deployment:flight", public_id=flight.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "deployment/flight_form.html", {"form": form}, status=status)


@login_required
@require_safe
def flight_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    flight = selectors.flights_visible_to(user).filter(public_id=public_id).first()
    if flight is None:
        raise Http404("no such flight")
    return render(request, "deployment/flight_detail.html", {"flight": flight})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def unit_list(request: HttpRequest) -> HttpResponseBase:
    """The units' deployment records, and the form to record one."""
    user = viewer(request)
    rows = selectors.deployments_visible_to(user).order_by("unit__name", "-deployed_from")
    if request.GET.get("format") == "csv":
        return _units_csv(rows.iterator(chunk_size=2000))
    may_write = _may_write(user)
    units = [(o.code, str(o)) for o in organisations_visible_to(user).order_by("name")]
    form = DeploymentForm(units=units)
    if request.method == "POST":
        if not may_write:
            raise DjangoPermissionDenied(_("You may not record deployments."))
        form = DeploymentForm(request.POST, units=units)
        if form.is_valid():
            try:
                services.deployment_record(
                    actor=user, fields=form.service_fields(), visibility=form.visibility()
                )
            except DomainError as exc:
                _refuse(form, exc)
            else:
                messages.success(request, _("The deployment is recorded."))
                return redirect("deployment:unit-list")
    context = {"rows": list(rows), "form": form, "may_write": may_write}
    status = 400 if request.method == "POST" else 200
    return render(request, "deployment/unit_list.html", context, status=status)


def _units_csv(rows: Iterable[UnitDeployment]) -> StreamingHttpResponse:
    header = [
        "public_id",
        "unit",
        "personnel",
        "equipment_units",
        "deployed_from",
        "deployed_to",
        "location",
        "source",
    ]

    def values() -> Iterator[list[Any]]:
        for d in rows:
            yield [
                d.public_id,
                d.unit.code,
                "" if d.personnel is None else d.personnel,
                "" if d.equipment_units is None else d.equipment_units,
                d.deployed_from,
                d.deployed_to or "",
                d.location,
                d.source,
            ]

    return csv_response("unit-deployments", header, values())
