"""The monitoring screens: incident map and list, incident page, OPs, observation form, counts.

Views only parse, call a selector or service, and render (STYLE.md rule 3).
Every read goes through truce.monitoring.selectors (or the core registry
selectors for places), so a record another party may not see is a 404 here
exactly as in the API. Verification forms post to views that call the same
services as the API; a DomainError is shown on the field it names.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from truce.core.errors import Conflict, DomainError, NotFound
from truce.core.models import Facility, User
from truce.core.serializers import reference
from truce.core.web import is_htmx, viewer
from truce.lib.time import utcnow, window_of
from truce.monitoring import lookups, selectors, services
from truce.monitoring.forms import (
    RESOLUTION_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    CheckInForm,
    IncidentFilterForm,
    MergeForm,
    NoteForm,
    ObservationForm,
    SplitForm,
    StatusForm,
)
from truce.monitoring.models import Incident, IncidentStatus
from truce.monitoring.serializers import CHECK_IN_OVERDUE
from truce.monitoring.web import (
    check_in_rows,
    counts_page_context,
    incident_rows,
    observation_rows,
    post_window_counts,
    timeline,
)

PAGE_SIZE = 50
RECENT_OBSERVATIONS = 50


def current_window() -> dt.date:
    return window_of(utcnow())


def _api_prefix() -> str:
    return f"{get_script_prefix()}api/v1/"


# --- incident map and list ---------------------------------------------------------


def _incident_filter(
    request: HttpRequest, user: User, default_window: dt.date | None
) -> IncidentFilterForm:
    return IncidentFilterForm(request.GET, user=user, default_window=default_window)


def _tile_url() -> str | None:
    # As the core map: an optional tile server of the deployment's own.
    return getattr(settings, "TRUCE_TILE_URL", None) or os.environ.get("TRUCE_TILE_URL") or None


def _map_config(form: IncidentFilterForm) -> dict[str, Any]:
    labels = {
        "zones": _("Zones"),
        "posts": _("Observation posts"),
        "tiles": _("Base map tiles"),
        "borders": _("Borders"),
        "legend": _("Layers"),
        "loading": _("Loading…"),
        "failed": _("Could not load"),
        "approximate": _("Approximate position"),
        "incidents": _("Incidents"),
        "uncertainty": _("Uncertainty"),
        "status": _("Status"),
        "severity": _("Severity"),
        "type": _("Type"),
        "started": _("Started"),
        "observations": _("Observations"),
        "casualties": _("Killed / injured"),
        "open_incident": _("Open incident"),
        "no_incidents": _("No incidents match these filters."),
        "shown": _("Incidents shown"),
    }
    return {
        "geojsonUrl": f"{_api_prefix()}monitoring/incidents.geojson",
        "layersUrl": f"{_api_prefix()}layers/",
        "tileUrl": _tile_url(),
        "labels": labels,
        "statusLabels": {k: str(v) for k, v in STATUS_LABELS.items()},
        "severityLabels": {k: str(v) for k, v in SEVERITY_LABELS.items()},
        "typeLabels": {k: str(v) for k, v in TYPE_LABELS.items()},
        "query": form.api_query(),
        "missionTimeZone": _mission_zone_name(),
    }


def _mission_zone_name() -> str:
    return str(settings.MISSION_TIME_ZONE)


@login_required
@require_safe
def incident_map(request: HttpRequest) -> HttpResponse:
    form = _incident_filter(request, viewer(request), current_window())
    context = {
        "form": form,
        "current_window": current_window(),
        "map_config": _map_config(form),
        "status_labels": STATUS_LABELS,
        "severity_labels": SEVERITY_LABELS,
    }
    return render(request, "monitoring/incident_map.html", context)


@login_required
@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    # Newest first, any day, unless the URL says otherwise.
    form = _incident_filter(request, user, None)
    rows = selectors.incidents_visible_to(user, **form.selector_kwargs())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "current_window": current_window(),
        "page": page,
        "rows": incident_rows(list(page.object_list), user),
        "map_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
    }
    template = (
        "monitoring/_incident_table.html" if is_htmx(request) else "monitoring/incident_list.html"
    )
    return render(request, template, context)


# --- the incident page and its verification actions --------------------------------


def _incident_or_404(user: User, public_id: Any) -> Incident:
    try:
        return selectors.incident_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such incident.")) from None


def _merge_candidates(user: User, incident: Incident) -> list[Incident]:
    # Observations of one event are reported within hours of each other.
    since = incident.started_at - dt.timedelta(hours=24)
    until = incident.ended_at + dt.timedelta(hours=24)
    rows = selectors.incidents_visible_to(user, since=since, until=until)
    return list(rows.exclude(pk=incident.pk).order_by("started_at")[:50])


def _can_verify(user: User) -> bool:
    # Only decides which forms to offer; the services check again on every write.
    return services.is_reviewer(user)


def _incident_page(
    request: HttpRequest,
    user: User,
    incident: Incident,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    observations = lookups.observations_of_incident(user, incident)
    forms = forms or {}
    can_verify = _can_verify(user)
    settlement = reference(incident.nearest_settlement, user, "display_name")
    distance = incident.settlement_distance_m
    context: dict[str, Any] = {
        "incident": incident,
        "observation_rows": observation_rows(observations, user),
        "zone": reference(incident.zone, user, "name"),
        "settlement": settlement,
        "settlement_km": distance / 1000 if settlement and distance is not None else None,
        # Named only once verified (the service clears it on a re-review).
        "responsible_party": (
            reference(incident.responsible_party, user, "name")
            if incident.status == IncidentStatus.VERIFIED
            else None
        ),
        "status_label": STATUS_LABELS.get(incident.status, incident.status),
        "resolution_label": RESOLUTION_LABELS.get(incident.resolution, ""),
        "severity_label": SEVERITY_LABELS.get(incident.severity, incident.severity),
        "type_label": TYPE_LABELS.get(incident.type, incident.type),
        "timeline": timeline(incident, observations, user),
        "can_verify": can_verify,
    }
    if can_verify:
        context["status_form"] = forms.get("status") or _status_form(None, user, incident)
        context["note_form"] = forms.get("note") or NoteForm(initial={"version": incident.version})
        context["merge_form"] = forms.get("merge") or MergeForm(
            candidates=_merge_candidates(user, incident)
        )
        context["split_form"] = forms.get("split") or SplitForm(rows=context["observation_rows"])
    if incident.geometry:
        context["geometry"] = incident.geometry
    return render(request, "monitoring/incident_detail.html", context, status=status)


@login_required
@require_safe
def incident_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    return _incident_page(request, user, _incident_or_404(user, public_id))


def _reviewable(request: HttpRequest, public_id: Any) -> tuple[User, Incident]:
    """The incident to change: 404 if hidden, 403 if visible but not the viewer's to change."""
    user = viewer(request)
    incident = _incident_or_404(user, public_id)
    if not _can_verify(user):
        raise DjangoPermissionDenied(_("Only the mission's reviewers may change incidents."))
    return user, incident


def _field_for(error: DomainError, form: Any, aliases: dict[str, str]) -> str | None:
    name = aliases.get(error.field or "", error.field)
    return name if name in form.fields and not form.fields[name].widget.is_hidden else None


def _refuse(form: Any, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    aliases = {"expected_version": "version", **(aliases or {})}
    field = _field_for(error, form, aliases)
    if field is None and aliases.get(error.field or "", error.field) == "version":
        message = _(
            "Someone changed this incident meanwhile (%(detail)s). Reload the page and try again."
        ) % {"detail": error.message}
        form.add_error(None, message)
        return
    form.add_error(field, error.message)


def _after_write(request: HttpRequest, message: str, incident: Incident) -> HttpResponse:
    messages.success(request, message)
    return redirect("monitoring:incident-detail", public_id=incident.public_id)


def _status_form(data: Any, user: User, incident: Incident) -> StatusForm:
    return StatusForm(
        data,
        user=user,
        incident=incident,
        next_statuses=services.TRANSITIONS.get(incident.status, frozenset()),
    )


@login_required
@require_POST
def incident_status(request: HttpRequest, public_id: Any) -> HttpResponse:
    user, incident = _reviewable(request, public_id)
    form = _status_form(request.POST, user, incident)
    if form.is_valid():
        data = form.cleaned_data
        try:
            updated = services.incident_set_status(
                actor=user,
                incident=incident,
                status=data["status"],
                expected_version=data["version"],
                responsible_party=data["responsible_party"] or None,
                notes=data["notes"] or None,
                resolution=data["resolution"] or None,
            )
        except DomainError as exc:
            _refuse(form, exc)
            return _incident_page(
                request, user, incident, forms={"status": form}, status=exc.status
            )
        label = STATUS_LABELS.get(updated.status, updated.status)
        return _after_write(request, _("Status set to %(status)s.") % {"status": label}, updated)
    return _incident_page(request, user, incident, forms={"status": form}, status=422)


@login_required
@require_POST
def incident_note(request: HttpRequest, public_id: Any) -> HttpResponse:
    user, incident = _reviewable(request, public_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            updated = services.incident_add_note(
                actor=user,
                incident=incident,
                text=form.cleaned_data["text"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            _refuse(form, exc)
            return _incident_page(request, user, incident, forms={"note": form}, status=exc.status)
        return _after_write(request, _("Note added."), updated)
    return _incident_page(request, user, incident, forms={"note": form}, status=422)


@login_required
@require_POST
def incident_merge(request: HttpRequest, public_id: Any) -> HttpResponse:
    user, incident = _reviewable(request, public_id)
    form = MergeForm(request.POST, candidates=_merge_candidates(user, incident))
    if form.is_valid():
        try:
            others = lookups.incidents_by_ids(user, form.cleaned_data["others"], field="others")
            merged = services.incident_merge(
                actor=user, incidents=[incident, *others], into=incident
            )
        except DomainError as exc:
            _refuse(form, exc, {"incidents": "others"})
            return _incident_page(request, user, incident, forms={"merge": form}, status=exc.status)
        return _after_write(request, _("Incidents merged."), merged)
    return _incident_page(request, user, incident, forms={"merge": form}, status=422)


@login_required
@require_POST
def incident_split(request: HttpRequest, public_id: Any) -> HttpResponse:
    user, incident = _reviewable(request, public_id)
    observations = lookups.observations_of_incident(user, incident)
    form = SplitForm(request.POST, rows=observation_rows(observations, user))
    if form.is_valid():
        chosen = set(form.cleaned_data["observations"])
        try:
            created = services.incident_split(
                actor=user,
                incident=incident,
                observations=[o for o in observations if str(o.public_id) in chosen],
            )
        except DomainError as exc:
            _refuse(form, exc)
            return _incident_page(request, user, incident, forms={"split": form}, status=exc.status)
        message = _("Split off as %(reference)s.") % {"reference": created.reference}
        return _after_write(request, message, incident)
    return _incident_page(request, user, incident, forms={"split": form}, status=422)


# --- observation posts ---------------------------------------------------------------


def _post_or_404(user: User, code: str) -> Facility:
    try:
        return lookups.visible_post(user, code)
    except NotFound:
        raise Http404(_("No such observation post.")) from None


def _can_check_in(user: User) -> bool:
    # Only the mission's posts check in (the service decides again).
    return user.is_mission


@login_required
@require_safe
def post_list(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    context = {
        "rows": check_in_rows(user),
        "overdue_hours": int(CHECK_IN_OVERDUE.total_seconds() // 3600),
    }
    return render(request, "monitoring/post_list.html", context)


def _post_page(
    request: HttpRequest, user: User, post: Facility, form: CheckInForm | None, status: int = 200
) -> HttpResponse:
    latest = {row["post"]: row for row in check_in_rows(user, posts=[post])}
    observations = list(
        selectors.observations_visible_to(user, post=post.code).order_by("-observed_at", "-pk")[
            :RECENT_OBSERVATIONS
        ]
    )
    # The days around the post's latest observation: an OP quiet for weeks
    # would otherwise show a week of zeros.
    window = observations[0].window if observations else current_window()
    context = {
        "post": post,
        "zone": reference(post.zone, user, "name"),
        "check_in": latest.get(post.code),
        "observation_rows": observation_rows(observations, user),
        "window_counts": post_window_counts(user, post, window),
        "can_check_in": _can_check_in(user),
        "check_in_form": form or CheckInForm(),
    }
    return render(request, "monitoring/post_detail.html", context, status=status)


@login_required
@require_safe
def post_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = viewer(request)
    return _post_page(request, user, _post_or_404(user, code), None)


@login_required
@require_POST
def post_check_in(request: HttpRequest, code: str) -> HttpResponse:
    user = viewer(request)
    post = _post_or_404(user, code)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            services.check_in_record(
                actor=user,
                post=post.code,
                client_uuid=str(form.cleaned_data["client_uuid"]),
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            _refuse(form, exc)
            return _post_page(request, user, post, form, status=exc.status)
        messages.success(request, _("Check-in recorded."))
        return redirect("monitoring:post-detail", code=post.code)
    return _post_page(request, user, post, form, status=422)


# --- the observation form ------------------------------------------------------------


def _observe_page(request: HttpRequest, form: ObservationForm, status: int = 200) -> HttpResponse:
    config = {
        "apiUrl": f"{_api_prefix()}monitoring/observations",
        "missionTimeZone": _mission_zone_name(),
        "labels": {
            "queued": _("Waiting to send"),
            "sending": _("Sending…"),
            "retrying": _("No connection; retrying in %(seconds)s s"),
            "sent": _("Sent"),
            "duplicate": _("Already received"),
            "rejected": _("Refused"),
            "empty": _("Nothing waiting to be sent."),
            "saved": _("Saved on this phone; it will be sent when the link allows."),
            "discard": _("Discard"),
            "retry_now": _("Retry now"),
        },
    }
    return render(
        request,
        "monitoring/observe.html",
        {"form": form, "observe_config": config},
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def observe(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    if request.method != "POST":
        return _observe_page(request, ObservationForm(user=user))
    form = ObservationForm(request.POST, user=user)
    if not form.is_valid():
        return _observe_page(request, form, status=422)
    try:
        result = services.observation_record(actor=user, data=form.service_data())
    except Conflict as exc:
        if exc.field != "client_uuid":
            _refuse(form, exc)
            return _observe_page(request, form, status=exc.status)
        # The same form id came with other content: keep what was typed, under a new id.
        data = request.POST.copy()
        data["client_uuid"] = str(ObservationForm(user=user).initial["client_uuid"])
        fresh = ObservationForm(data, user=user)
        fresh.is_valid()
        fresh.add_error(None, _("This form had already been sent with other content."))
        return _observe_page(request, fresh, status=exc.status)
    except DomainError as exc:
        _refuse(form, exc)
        return _observe_page(request, form, status=exc.status)
    if result.created:
        messages.success(request, _("Observation recorded."))
    else:
        messages.info(request, _("This observation had already been received."))
    return redirect(reverse("monitoring:observe"))


# --- counts ----------------------------------------------------------------------------


@login_required
@require_safe
def counts(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    context = counts_page_context(request.GET, user, current_window())
    return render(request, "monitoring/counts.html", context)
