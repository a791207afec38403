"""The funding API, under /api/v1/funding/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["funding"])
