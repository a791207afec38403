"""The shelter API, mounted under /api/v1/shelter/."""

from ninja import Router

router = Router(tags=["shelter"])
