"""The mineaction API, under /api/v1/mineaction/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["mineaction"])
