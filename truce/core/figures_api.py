"""Figures over the API: the same registry the pages and reports read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch
from ninja import Router, Schema

from truce.core.auth import api_user
from truce.core.errors import NotFound
from truce.core.figures import REGISTRY, FigureQuery, FigureValue, figure_value
from truce.core.models import Record

router = Router(tags=["figures"])


class SupportingRecordOut(Schema):
    type: str
    id: str
    label: str
    url: str | None
    source: str
    confidence: str


class FigureOut(Schema):
    key: str
    label: str
    value: int | float | str | None
    unit: str
    breakdown: dict[str, int | float]
    sources: list[str]
    records: list[SupportingRecordOut]


def _url(record: Record) -> str | None:
    try:
        return record.get_absolute_url()
    except NoReverseMatch:
        return None


def figure_out(value: FigureValue) -> dict[str, Any]:
    return {
        "key": value.key,
        "label": value.label,
        "value": value.value,
        "unit": value.unit,
        "breakdown": value.breakdown,
        "sources": value.sources,
        "records": [
            {
                "type": r.ledger_type(),
                "id": str(r.public_id),
                "label": str(r),
                "url": _url(r),
                "source": r.source,
                "confidence": r.confidence,
            }
            for r in value.records
        ],
    }


@router.get("/", response=list[FigureOut])
def figures_list(request: HttpRequest, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Every registered figure as the caller may see it, with its supporting records."""
    query = FigureQuery(user=api_user(request), as_of=as_of)
    return [figure_out(figure_value(key, query)) for key in REGISTRY]


@router.get("/{key}", response=FigureOut)
def figures_get(request: HttpRequest, key: str, as_of: dt.date | None = None) -> dict[str, Any]:
    if key not in REGISTRY:
        raise NotFound(f"no figure {key!r}", field="key")
    return figure_out(figure_value(key, FigureQuery(user=api_user(request), as_of=as_of)))
