"""The exchanges of detainees and remains API, mounted under /api/v1/detainees/."""

from ninja import Router

router = Router(tags=["detainees"])
