from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

RESPONSE_NAMESPACES = (
    "population",
    "detainees",
    "damage",
    "shelter",
    "winter",
    "mineaction",
    "routing",
    "logistics",
    "convoys",
    "funding",
    "deployment",
)


def truce(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    party = getattr(user, "party", None) if user is not None and user.is_authenticated else None
    return {
        "truce_mode": settings.TRUCE_MODE,
        "viewer_party": party,
        "mission_time_zone": settings.MISSION_TIME_ZONE,
        # The apps under the Response menu, so the menu shows which is open.
        "response_namespaces": RESPONSE_NAMESPACES,
    }
