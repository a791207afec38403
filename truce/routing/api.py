"""The routing API, under /api/v1/routing/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["routing"])
