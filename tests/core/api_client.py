"""A small client for API tests: a bearer token per user, JSON in and out.

Helpers rather than fixtures, so they add nothing to the fixture namespace
the rest of the suite shares.
"""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from truce.core import services
from truce.core.models import IdempotentRequest, User
from truce.ledger.models import LedgerEntry

PREFIX = "/api/v1"


class Api:
    def __init__(
        self, user: User | None = None, *, token: str | None = None, enforce_csrf: bool = False
    ) -> None:
        headers: dict[str, str] = {}
        if user is not None and token is None:
            _, token = services.token_create(actor=None, user=user, name="test")
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.client = Client(headers=headers, enforce_csrf_checks=enforce_csrf)
        self.token = token

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(PREFIX + path, params)

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(
            PREFIX + path, json.dumps(body), content_type="application/json", headers=headers
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(PREFIX + path, json.dumps(body), content_type="application/json")

    def delete(self, path: str, **params: Any) -> Any:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.delete(PREFIX + path + (f"?{query}" if query else ""))


def error_of(response: Any) -> dict[str, Any]:
    """The error object of a response, after checking it has exactly the one shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def write_counts() -> tuple[int, ...]:
    """Ledger length and row counts of every registry: unchanged means nothing was written."""
    from truce.core.models import AdminArea, Facility, Organisation, Party, Settlement, Zone

    return (
        LedgerEntry.objects.count(),
        Party.objects.count(),
        Organisation.objects.count(),
        AdminArea.objects.count(),
        Settlement.objects.count(),
        Zone.objects.count(),
        Facility.objects.count(),
        IdempotentRequest.objects.count(),
    )


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def ids(page: dict[str, Any]) -> set[str]:
    return {item["id"] for item in page["items"]}
