"""Party visibility: who may see a record.

A record's visibility scope is a set drawn from {mission, side_a, side_b,
agencies, public}. The mission always sees everything, so "mission" alone
means mission-only. Stored as one boolean column per shareable scope so any
database can index and filter it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet

from truce.core.errors import InvalidInput

if TYPE_CHECKING:
    from truce.core.models import User


class Scope(StrEnum):
    MISSION = "mission"
    SIDE_A = "side_a"
    SIDE_B = "side_b"
    AGENCIES = "agencies"
    PUBLIC = "public"


# Scopes a record can be shared with, and the column that holds each.
SHARE_COLUMNS: dict[Scope, str] = {
    Scope.SIDE_A: "share_side_a",
    Scope.SIDE_B: "share_side_b",
    Scope.AGENCIES: "share_agencies",
    Scope.PUBLIC: "share_public",
}
# Names accepted on input besides the scopes themselves.
ALIASES: dict[str, tuple[Scope, ...]] = {
    "both_sides": (Scope.SIDE_A, Scope.SIDE_B),
    "mission_only": (Scope.MISSION,),
}
VALID_NAMES = sorted([s.value for s in Scope] + list(ALIASES))

M = TypeVar("M", bound=Model)


def parse_visibility(value: Iterable[str] | str | None, *, field: str = "visibility") -> set[Scope]:
    """Validate a visibility given as a list (or comma-separated string) of scope names."""
    if value is None:
        return {Scope.MISSION}
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    scopes: set[Scope] = {Scope.MISSION}
    for item in items:
        if not isinstance(item, str) or not item:
            raise InvalidInput("visibility entries must be non-empty scope names", field=field)
        if item in ALIASES:
            scopes.update(ALIASES[item])
            continue
        try:
            scopes.add(Scope(item))
        except ValueError:
            raise InvalidInput(
                f"unknown visibility scope {item!r}; use any of {', '.join(VALID_NAMES)}",
                field=field,
            ) from None
    return scopes


def share_columns_for(scopes: set[Scope]) -> dict[str, bool]:
    return {column: scope in scopes for scope, column in SHARE_COLUMNS.items()}


def visibility_of(record: Any) -> list[str]:
    """The record's scope as a sorted list of names, mission first."""
    names = [Scope.MISSION.value]
    names += [s.value for s, col in SHARE_COLUMNS.items() if getattr(record, col, False)]
    return names


def viewer_scope(user: User | None) -> Scope:
    """The scope a user reads with: their party's; anonymous readers are the public."""
    if user is None or not user.is_authenticated:
        return Scope.PUBLIC
    party = getattr(user, "party", None)
    if party is None:
        return Scope.PUBLIC
    return Scope(party.scope)


def visibility_q(user: User | None, prefix: str = "") -> Q:
    """A filter for rows the user's party may see (an always-true Q for the mission)."""
    scope = viewer_scope(user)
    if scope == Scope.MISSION:
        return Q()
    condition = Q(**{f"{prefix}{SHARE_COLUMNS[Scope.PUBLIC]}": True})
    if scope != Scope.PUBLIC:
        condition |= Q(**{f"{prefix}{SHARE_COLUMNS[scope]}": True})
    return condition


def visible(queryset: QuerySet[M], user: User | None) -> QuerySet[M]:
    """The one place every selector starts: live rows the user's party may see."""
    return queryset.filter(visibility_q(user), is_deleted=False)


def can_see(record: Any, user: User | None) -> bool:
    if getattr(record, "is_deleted", False):
        return False
    scope = viewer_scope(user)
    if scope == Scope.MISSION:
        return True
    if record.share_public:
        return True
    return scope != Scope.PUBLIC and bool(getattr(record, SHARE_COLUMNS[scope]))


def scopes_allow(visibility_names: Iterable[str], user: User | None) -> bool:
    """Whether a stored visibility list (as in a ledger payload) admits the user."""
    scope = viewer_scope(user)
    names = set(visibility_names)
    return scope == Scope.MISSION or Scope.PUBLIC.value in names or scope.value in names


def visibility_seen_by(names: Iterable[str], user: User | None) -> list[str]:
    """The part of a record's visibility a reader may learn.

    The mission sees the whole list. A party learns only that the record is
    shared with it (or public): that side B also sees it is side B's business.
    """
    names = list(names)
    scope = viewer_scope(user)
    if scope == Scope.MISSION:
        return names
    return [n for n in names if n in {scope.value, Scope.PUBLIC.value}]


def visible_counts(queryset: QuerySet[M], user: User | None) -> QuerySet[M]:
    """Rollup rows whose share flags admit the user, by the same rule as visible().

    Count tables key their rows by the visibility of what they count (the
    same share_* columns, no tombstones), so summing the admitted rows gives
    exactly the count of the records the user may see.
    """
    return queryset.filter(visibility_q(user))
