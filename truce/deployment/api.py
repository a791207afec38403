"""The deployment API, under /api/v1/deployment/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["deployment"])
