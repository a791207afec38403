"""An observation's page, its correction and withdrawal forms, and its versions.

Views only parse, call a selector or service, and render (STYLE.md rule 3).
The page is a 404 for a record the viewer may not see and for a withdrawn
one (it has left every list); its versions stay readable at .../history/.
The forms are offered to whoever services.may_correct admits (the reporting
party's users, the mission's reviewers); the services decide again on every
write, and anyone else posting gets the same 404 as for a hidden record.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from truce.core.errors import DomainError, NotFound
from truce.core.models import User
from truce.core.serializers import reference
from truce.core.web import viewer
from truce.monitoring import selectors, services
from truce.monitoring.forms import (
    DIRECTION_LABELS,
    OBSERVER_LABELS,
    TYPE_LABELS,
    CorrectionForm,
    WithdrawForm,
)
from truce.monitoring.models import Observation
from truce.monitoring.web import observation_history_rows, observation_rows


def _observation_or_404(user: User, public_id: Any) -> Observation:
    try:
        return selectors.observation_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such observation.")) from None


def _changeable(request: HttpRequest, public_id: Any) -> tuple[User, Observation]:
    """The observation to change: 404 if hidden or not the viewer's to change."""
    user = viewer(request)
    observation = _observation_or_404(user, public_id)
    if not services.may_correct(user, observation):
        raise Http404(_("No such observation."))
    return user, observation


def _refuse(form: Any, error: DomainError) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    if error.field in ("expected_version", "version"):
        form.add_error(
            None,
            _(
                "Someone changed this observation meanwhile (%(detail)s). "
                "Reload the page and try again."
            )
            % {"detail": error.message},
        )
        return
    field = error.field if error.field in form.fields else None
    if field is not None and form.fields[field].widget.is_hidden:
        field = None
    form.add_error(field, error.message)


def _page(
    request: HttpRequest,
    user: User,
    observation: Observation,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    (row,) = observation_rows([observation], user)
    context: dict[str, Any] = {
        "observation": observation,
        "row": row,
        "observer_kind_label": OBSERVER_LABELS.get(
            observation.observer_kind, observation.observer_kind
        ),
        "direction_label": DIRECTION_LABELS.get(observation.direction_of_fire, ""),
        "zone": reference(observation.zone, user, "name"),
        "party": reference(observation.reporting_party, user, "name"),
        "can_correct": services.may_correct(user, observation),
    }
    if context["can_correct"]:
        context["correct_form"] = forms.get("correct") or CorrectionForm(observation=observation)
        context["withdraw_form"] = forms.get("withdraw") or WithdrawForm(
            initial={"version": observation.version}
        )
    return render(request, "monitoring/observation_detail.html", context, status=status)


@login_required
@require_safe
def observation_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    return _page(request, user, _observation_or_404(user, public_id))


@login_required
@require_POST
def observation_correct(request: HttpRequest, public_id: Any) -> HttpResponse:
    user, observation = _changeable(request, public_id)
    form = CorrectionForm(request.POST, observation=observation)
    if not form.is_valid():
        return _page(request, user, observation, forms={"correct": form}, status=422)
    try:
        corrected = services.observation_correct(
            actor=user,
            observation=observation,
            changes=form.changes(),
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        _refuse(form, exc)
        return _page(request, user, observation, forms={"correct": form}, status=exc.status)
    messages.success(
        request, _("Observation corrected (version %(v)s).") % {"v": corrected.version}
    )
    return redirect("monitoring:observation-detail", public_id=corrected.public_id)


@login_required
@require_POST
def observation_withdraw(request: HttpRequest, public_id: Any) -> HttpResponse:
    user, observation = _changeable(request, public_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _page(request, user, observation, forms={"withdraw": form}, status=422)
    try:
        services.observation_withdraw(
            actor=user,
            observation=observation,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        _refuse(form, exc)
        return _page(request, user, observation, forms={"withdraw": form}, status=exc.status)
    messages.success(request, _("Observation withdrawn; it no longer counts anywhere."))
    return redirect("monitoring:observation-history", public_id=observation.public_id)


@login_required
@require_safe
def observation_history(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    try:
        observation = selectors.observation_record_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such observation.")) from None
    context = {
        "observation": observation,
        "type_label": TYPE_LABELS.get(observation.type, observation.type),
        "versions": observation_history_rows(observation, user),
    }
    return render(request, "monitoring/observation_history.html", context)
