"""The convoys API, under /api/v1/convoys/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["convoys"])
