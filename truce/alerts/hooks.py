"""What the monitoring services tell the alerting side, inside their transaction.

The monitoring app calls these after it has written observations, changed an
incident or recorded a check-in, so an alert is raised in the same
transaction as the write that caused it (and is visible the moment it commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from truce.core.models import User
    from truce.monitoring.models import CheckIn, Incident, Observation


def observations_recorded(observations: Sequence[Observation], *, actor: User | None) -> None:
    """New observations were written (one request's worth, already grouped)."""


def incident_changed(
    incident: Incident, *, actor: User | None, previous_status: str | None
) -> None:
    """An incident was created, regrouped, or changed status (e.g. verified)."""


def check_in_recorded(check_in: CheckIn, *, actor: User | None) -> None:
    """An OP checked in."""
