"""The web UI: home, map, registries (list, detail, history, CSV export).

Views only parse, call a selector and render (STYLE.md rule 3). Every read
goes through truce.core.selectors, so a page, its CSV and the map layers
cannot disagree about who may see what; a record the viewer may not see is
a 404 on every page, never a 403, so its existence is not revealed either.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import ForeignKey
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import get_script_prefix
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from truce.core import selectors
from truce.core.errors import NotFound
from truce.core.figures import FigureQuery, figure_values
from truce.core.forms import (
    ACTION_LABELS,
    CONFIDENCE_LABELS,
    FACILITY_KIND_LABELS,
    OP_ROLE_LABELS,
    SCOPE_LABELS,
    SETTLEMENT_KIND_LABELS,
    ZONE_KIND_LABELS,
    field_label,
)
from truce.core.models import Record
from truce.core.registry_tables import (
    EMPTY,
    REGISTRIES,
    Cell,
    Registry,
    detail_url,
    registry_for,
    system_details,
    text,
)
from truce.core.sharing import visible
from truce.core.web import is_htmx, viewer
from truce.ledger.selectors import HistoryItem, record_history
from truce.lib.csv_export import csv_response

if TYPE_CHECKING:
    from truce.core.models import User

PAGE_SIZE = 50
# Stored values shown with their translated labels (the kinds of different
# registries never share a value, so one table serves all).
CHOICE_LABELS = {
    "kind": {**SETTLEMENT_KIND_LABELS, **ZONE_KIND_LABELS, **FACILITY_KIND_LABELS},
    "op_role": OP_ROLE_LABELS,
    "confidence": CONFIDENCE_LABELS,
    "scope": SCOPE_LABELS,
}
MAP_LAYERS = ("admin-areas", "zones", "settlements", "observation-posts", "facilities")
# Bookkeeping the history row already shows (or that says nothing to a reader).
HISTORY_HIDDEN = frozenset(
    {
        "version",
        "public_id",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "is_deleted",
        "deleted_at",
    }
)


# --- home and map -------------------------------------------------------------------------


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    counts = selectors.registry_counts(user)
    registries = [
        {"kind": kind, "title": registry.title, "count": counts[kind.replace("-", "_")]}
        for kind, registry in REGISTRIES.items()
    ]
    figures = figure_values(FigureQuery(user=user))
    return render(
        request,
        "truce/home.html",
        {"registries": registries, "counts": counts, "figures": figures},
    )


def _tile_url() -> str | None:
    # An optional base layer: a deployment's own tile server. The map must
    # read well without one, so nothing here is required.
    return getattr(settings, "TRUCE_TILE_URL", None) or os.environ.get("TRUCE_TILE_URL") or None


def _map_labels() -> dict[str, str]:
    """Words the map script shows, translated here so the script needs no catalogue."""
    return {
        "admin-areas": _("Administrative areas"),
        "zones": _("Zones"),
        "settlements": _("Settlements"),
        "op-contact_line": _("OPs on the contact line"),
        "op-corridor_traffic": _("Corridor traffic posts"),
        "facilities": _("Other facilities"),
        "tiles": _("Base map tiles"),
        # Translators: the layer of country outlines and names under the map's data.
        "borders": _("Country outlines"),
        "legend": _("Layers"),
        "approximate": _("Approximate position"),
        "open": _("Open record"),
        "other_names": _("Other names"),
        "pcode": _("P-code"),
        "code": _("Code"),
        "population": _("Baseline population"),
        "battalion": _("Battalion"),
        "zone": _("Zone"),
        "kind": _("Kind"),
        "level": _("Level"),
        "loading": _("Loading…"),
        "failed": _("Could not load"),
        "empty": _("Nothing to show on the map yet."),
    }


@login_required
@require_safe
def map_view(request: HttpRequest) -> HttpResponse:
    config = {
        "layersUrl": f"{get_script_prefix()}api/v1/layers/",
        "layers": list(MAP_LAYERS),
        "tileUrl": _tile_url(),
        "labels": _map_labels(),
        "kindLabels": {
            key: str(label)
            for labels in (
                SETTLEMENT_KIND_LABELS,
                ZONE_KIND_LABELS,
                FACILITY_KIND_LABELS,
                OP_ROLE_LABELS,
            )
            for key, label in labels.items()
        },
    }
    return render(request, "truce/map.html", {"map_config": config})


# --- registries ---------------------------------------------------------------------------


def _row(registry: Registry, record: Any, user: User) -> list[Cell]:
    return [cell(record, user) for _label, cell in registry.columns]


@login_required
@require_safe
def registry_list(request: HttpRequest, kind: str) -> HttpResponseBase:
    registry = registry_for(kind)
    user = viewer(request)
    form = registry.form(request.GET, user=user)
    rows = registry.rows(user, form.selector_kwargs())
    if request.GET.get("format") == "csv":
        return _csv_response(registry, rows, user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "registry": registry,
        "form": form,
        "page": page,
        "headings": [label for label, _cell in registry.columns],
        "table": [_row(registry, record, user) for record in page.object_list],
    }
    return render(request, "truce/registry_list.html", context)


def _csv_response(registry: Registry, rows: Any, user: User) -> StreamingHttpResponse:
    header = ["public_id", *(name for name, _fn in registry.csv)]
    values = (
        [str(record.public_id), *(fn(record, user) for _name, fn in registry.csv)]
        for record in rows.iterator(chunk_size=2000)
    )
    return csv_response(registry.kind, header, values)


def _visible_or_404(registry: Registry, user: User, public_id: Any) -> Record:
    try:
        return selectors.get_visible(registry.rows(user), user, public_id)
    except NotFound:
        raise Http404(_("No such record.")) from None


@login_required
@require_safe
def registry_detail(request: HttpRequest, kind: str, public_id: Any) -> HttpResponse:
    registry = registry_for(kind)
    user = viewer(request)
    record = _visible_or_404(registry, user, public_id)
    details = [(label, cell(record, user)) for label, cell in registry.details]
    geometry = getattr(record, "geometry", None) if registry.has_geometry else None
    context = {
        "registry": registry,
        "record": record,
        "details": details,
        "system": system_details(record, user),
        "geometry": geometry,
        "approximate": getattr(record, "location_approximate", False),
    }
    return render(request, "truce/registry_detail.html", context)


@login_required
@require_safe
def registry_history(request: HttpRequest, kind: str, public_id: Any) -> HttpResponse:
    registry = registry_for(kind)
    user = viewer(request)
    record = _visible_or_404(registry, user, public_id)
    versions = _history_rows(record, record_history(record, user), user)
    context = {"registry": registry, "record": record, "versions": versions}
    # HTMX fills the tab with the fragment; a plain link (no script) gets a page.
    template = "truce/_history.html" if is_htmx(request) else "truce/registry_history.html"
    return render(request, template, context)


# --- history ------------------------------------------------------------------------------


def _reference_fields(record: Record) -> dict[str, type[Record]]:
    fields: dict[str, type[Record]] = {}
    for model_field in record._meta.concrete_fields:
        related = getattr(model_field, "related_model", None)
        if (
            isinstance(model_field, ForeignKey)
            and isinstance(related, type)
            and issubclass(related, Record)
        ):
            fields[model_field.name] = related
    return fields


def _resolve_references(record: Record, items: list[HistoryItem], user: User) -> dict[str, Record]:
    """Referenced records (by public id) that the viewer may see, one query per model.

    A reference to a hidden record shows as unset, exactly as on the detail page.
    """
    wanted: dict[type[Record], set[str]] = {}
    for name, model in _reference_fields(record).items():
        for item in items:
            value = item.data.get(name)
            if isinstance(value, str) and value:
                wanted.setdefault(model, set()).add(value)
    found: dict[str, Record] = {}
    for model, ids in wanted.items():
        for row in visible(model._default_manager.filter(public_id__in=ids), user):
            found[str(row.public_id)] = row
    return found


def _history_value(name: str, value: Any, refs: dict[str, Record], ref_names: set[str]) -> Cell:
    if name in ref_names:
        target = refs.get(value) if isinstance(value, str) else None
        return Cell(str(target), href=detail_url(target)) if target is not None else EMPTY
    if name == "geometry":
        # Coordinates of a polygon would swamp the table; the map shows the shape.
        return Cell(str(value.get("type", ""))) if isinstance(value, dict) else EMPTY
    if name == "visibility" and isinstance(value, list):
        return Cell(", ".join(str(SCOPE_LABELS.get(s, s)) for s in value))
    if name in CHOICE_LABELS and isinstance(value, str):
        return Cell(str(CHOICE_LABELS[name].get(value, value))) if value else EMPTY
    if isinstance(value, list):
        return Cell(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return Cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return text(value)


def _history_rows(record: Record, items: list[HistoryItem], user: User) -> list[dict[str, Any]]:
    refs = _resolve_references(record, items, user)
    ref_names = set(_reference_fields(record))
    hidden = set(HISTORY_HIDDEN)
    if not user.is_mission:
        # As on the detail page: only the mission sees with whom a record is shared.
        hidden.add("visibility")
    rows = []
    for item in reversed(items):
        # A first version "changes" every field from nothing; its empty ones say nothing.
        first = item.entry.action == "create"
        changes = [
            (field_label(name), _history_value(name, item.data.get(name), refs, ref_names))
            for name in item.changed
            if name not in hidden and not (first and item.data.get(name) in (None, ""))
        ]
        recorded_at: dt.datetime = item.entry.recorded_at
        rows.append(
            {
                "version": item.entry.record_version,
                "recorded_at": recorded_at,
                "actor": item.entry.actor,
                "action": ACTION_LABELS.get(item.entry.action, item.entry.action),
                "changes": changes,
            }
        )
    return rows
