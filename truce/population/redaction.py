"""Which role may read which personal field of a household (issue 4, deliverable 1).

The one table of the rule. The household selector applies it to every row it
yields, so a screen, an export, the API and a map layer all get the same
redacted values, and each row says which fields were blanked
(``row.redacted_fields``).

Two gates, both required to read a personal field:
1. the reader's party is the mission or the agencies: a party to the
   conflict (side A, side B) and the public never read personal data, even of
   a household explicitly shared with them and whatever roles they hold;
2. one of the reader's roles grants that field below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from truce.core.models import RoleCode
from truce.core.sharing import Scope, viewer_scope

if TYPE_CHECKING:
    from truce.core.models import User

# Personal fields, with the value a redacted row carries instead.
PERSONAL_FIELDS: dict[str, Any] = {
    "head_name": "",
    "phone": "",
    "document_number": "",
    "members": [],
    "protection_notes": "",
}

ALL_PERSONAL = frozenset(PERSONAL_FIELDS)

# Role -> personal fields it may read. Administrators and agency staff (the
# ICRC and UNHCR protection officers) read all; a duty officer needs a name
# and a phone number to coordinate a movement, nothing more; analysts, OP
# operators and viewers work with counts and read none.
FIELDS_BY_ROLE: dict[str, frozenset[str]] = {
    RoleCode.ADMINISTRATOR: ALL_PERSONAL,
    RoleCode.AGENCY_STAFF: ALL_PERSONAL,
    RoleCode.DUTY_OFFICER: frozenset({"head_name", "phone"}),
    RoleCode.ANALYST: frozenset(),
    RoleCode.OP_OPERATOR: frozenset(),
    RoleCode.VIEWER: frozenset(),
    RoleCode.LIAISON_OFFICER: frozenset(),
}

# Parties whose members may read personal data at all.
PERSONAL_DATA_SCOPES = frozenset({Scope.MISSION, Scope.AGENCIES})


def readable_fields(user: User | None) -> frozenset[str]:
    """The personal fields this reader may see (empty for a party or the public)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if viewer_scope(user) not in PERSONAL_DATA_SCOPES:
        return frozenset()
    granted: set[str] = set()
    for code in user.role_codes():
        granted |= FIELDS_BY_ROLE.get(code, frozenset())
    return frozenset(granted)


def hidden_fields(user: User | None) -> list[str]:
    """The personal fields blanked for this reader, in the table's order."""
    readable = readable_fields(user)
    return [name for name in PERSONAL_FIELDS if name not in readable]


def redact(household: Any, hidden: list[str]) -> Any:
    """Blank the hidden fields of one row in place and note them on it.

    A redacted row is for reading only; services reload rows before writing.
    """
    for name in hidden:
        default = PERSONAL_FIELDS[name]
        setattr(household, name, list(default) if isinstance(default, list) else default)
    household.redacted_fields = list(hidden)
    return household
