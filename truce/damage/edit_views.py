"""The damage screens that write: assess, re-assess, delete, add a photo, import a file.

Each parses a form, calls the service and shows its error on the field it
names. An import runs in one transaction; while it runs, the page polls
import_progress, which reads the counter the import leaves in the cache (the
import's own rows are not visible to another request before it commits).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from truce.core.errors import DomainError
from truce.core.models import User
from truce.damage import imports, services
from truce.damage.forms import DeleteForm, ImportForm, PhotoForm, ReassessForm, StructureForm
from truce.damage.models import NEEDS, Structure
from truce.damage.views import structure_or_404, viewer

PROGRESS_TTL_S = 3600


def _forbid_unless_assessor(user: User) -> None:
    if not services.can_assess(user):
        raise Http404(_("You may not record damage assessments."))


@login_required
@require_http_methods(["GET", "POST"])
def structure_create(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    _forbid_unless_assessor(user)
    form = StructureForm(
        request.POST or None, initial={"settlement": request.GET.get("settlement")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            structure = services.structure_create(
                actor=user,
                data=form.service_data(),
                visibility=form.cleaned_data["visibility"] or None,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Structure recorded."))
            return redirect(structure.get_absolute_url())
    return render(request, "damage/structure_form.html", {"form": form, "structure": None})


def _initial(s: Structure) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "use": s.use,
        "grade": s.grade,
        "assessed_on": s.assessed_on.isoformat(),
        "notes": s.notes,
        "expected_version": s.version,
    }
    if not s.location_approximate:
        initial.update(lon=s.lon, lat=s.lat)
    initial.update({n.key: getattr(s, n.column) or "" for n in NEEDS})
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def structure_reassess(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    structure = structure_or_404(user, public_id)
    if not services.can_change(user, structure):
        raise Http404(_("You may not change this structure."))
    form = ReassessForm(request.POST or None, initial=_initial(structure))
    if request.method == "POST" and form.is_valid():
        try:
            services.structure_update(
                actor=user,
                structure=structure,
                changes=form.service_data(),
                expected_version=form.cleaned_data["expected_version"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Re-assessment recorded as a new version."))
            return redirect(structure.get_absolute_url())
    context = {
        "form": form,
        "structure": structure,
        "delete_form": DeleteForm(initial={"expected_version": structure.version}),
    }
    return render(request, "damage/structure_form.html", context)


@login_required
@require_POST
def structure_delete(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    structure = structure_or_404(user, public_id)
    form = DeleteForm(request.POST)
    if form.is_valid():
        try:
            services.structure_delete(
                actor=user,
                structure=structure,
                expected_version=form.cleaned_data["expected_version"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(structure.get_absolute_url())
        messages.success(request, _("Structure deleted; its history is kept."))
        return redirect("damage:structure-list")
    messages.error(request, _("Give a reason for the deletion."))
    return redirect("damage:structure-reassess", public_id=structure.public_id)


@login_required
@require_POST
def photo_upload(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    structure = structure_or_404(user, public_id)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a photo to upload."))
    else:
        try:
            services.photo_add(actor=user, structure=structure, file=form.cleaned_data["file"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Photo added."))
    return redirect(structure.get_absolute_url())


def _progress_key(user: User, token: str) -> str:
    return f"damage-import:{user.pk}:{token}"


@login_required
@require_http_methods(["GET", "POST"])
def structure_import(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    _forbid_unless_assessor(user)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[services.RowError] = []
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"] or uuid.uuid4().hex
        key = _progress_key(user, token)

        def progress(done: int, total: int, phase: str) -> None:
            cache.set(key, {"done": done, "total": total, "phase": phase}, PROGRESS_TTL_S)

        try:
            rows, hxl = imports.read_rows(form.cleaned_data["file"].read())
            created = services.structures_import(
                actor=user,
                rows=rows,
                visibility=form.cleaned_data["visibility"] or None,
                progress=progress,
            )
        except services.ImportInvalid as exc:
            errors = exc.errors
            form.add_error(None, exc.message)
            progress(0, 0, "failed")
        except DomainError as exc:
            form.add_error("file" if exc.field in (None, "file") else None, exc.message)
            progress(0, 0, "failed")
        else:
            kind = _("HXL-tagged CSV") if hxl else _("CSV")
            messages.success(
                request,
                _("%(count)d structures imported from the %(kind)s file.")
                % {"count": len(created), "kind": kind},
            )
            return redirect("damage:structure-list")
    if not form.is_bound:
        form = ImportForm(initial={"token": uuid.uuid4().hex})
    context = {"form": form, "errors": errors, "needs": NEEDS}
    return render(request, "damage/structure_import.html", context)


@login_required
@require_safe
def import_progress(request: HttpRequest, token: str) -> JsonResponse:
    found = cache.get(_progress_key(viewer(request), token))
    return JsonResponse(found or {"done": 0, "total": 0, "phase": "waiting"})
