"""Logistics screens: warehouses with stock and free capacity, stock movement forms, an
item's stock card with its running balance, the catalogue, requests, pledges,
consignments with their lines; CSV downloads of each list.

Views parse, call a selector or a service, and render. Reads go through
truce.logistics.selectors, so what a party cannot see is absent (404 for a detail).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from truce.core.errors import DomainError, NotFound, PermissionDenied
from truce.core.figures import FigureQuery, figure_value
from truce.core.models import User
from truce.core.web import viewer
from truce.lib.csv_export import csv_response
from truce.lib.time import utcnow
from truce.logistics import selectors, services
from truce.logistics.forms import MovementForm
from truce.logistics.models import ItemCategory

CARD_PAGE = 50


def _may_write(user: User) -> bool:
    try:
        services.ensure_logistics_writer(user)
    except PermissionDenied:
        return False
    return True


def _or_404(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


@login_required
@require_safe
def overview(request: HttpRequest) -> HttpResponseBase:
    """Every warehouse the reader sees, what it holds, and the cargo totals as stated."""
    user = viewer(request)
    warehouses = selectors.warehouses_with_stock(user)
    if _wants_csv(request):
        return _stock_csv("logistics-stock", warehouses)
    labels = dict(ItemCategory.choices)
    by_category = sorted(
        ((labels[c], t) for c, t in selectors.stock_by_category(user).items()),
        key=lambda pair: str(pair[0]),
    )
    context = {
        "warehouses": warehouses,
        "by_category": by_category,
        "consignments": figure_value("logistics_consignments_t", FigureQuery(user)),
        "stated": list(selectors.stated_totals_visible_to(user)),
    }
    return render(request, "logistics/overview.html", context)


def _stock_csv(name: str, warehouses: list[selectors.WarehouseStock]) -> HttpResponseBase:
    header = ["warehouse", "item", "name", "category", "quantity", "unit", "weight_t"]

    def rows() -> Iterator[list[Any]]:
        for stock in warehouses:
            for lv in stock.levels:
                yield [
                    stock.facility.code,
                    lv.item.code,
                    lv.item.name,
                    lv.item.category,
                    lv.quantity,
                    lv.item.unit,
                    lv.item.weight_kg(lv.quantity) / 1000,
                ]

    return csv_response(name, header, rows())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def warehouse(request: HttpRequest, code: str) -> HttpResponseBase:
    """A warehouse's stock with its free capacity, and the form for every stock change."""
    user = viewer(request)
    stock = _or_404(selectors.warehouse_stock, user, code)
    if _wants_csv(request):
        return _stock_csv(f"stock-{code}", [stock])
    items = [(i.code, f"{i.name} ({i.unit})") for i in selectors.items_visible_to(user)]
    may_write = _may_write(user)
    operation = request.GET.get("op", "receive")
    form = MovementForm(
        items=items,
        initial={
            "operation": operation,
            "occurred_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
            "item": request.GET.get("item"),
        },
    )
    status = 200
    if request.method == "POST":
        if not may_write:
            raise DjangoPermissionDenied(_("You may not record stock movements."))
        form = MovementForm(request.POST, items=items)
        if form.is_valid():
            try:
                _apply(user, stock.facility.code, form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The stock movement is recorded."))
                return redirect("logistics:warehouse", code=code)
        status = 400
    context = {"stock": stock, "form": form, "may_write": may_write}
    return render(request, "logistics/warehouse.html", context, status=status)


def _apply(user: User, code: str, data: dict[str, Any]) -> None:
    common = {
        "actor": user,
        "warehouse": code,
        "item": data["item"],
        "quantity": data["quantity"],
        "occurred_at": data["occurred_at"],
        "reference": data["reference"],
        "source": data["source"],
        "note": data["note"],
    }
    operation = data["operation"]
    if operation == "receive":
        services.stock_receive(**common)
    elif operation == "dispatch":
        services.stock_dispatch(**common)
    else:
        services.stock_adjust(reason=operation, **common)


@login_required
@require_safe
def stock_card(request: HttpRequest, code: str, item: str) -> HttpResponseBase:
    """An item's stock card at a warehouse: movements newest first with the balance left."""
    user = viewer(request)
    place = _or_404(selectors.warehouse_get, user, code)
    goods = _or_404(selectors.item_get, user, item)
    if _wants_csv(request):
        every = selectors.movements_visible_to(user).filter(warehouse=place, item=goods)
        header = [
            "seq",
            "occurred_at",
            "reason",
            "quantity",
            "balance_after",
            "unit",
            "reference",
            "consignment",
            "note",
            "source",
            "recorded_by",
        ]
        return csv_response(
            f"stock-card-{code}-{item}",
            header,
            (
                [
                    m.pk,
                    m.occurred_at.isoformat(),
                    m.reason,
                    m.quantity,
                    m.balance_after,
                    goods.unit,
                    m.reference,
                    m.consignment.reference if m.consignment else "",
                    m.note,
                    m.source,
                    m.created_by.username if m.created_by else "",
                ]
                for m in every.order_by("id").iterator(chunk_size=2000)
            ),
        )
    before = request.GET.get("before")
    before_id = int(before) if before and before.isdigit() else None
    rows = selectors.stock_card(user, place, goods, limit=CARD_PAGE, before_id=before_id)
    context = {
        "place": place,
        "item": goods,
        "level": selectors.stock_level(user, place, goods),
        "movements": rows,
        "older": rows[-1].pk if len(rows) == CARD_PAGE else None,
        "days": selectors.daily_totals(user, item=goods, warehouse=place)[-30:],
    }
    return render(request, "logistics/stock_card.html", context)


@login_required
@require_safe
def item_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    items = list(selectors.items_visible_to(user))
    if _wants_csv(request):
        header = ["code", "name", "category", "unit", "unit_weight_kg", "unit_volume_m3", "source"]
        return csv_response(
            "logistics-items",
            header,
            (
                [
                    i.code,
                    i.name,
                    i.category,
                    i.unit,
                    i.unit_weight_kg,
                    i.unit_volume_m3 or "",
                    i.source,
                ]
                for i in items
            ),
        )
    return render(request, "logistics/item_list.html", {"items": items})


@login_required
@require_safe
def item(request: HttpRequest, code: str) -> HttpResponseBase:
    user = viewer(request)
    goods = _or_404(selectors.item_get, user, code)
    levels = selectors.stock_levels_visible_to(user).filter(item=goods).order_by("warehouse__code")
    totals = selectors.running_totals(user, item=goods)
    context = {
        "item": goods,
        "levels": list(levels),
        "totals": sorted(totals.items()),
        "net": sum(totals.values(), Decimal(0)),
    }
    return render(request, "logistics/item.html", context)


@login_required
@require_safe
def request_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    rows = selectors.requests_visible_to(user)
    if _wants_csv(request):
        header = [
            "public_id",
            "requested_by",
            "requester",
            "item",
            "quantity",
            "unit",
            "settlement",
            "facility",
            "needed_by",
            "requested_on",
            "status",
            "source",
        ]
        return csv_response(
            "logistics-requests",
            header,
            (
                [
                    r.public_id,
                    r.requested_by.code if r.requested_by else "",
                    r.requester,
                    r.item.code,
                    r.quantity,
                    r.item.unit,
                    r.settlement.pcode if r.settlement else "",
                    r.facility.code if r.facility else "",
                    r.needed_by or "",
                    r.requested_on,
                    r.status,
                    r.source,
                ]
                for r in rows.iterator(chunk_size=2000)
            ),
        )
    pledges = selectors.pledges_visible_to(user)
    return render(
        request, "logistics/requests.html", {"requests": list(rows), "pledges": list(pledges)}
    )


@login_required
@require_safe
def pledge_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    rows = selectors.pledges_visible_to(user)
    header = [
        "public_id",
        "donor",
        "item",
        "quantity",
        "unit",
        "request",
        "value",
        "currency",
        "due_by",
        "pledged_on",
        "status",
        "source",
    ]
    return csv_response(
        "logistics-pledges",
        header,
        (
            [
                p.public_id,
                p.donor.code,
                p.item.code,
                p.quantity,
                p.item.unit,
                p.request.public_id if p.request else "",
                p.value if p.value is not None else "",
                p.currency,
                p.due_by or "",
                p.pledged_on,
                p.status,
                p.source,
            ]
            for p in rows.iterator(chunk_size=2000)
        ),
    )


@login_required
@require_safe
def consignment_list(request: HttpRequest) -> HttpResponseBase:
    user = viewer(request)
    rows = list(selectors.consignments_visible_to(user))
    if _wants_csv(request):
        header = [
            "reference",
            "origin",
            "owner",
            "status",
            "prepared_on",
            "item",
            "quantity",
            "unit",
            "weight_kg",
            "value",
            "currency",
            "source",
        ]
        return csv_response(
            "logistics-consignments",
            header,
            (
                [
                    c.reference,
                    c.origin.code,
                    c.owner.code,
                    c.status,
                    c.prepared_on,
                    line.item.code,
                    line.quantity,
                    line.item.unit,
                    line.weight_kg,
                    line.value if line.value is not None else "",
                    line.currency,
                    c.source,
                ]
                for c in rows
                for line in selectors.consignment_lines(user, c)
            ),
        )
    shown = [(c, selectors.consignment_weight_kg(user, c) / 1000) for c in rows]
    return render(request, "logistics/consignment_list.html", {"consignments": shown})


@login_required
@require_safe
def consignment(request: HttpRequest, reference: str) -> HttpResponse:
    user = viewer(request)
    row = _or_404(selectors.consignment_by_reference, user, reference)
    lines = selectors.consignment_lines(user, row)
    movements = selectors.movements_visible_to(user).filter(consignment=row).order_by("id")
    context = {
        "consignment": row,
        "lines": lines,
        "weight_t": sum((line.weight_kg for line in lines), Decimal(0)) / 1000,
        "movements": list(movements),
    }
    return render(request, "logistics/consignment.html", context)
