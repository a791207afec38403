"""The duty-officer queue: live alerts, acknowledge and resolve.

Mission users only: for anyone else every page here is a 404, as for any
record they may not see. The queue polls a fragment every second; the
fragment answers 204 (nothing to swap) when nothing shown has changed, so a
bad link carries a few bytes a second and a focused button keeps its focus.
Each poll also escalates whatever is due, so a demo without cron escalates.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from truce.alerts import queue_rows, selectors, services
from truce.alerts.messages import Text, localized, type_label
from truce.alerts.models import Alert, AlertStatus
from truce.alerts.permissions import is_mission_user, may_respond
from truce.alerts.serializers import is_overdue
from truce.core.errors import DomainError, NotFound
from truce.core.web import is_htmx
from truce.ledger.selectors import record_history
from truce.lib.time import utcnow

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from truce.core.models import User

logger = logging.getLogger("truce.alerts")

# How often a poll may also look for silent posts (escalation runs on every poll).
SILENCE_CHECK_SECONDS = 60.0

ROLE_LABELS: dict[str, _StrPromise] = {
    "administrator": gettext_lazy("Administrator"),
    "duty_officer": gettext_lazy("Duty officer"),
    "op_operator": gettext_lazy("OP operator"),
    "analyst": gettext_lazy("Analyst"),
    "liaison_officer": gettext_lazy("Liaison officer"),
    "agency_staff": gettext_lazy("Agency staff"),
    "viewer": gettext_lazy("Viewer"),
}
SEVERITY_LABELS: dict[str, _StrPromise] = {
    "critical": gettext_lazy("Critical"),
    "high": gettext_lazy("High"),
    "medium": gettext_lazy("Medium"),
    "low": gettext_lazy("Low"),
}
STATUS_LABELS: dict[str, _StrPromise] = {
    "open": gettext_lazy("Open"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "resolved": gettext_lazy("Resolved"),
    "auto_resolved": gettext_lazy("Resolved automatically"),
}
KIND_LABELS: dict[str, _StrPromise] = {
    "verified_violation": gettext_lazy("Verified violation"),
    "threshold": gettext_lazy("Observations over a threshold"),
    "casualty": gettext_lazy("Casualties"),
    "op_silent": gettext_lazy("Observation post silent"),
    "proximity": gettext_lazy("Near a settlement or the corridor"),
}
ACTION_LABELS: dict[str, _StrPromise] = {
    "raise": gettext_lazy("raised"),
    "escalate": gettext_lazy("escalated"),
    "acknowledge": gettext_lazy("acknowledged"),
    "resolve": gettext_lazy("resolved"),
    "auto_resolve": gettext_lazy("resolved automatically"),
}


@dataclass(frozen=True)
class Subject:
    label: str
    text: str
    href: str | None


@dataclass(frozen=True)
class Row:
    """One alert as the queue shows it, its links made once per page (see _Links).

    Its title and message are in the reader's language (truce.alerts.messages).
    """

    alert: Alert
    subjects: list[Subject]
    overdue: bool
    may_respond: bool
    url: str = ""
    acknowledge_url: str = ""
    resolve_url: str = ""

    @cached_property
    def text(self) -> Text:
        # In the reader's language, from the params on the row (no query); once
        # per row, as the template reads the title, message and language apart.
        return localized(self.alert)

    @property
    def title(self) -> str:
        return self.text.title

    @property
    def message(self) -> str:
        return self.text.message

    @property
    def severity_label(self) -> str:
        return str(SEVERITY_LABELS.get(self.alert.severity, self.alert.severity))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.alert.status, self.alert.status))

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.alert.kind, self.alert.kind))

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS.get(self.alert.current_role, self.alert.current_role))

    @property
    def next_role_label(self) -> str:
        return str(ROLE_LABELS.get(self.alert.next_role, self.alert.next_role))


def _href(record: Any) -> str | None:
    url = record.get_absolute_url() if hasattr(record, "get_absolute_url") else None
    return str(url) if url else None


def _page(name: str, **kwargs: Any) -> str | None:
    """A monitoring page, if that app serves one (the queue works without it)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _subjects(alert: Alert, links: _Links | None = None) -> list[Subject]:
    links = links or _Links()
    subjects = []
    incident = alert.incident
    if incident is not None:
        href = _href(incident) or links.incident(incident.public_id)
        subjects.append(Subject(_("Incident"), incident.reference, href))
    if alert.observation is not None:
        kind = type_label(alert.observation.type)
        subjects.append(Subject(_("Observation"), kind, _href(alert.observation)))
    if alert.facility is not None:
        post = alert.facility
        href = _page("monitoring:post-detail", code=post.code) or _href(post)
        subjects.append(Subject(_("Post"), post.name, href))
    if alert.zone is not None:
        subjects.append(Subject(_("Zone"), alert.zone.name, links.zone(alert.zone.public_id)))
    return subjects


class _Links:
    """The queue's links from one reversal each per page, not several per row.

    The queue is re-rendered for every open page whenever an alert changes;
    reversing URLs row by row was a good part of its cost. Every link here is
    keyed by a UUID, so a placeholder UUID is reversed once and replaced.
    """

    _PLACEHOLDER = "00000000-0000-0000-0000-000000000000"

    def __init__(self) -> None:
        keyed = {"public_id": self._PLACEHOLDER}
        self._patterns = {
            name: reverse(f"alerts:{name}", kwargs=keyed)
            for name in ("detail", "acknowledge", "resolve")
        }
        self._incident = _page("monitoring:incident-detail", **keyed)
        self._zone = reverse("registry-detail", kwargs={"kind": "zones", **keyed})

    def __call__(self, name: str, alert: Alert) -> str:
        return self._patterns[name].replace(self._PLACEHOLDER, str(alert.public_id))

    def incident(self, public_id: Any) -> str | None:
        return self._incident.replace(self._PLACEHOLDER, str(public_id)) if self._incident else None

    def zone(self, public_id: Any) -> str:
        return self._zone.replace(self._PLACEHOLDER, str(public_id))


def _row(alert: Alert, user: User, now: Any, links: _Links | None = None) -> Row:
    links = links or _Links()
    return Row(
        alert,
        _subjects(alert, links),
        is_overdue(alert, now),
        may_respond(user, alert),
        url=links("detail", alert),
        acknowledge_url=links("acknowledge", alert),
        resolve_url=links("resolve", alert),
    )


def _mission_user(request: HttpRequest) -> User:
    # login_required has run; anyone outside the mission must not learn the queue exists.
    user = cast("User", request.user)
    if not is_mission_user(user):
        raise Http404(_("No such page."))
    return user


_silence_lock = threading.Lock()
_silence_checked_at = 0.0


def _poll_tick() -> None:
    """Escalate what is due; now and then, look for silent posts too.

    Never fails the page: the tick command does the same work on schedule.
    """
    global _silence_checked_at
    try:
        services.alerts_escalate_due()
        with _silence_lock:
            due = time.monotonic() - _silence_checked_at >= SILENCE_CHECK_SECONDS
            if due:
                _silence_checked_at = time.monotonic()
        # The demo's records stop on 20 Nov 2020: against today's clock every
        # post would look silent, so there only `truce alerts tick --now` checks.
        if due and settings.TRUCE_ALERTS_POLL_SILENCE:
            services.alerts_check_silence()
    except Exception:
        logger.exception("the queue's tick failed; `truce alerts tick` will catch up")


def _queue_context(request: HttpRequest, user: User) -> dict[str, Any]:
    queue = selectors.alert_queue(user)
    links = _Links()
    active = [_row(alert, user, queue.now, links) for alert in queue.active]
    return {
        "queue": queue,
        "active": active,
        "active_html": queue_rows.render_rows(request, active),
        "recent": [_row(alert, user, queue.now, links) for alert in queue.recent],
    }


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    user = _mission_user(request)
    _poll_tick()
    return render(request, "alerts/queue.html", _queue_context(request, user))


@login_required
@require_safe
def queue_fragment(request: HttpRequest) -> HttpResponse:
    user = _mission_user(request)
    _poll_tick()
    # The usual answer: nothing changed, nothing to send (a cheap digest, no rendering).
    if request.GET.get("state") == selectors.queue_state(user, now=utcnow()):
        return HttpResponse(status=204)
    # A fragment also refreshes the navigation's badge (out of band).
    return render(request, "alerts/_queue.html", {**_queue_context(request, user), "oob": True})


def _visible_alert(user: User, public_id: Any) -> Alert:
    try:
        return selectors.get_alert(user, public_id)
    except NotFound:
        raise Http404(_("No such alert.")) from None


def _after_answer(request: HttpRequest, user: User) -> HttpResponse:
    if is_htmx(request):
        return render(request, "alerts/_queue.html", {**_queue_context(request, user), "oob": True})
    target = request.POST.get("next") or reverse("alerts:queue")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("alerts:queue")
    return HttpResponseRedirect(target)


@login_required
@require_POST
def acknowledge(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = _mission_user(request)
    alert = _visible_alert(user, public_id)
    try:
        services.alert_acknowledge(actor=user, alert=alert)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _after_answer(request, user)


@login_required
@require_POST
def resolve(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = _mission_user(request)
    alert = _visible_alert(user, public_id)
    note = request.POST.get("note", "")[:2000]
    try:
        services.alert_resolve(actor=user, alert=alert, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
    return _after_answer(request, user)


@login_required
@require_safe
def detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = _mission_user(request)
    alert = _visible_alert(user, public_id)
    steps = []
    for item in reversed(record_history(alert, user)):
        steps.append(
            {
                "recorded_at": item.entry.recorded_at,
                "actor": item.entry.actor,
                "action": ACTION_LABELS.get(item.entry.action, item.entry.action),
                "status": STATUS_LABELS.get(item.data.get("status", ""), ""),
                "role": ROLE_LABELS.get(item.data.get("current_role", ""), ""),
            }
        )
    context = {
        "row": _row(alert, user, utcnow()),
        "alert": alert,
        "steps": steps,
        "closed": alert.status in (AlertStatus.RESOLVED, AlertStatus.AUTO_RESOLVED),
        "cap_url": reverse("api:alert_cap", kwargs={"public_id": alert.public_id}),
    }
    return render(request, "alerts/detail.html", context)
