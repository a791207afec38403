"""Pages for figures: each value with the records and sources behind it."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from truce.core.figures import REGISTRY, FigureQuery, figure_value
from truce.core.models import User


@login_required
def figure_detail(request: HttpRequest, key: str) -> HttpResponse:
    if key not in REGISTRY:
        raise Http404("no such figure")
    # login_required guarantees an authenticated core.User here.
    value = figure_value(key, FigureQuery(user=cast("User", request.user)))
    return render(
        request,
        "truce/figure_detail.html",
        {"figure": REGISTRY[key], "value": value},
    )
