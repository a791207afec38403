"""The displacement and returns API, mounted under /api/v1/population/."""

from ninja import Router

router = Router(tags=["population"])
