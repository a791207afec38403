"""Small builders for the damage tests (helpers, not fixtures)."""

from __future__ import annotations

from typing import Any

from truce.core.models import User
from truce.damage import services
from truce.damage.models import Structure

_counter = {"n": 0}


def assess(
    actor: User | None,
    *,
    settlement: str = "T-PUB",
    grade: str = "destroyed",
    use: str = "housing",
    visibility: list[str] | None = None,
    needs: dict[str, float] | None = None,
    **extra: Any,
) -> Structure:
    _counter["n"] += 1
    data = {
        "settlement": settlement,
        "reference": extra.pop("reference", f"S-{_counter['n']:05d}"),
        "use": use,
        "grade": grade,
        "assessed_on": "2020-11-20",
        "needs": needs if needs is not None else {"glazing_m2": 12.5, "roofing_m2": 80},
        **extra,
    }
    return services.structure_create(actor=actor, data=data, visibility=visibility)
