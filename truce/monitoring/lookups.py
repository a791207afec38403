"""Small reads the monitoring API and screens share, each on top of a visibility selector.

They resolve what a request names (an OP code, incident ids) into records
the caller may see, so a name that points at
something hidden fails exactly as a name that points at nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from truce.core import selectors as core_selectors
from truce.core.errors import NotFound
from truce.core.models import Facility, FacilityKind
from truce.core.sharing import visible
from truce.monitoring import selectors
from truce.monitoring.models import Attachment, Incident, Observation

if TYPE_CHECKING:
    from truce.core.models import User


def attachments_of(user: User, observation: Observation) -> list[Attachment]:
    """The observation's attachments the user may see, oldest first."""
    rows = Attachment.objects.filter(observation=observation).select_related("observation")
    return list(visible(rows, user).order_by("created_at", "pk"))


def observations_of_incident(user: User, incident: Incident) -> list[Observation]:
    """The incident's observations the user may see, oldest first."""
    rows = selectors.observations_visible_to(user, incident=str(incident.public_id))
    return list(rows.order_by("observed_at", "pk"))


def incidents_by_ids(user: User, ids: Iterable[str], *, field: str) -> list[Incident]:
    """Each named incident, or NotFound naming `field` at the first hidden or absent one."""
    found: list[Incident] = []
    for value in ids:
        try:
            found.append(selectors.incident_get(user, value))
        except NotFound:
            raise NotFound(f"no such incident: {value}", field=field) from None
    return found


def visible_post(user: User, code: str, *, field: str = "post") -> Facility:
    """An observation post the user may see, by its code."""
    row = (
        core_selectors.facilities_visible_to(user, kind=FacilityKind.OBSERVATION_POST)
        .filter(code=code)
        .first()
    )
    if row is None:
        raise NotFound(f"no observation post {code!r}", field=field)
    return row
