"""The damage assessment API, mounted under /api/v1/damage/."""

from ninja import Router

router = Router(tags=["damage"])
