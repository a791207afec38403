"""The logistics API, under /api/v1/logistics/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["logistics"])
