"""The winter readiness API, mounted under /api/v1/winter/."""

from ninja import Router

router = Router(tags=["winter"])
