"""Reads of displacement and returns records, always through party visibility.

Every household read goes through households_visible_to, which starts from
truce.core.sharing.visible and redacts personal fields for the reader
(truce.population.redaction), so no screen, export, endpoint or map layer
can show what the reader's role may not read.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from truce.core.sharing import visible
from truce.population.models import Household

if TYPE_CHECKING:
    from truce.core.models import User


def households_visible_to(
    user: User | None,
    *,
    origin: str | None = None,
    current: str | None = None,
    intention: str | None = None,
    intended: str | None = None,
    vulnerability: str | None = None,
    vulnerable: bool | None = None,
    expected_from: dt.date | None = None,
    expected_until: dt.date | None = None,
    **filters: Any,
) -> QuerySet[Household]:
    """Households the reader may see, personal fields redacted for the reader's roles.

    origin / current / intended are settlement P-codes; vulnerability a
    Vulnerability code; other keyword filters pass to QuerySet.filter.
    """
    qs = visible(Household.objects.all(), user).select_related(
        "origin_settlement", "current_settlement", "intended_settlement"
    )
    if origin:
        qs = qs.filter(origin_settlement__pcode=origin)
    if current:
        qs = qs.filter(current_settlement__pcode=current)
    if intended:
        qs = qs.filter(intended_settlement__pcode=intended)
    if intention:
        qs = qs.filter(intention=intention)
    if vulnerability:
        # JSON containment is not on SQLite; the codes are validated slugs, so
        # matching the quoted code in the stored text is exact.
        qs = qs.filter(vulnerabilities__icontains=f'"{vulnerability}"')
    if vulnerable is True:
        qs = qs.exclude(vulnerabilities=[])
    elif vulnerable is False:
        qs = qs.filter(vulnerabilities=[])
    if expected_from:
        qs = qs.filter(expected_on__gte=expected_from)
    if expected_until:
        qs = qs.filter(expected_on__lte=expected_until)
    if filters:
        qs = qs.filter(**filters)
    return qs.redacted_for(user)  # type: ignore[attr-defined]
