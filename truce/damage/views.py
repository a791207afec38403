"""The damage screens that read: rollups, the structure list and page, the map, exports.

Views only parse, call a selector, and render. Counts come from the
visibility-keyed rollups (truce.damage.selectors), every list and layer from
selectors starting at visible(), so a structure another party may not see is a
404 here exactly as in the API, and in no number on any page.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from truce.core.errors import DomainError, NotFound
from truce.core.models import AdminArea, Settlement, User
from truce.core.selectors import visible_by_key
from truce.core.serializers import history_out
from truce.core.sharing import can_see
from truce.damage import selectors, services
from truce.damage.forms import StructureFilterForm
from truce.damage.layers import MEASURES
from truce.damage.models import NEEDS, Grade, Structure, Use
from truce.lib.csv_export import csv_response

PAGE_SIZE = 50
GRADE_LABELS = dict(Grade.choices)
USE_LABELS = dict(Use.choices)


def viewer(request: HttpRequest) -> User:
    # login_required guarantees an authenticated core.User here.
    return cast(User, request.user)


def _common() -> dict[str, Any]:
    return {
        "grades": [(g, GRADE_LABELS[g]) for g in Grade.values],
        "uses": [(u, USE_LABELS[u]) for u in Use.values],
        "needs": NEEDS,
    }


def _place_or_404(model: type[Settlement] | type[AdminArea], user: User, pcode: str) -> Any:
    found = visible_by_key(model, user, pcode=pcode).first()
    if found is None:
        raise Http404(_("No such place."))
    return found


# --- rollups ------------------------------------------------------------------------

# The tables' columns: the four grades, all grades, then the needs the briefings name.
TABLE_NEEDS = NEEDS[:2]


def _quantity(value: float) -> str:
    return f"{round(value, 2):,.2f}".rstrip("0").rstrip(".")


def _cells(tally: selectors.Tally, structures_url: str, query: str | None) -> list[Any]:
    """(text, link or None) per column, built here once: a template tag per cell would be
    most of a page's time at a few dozen rows (bench/BENCHMARKS.md, damage_rollups)."""
    cells: list[tuple[str, str | None]] = []
    for grade in Grade.values:
        n = tally.by_grade.get(grade, 0)
        link = f"{structures_url}?{query}&grade={grade}" if n and query else None
        cells.append((str(n), link))
    total = tally.total
    cells.append((str(total), f"{structures_url}?{query}" if total and query else None))
    needs = tally.needs
    cells += [(_quantity(needs[n.key]), None) for n in TABLE_NEEDS]
    return cells


def table_rows(rows: Iterable[selectors.RollupRow], kind: str) -> list[dict[str, Any]]:
    """Rollup rows as the tables show them: place, its link, and each column's cell."""
    structures_url = reverse("damage:structure-list")
    settlements_url = reverse("damage:rollup-settlements")
    one = reverse("damage:rollup-settlement", kwargs={"pcode": "PCODE"})
    found: list[dict[str, Any]] = []
    for row in rows:
        place = row.place
        if place is None:
            found.append({"place": None, "cells": _cells(row.tally, structures_url, None)})
            continue
        query = urlencode({kind: place.pcode})
        href = (
            one.replace("PCODE", place.pcode)
            if kind == "settlement"
            else f"{settlements_url}?{query}"
        )
        found.append(
            {"place": place, "href": href, "cells": _cells(row.tally, structures_url, query)}
        )
    return found


def _headings() -> list[str]:
    labels = [str(GRADE_LABELS[g]) for g in Grade.values] + [_("All grades")]
    return labels + [f"{n.label} ({n.unit})" for n in TABLE_NEEDS]


@login_required
@require_safe
def rollup_areas(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    totals = selectors.rollup_totals(user)
    context = {
        "headings": _headings(),
        "rows": table_rows(selectors.rollup_by_area(user), "area"),
        "totals": totals,
        "total_cells": _cells(totals, reverse("damage:structure-list"), "all=1"),
    }
    return render(request, "damage/rollup_areas.html", context)


@login_required
@require_safe
def rollup_settlements(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    area_code = request.GET.get("area") or None
    area = _place_or_404(AdminArea, user, area_code) if area_code else None
    rows: Any = selectors.SettlementRollups(user, area=area_code)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "headings": _headings(),
        "area": area,
        "page": page,
        "rows": table_rows(page.object_list, "settlement"),
        "totals": selectors.rollup_totals(user, area=area_code),
        "query": urlencode({"area": area_code} if area_code else {}),
    }
    return render(request, "damage/rollup_settlements.html", context)


@login_required
@require_safe
def rollup_settlement(request: HttpRequest, pcode: str) -> HttpResponse:
    user = viewer(request)
    settlement = _place_or_404(Settlement, user, pcode)
    totals = selectors.rollup_totals(user, settlement=pcode)
    context = {
        **_common(),
        "settlement": settlement,
        "totals": totals,
        "need_rows": [
            (g, label, [totals.needs_by_grade[g][n.key] for n in NEEDS])
            for g, label in _common()["grades"]
        ],
    }
    return render(request, "damage/rollup_settlement.html", context)


# --- structures -----------------------------------------------------------------------


@login_required
@require_safe
def structure_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    form = StructureFilterForm(request.GET)
    try:
        rows = selectors.structures_visible_to(user, **form.selector_kwargs())
    except DomainError as exc:
        form.add_error(None, exc.message)
        rows = Structure.objects.none()
    if request.GET.get("format") == "csv":
        return structures_csv(rows, user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        **_common(),
        "form": form,
        "page": page,
        "query": urlencode(query),
        "csv_query": urlencode({**query, "format": "csv"}),
        "can_assess": services.can_assess(user),
    }
    return render(request, "damage/structure_list.html", context)


def structure_or_404(user: User, public_id: Any) -> Structure:
    try:
        return selectors.structure_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such structure.")) from None


@login_required
@require_safe
def structure_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    structure = structure_or_404(user, public_id)
    context = {
        **_common(),
        "structure": structure,
        "settlement_shown": can_see(structure.settlement, user),
        "needs_rows": [(n, getattr(structure, n.column)) for n in NEEDS],
        "photos": selectors.photos_of(user, structure),
        "can_change": services.can_change(user, structure),
    }
    return render(request, "damage/structure_detail.html", context)


@login_required
@require_safe
def structure_history(request: HttpRequest, public_id: Any) -> HttpResponse:
    user = viewer(request)
    try:
        structure = selectors.structure_record_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such structure.")) from None
    entries = history_out(structure, user)
    shown = ["grade", "use", "assessed_on", *(n.column for n in NEEDS), "geometry", "notes"]
    rows = [
        {**e, "values": [(name, e["data"].get(name)) for name in shown if name in e["changed"]]}
        for e in entries
    ]
    return render(
        request, "damage/structure_history.html", {"structure": structure, "entries": rows}
    )


@login_required
@require_safe
def photo_download(request: HttpRequest, public_id: Any) -> FileResponse:
    user = viewer(request)
    try:
        photo = selectors.photo_get(user, str(public_id))
    except NotFound:
        raise Http404(_("No such photo.")) from None
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="{photo.sha256[:16]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- CSV export -----------------------------------------------------------------------


CSV_HEADER = [
    "id",
    "version",
    "settlement",
    "reference",
    "use",
    "grade",
    "lon",
    "lat",
    *(n.key for n in NEEDS),
    "assessed_on",
    "location_approximate",
    "source",
]


def _csv_rows(rows: Iterable[Structure], user: User) -> Iterator[list[Any]]:
    for s in rows:
        shown = can_see(s.settlement, user)
        values = [str(s.public_id), s.version, s.settlement.pcode if shown else "", s.reference]
        values += [s.use, s.grade, s.lon, s.lat]
        values += [getattr(s, n.column) for n in NEEDS]
        values += [s.assessed_on.isoformat(), s.location_approximate, s.source]
        yield values


def structures_csv(rows: Any, user: User) -> StreamingHttpResponse:
    return csv_response("structures", CSV_HEADER, _csv_rows(rows.iterator(chunk_size=2000), user))


# --- the map --------------------------------------------------------------------------


def _tile_url() -> str | None:
    return getattr(settings, "TRUCE_TILE_URL", None) or os.environ.get("TRUCE_TILE_URL") or None


@login_required
@require_safe
def damage_map(request: HttpRequest) -> HttpResponse:
    measure = request.GET.get("measure") or Grade.DESTROYED.value
    if measure not in MEASURES:
        measure = Grade.DESTROYED.value
    api = f"{get_script_prefix()}api/v1/damage/"
    labels = {
        "legend": _("Layers"),
        "cells": _("Damage by place"),
        "structures": _("Structures"),
        "approximate": _("Approximate settlement catchments (nearest settlement), not boundaries."),
        "areas": _("Administrative areas"),
        "loading": _("Loading…"),
        "failed": _("Could not load"),
        "open": _("Open the rollup"),
        "open_structure": _("Open the structure"),
        "total": _("Structures assessed"),
        "value": _("Shown"),
        "zoom": _("Zoom in to see individual structures."),
        "tiles": _("Base map tiles"),
        "borders": _("Country outlines"),
    }
    grade_labels = {g: str(label) for g, label in GRADE_LABELS.items()}
    measure_labels = {**grade_labels, "total": _("All grades")}
    measure_labels.update({n.key: f"{n.label} ({n.unit})" for n in NEEDS})
    config = {
        "cellsUrl": f"{api}choropleth.geojson?measure={measure}",
        "structuresUrl": f"{api}structures.geojson",
        "tileUrl": _tile_url(),
        "measure": measure,
        "labels": labels,
        "gradeLabels": grade_labels,
        "structureZoom": 12,
        "wholeNumbers": measure in Grade.values or measure == "total",
    }
    context = {
        "map_config": config,
        "measure": measure,
        "measures": [(m, measure_labels[m]) for m in MEASURES],
        **_common(),
    }
    return render(request, "damage/map.html", context)
