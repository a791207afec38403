"""Household registration: size, vulnerabilities, where from, where now, where to.

Personal data is the mission's and the agencies' only. A household is
registered visible to the mission and the agencies; sharing one with a side
needs allow_party_sharing=True (and even then the redaction gives the side
no personal field), and it is never made public. A writer may set only the
personal fields its roles may read, so no one overwrites what they cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import Settlement, User
from truce.core.records import record_create, record_update
from truce.core.references import settlement_ref
from truce.core.sharing import Scope, parse_visibility
from truce.lib.time import utcnow
from truce.population.models import Household, Intention, Vulnerability
from truce.population.redaction import PERSONAL_FIELDS, readable_fields
from truce.population.services.common import (
    HOUSEHOLD_ROLES,
    a_count,
    a_date,
    ensure_writer,
    text,
)

Fields = Mapping[str, Any]
DEFAULT_VISIBILITY = (Scope.MISSION.value, Scope.AGENCIES.value)
PARTY_SCOPES = frozenset({Scope.SIDE_A, Scope.SIDE_B})
SEXES = ("female", "male", "unknown")
MAX_SIZE = 50
HOUSEHOLD_FIELDS = (
    "code",
    "size",
    "vulnerabilities",
    "origin_settlement",
    "current_settlement",
    "current_location_text",
    "intention",
    "intended_settlement",
    "expected_on",
    "registered_on",
    "source",
    "confidence",
    *PERSONAL_FIELDS,
)
SETTLEMENT_REFERENCES = ("origin_settlement", "current_settlement", "intended_settlement")


def _vulnerabilities(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list | tuple):
        raise InvalidInput("must be a list of vulnerability codes", field="vulnerabilities")
    codes: list[str] = []
    for code in value:
        if code not in Vulnerability.values:
            raise InvalidInput(
                f"{code!r} is not one of {', '.join(Vulnerability.values)}",
                field="vulnerabilities",
            )
        if code not in codes:
            codes.append(code)
    return sorted(codes)


def _members(value: Any, size: int) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("must be a list of {name, sex, birth_year}", field="members")
    if len(value) > size:
        raise InvalidInput(f"lists {len(value)} members for a household of {size}", field="members")
    this_year = utcnow().year
    members = []
    for number, entry in enumerate(value, 1):
        if not isinstance(entry, dict) or set(entry) - {"name", "sex", "birth_year"}:
            raise InvalidInput(
                f"member {number} must be a mapping of name, sex, birth_year", field="members"
            )
        name = text(entry.get("name"), field="members", max_length=200)
        sex = entry.get("sex") or "unknown"
        if sex not in SEXES:
            raise InvalidInput(
                f"member {number}: sex must be one of {', '.join(SEXES)}", field="members"
            )
        year = entry.get("birth_year")
        if year not in (None, ""):
            year = a_count(year, field="members", minimum=1900, maximum=this_year)
        members.append({"name": name, "sex": sex, "birth_year": year or None})
    return members


def _fields(actor: User | None, data: Fields) -> dict[str, Any]:
    extra = sorted(set(data) - set(HOUSEHOLD_FIELDS))
    if extra:
        raise InvalidInput(f"unknown field {extra[0]!r}", field=extra[0])
    size = a_count(data.get("size"), field="size", minimum=1, maximum=MAX_SIZE)
    assert size is not None
    intention = data.get("intention") or Intention.UNDECIDED
    if intention not in Intention.values:
        raise InvalidInput(
            f"{intention!r} is not one of {', '.join(Intention.values)}", field="intention"
        )
    origin = settlement_ref(
        actor, data.get("origin_settlement"), field="origin_settlement", required=True
    )
    intended = settlement_ref(actor, data.get("intended_settlement"), field="intended_settlement")
    if intention == Intention.RETURN and intended is None:
        intended = origin  # returning means going home unless the survey says where
    if intention in (Intention.STAY, Intention.UNDECIDED) and intended is not None:
        raise InvalidInput(
            f"a household whose intention is {intention} has no intended settlement",
            field="intended_settlement",
        )
    expected = a_date(data.get("expected_on"), field="expected_on")
    if expected is not None and intended is None:
        raise InvalidInput("an expected date needs an intended settlement", field="expected_on")
    fields: dict[str, Any] = {
        "code": text(data.get("code"), field="code", max_length=40),
        "size": size,
        "vulnerabilities": _vulnerabilities(data.get("vulnerabilities")),
        "origin_settlement": origin,
        "current_settlement": settlement_ref(
            actor, data.get("current_settlement"), field="current_settlement"
        ),
        "current_location_text": text(
            data.get("current_location_text"), field="current_location_text", max_length=300
        ),
        "intention": intention,
        "intended_settlement": intended,
        "expected_on": expected,
        "registered_on": a_date(data.get("registered_on"), field="registered_on")
        or utcnow().date(),
        "source": text(data.get("source"), field="source", max_length=500),
        "confidence": text(data.get("confidence"), field="confidence", max_length=10),
        "head_name": text(data.get("head_name"), field="head_name", max_length=200),
        "phone": text(data.get("phone"), field="phone", max_length=40),
        "document_number": text(
            data.get("document_number"), field="document_number", max_length=60
        ),
        "members": _members(data.get("members"), size),
        "protection_notes": text(
            data.get("protection_notes"), field="protection_notes", max_length=5000
        ),
    }
    if not fields["code"]:
        raise InvalidInput("is required: the registration number", field="code")
    return fields


def _checked_visibility(
    visibility: Iterable[str] | str | None, *, allow_party_sharing: bool
) -> list[str]:
    scopes = parse_visibility(visibility if visibility is not None else DEFAULT_VISIBILITY)
    if Scope.PUBLIC in scopes:
        raise InvalidInput(
            "a household is never public: it holds personal data", field="visibility"
        )
    if scopes & PARTY_SCOPES and not allow_party_sharing:
        raise PermissionDenied(
            "a household is not shared with a party unless sharing is explicitly allowed "
            "(allow_party_sharing); parties never see its personal data",
            field="visibility",
        )
    return sorted(s.value for s in scopes)


def _check_personal_writes(actor: User | None, fields: Iterable[str]) -> None:
    if actor is None:
        return
    readable = readable_fields(actor)
    for name in fields:
        if name in PERSONAL_FIELDS and name not in readable:
            raise PermissionDenied(
                f"your roles may not read {name}, so you may not write it", field=name
            )


def _writer(actor: User | None) -> None:
    ensure_writer(actor, HOUSEHOLD_ROLES, "households", scopes={Scope.MISSION, Scope.AGENCIES})


@transaction.atomic
def household_register(
    *,
    actor: User | None,
    data: Fields,
    visibility: Iterable[str] | str | None = None,
    allow_party_sharing: bool = False,
) -> Household:
    """Register a household (visible to the mission and the agencies unless told otherwise).

    A size below one, an unknown vulnerability or settlement is InvalidInput
    naming the field, and nothing is written.
    """
    _writer(actor)
    _check_personal_writes(actor, [n for n in data if data.get(n) not in (None, "", [])])
    fields = _fields(actor, data)
    scopes = _checked_visibility(visibility, allow_party_sharing=allow_party_sharing)
    return record_create(actor=actor, model=Household, fields=fields, visibility=scopes)


def _current(household: Household) -> dict[str, Any]:
    values = {name: getattr(household, name) for name in HOUSEHOLD_FIELDS}
    for name in SETTLEMENT_REFERENCES:
        values[name] = getattr(household, name)
    return values


@transaction.atomic
def household_update(
    *,
    actor: User | None,
    household: Household,
    expected_version: int | None,
    changes: Fields,
    visibility: Iterable[str] | str | None = None,
    allow_party_sharing: bool = False,
) -> Household:
    """A new version of a household (for example after an intentions survey)."""
    _writer(actor)
    _check_personal_writes(actor, changes)
    # Validate against the stored row, not a redacted copy a reader may hold.
    stored = Household.objects.select_related(*SETTLEMENT_REFERENCES).get(pk=household.pk)
    merged = {**_current(stored), **changes}
    if (
        "intention" in changes
        and "intended_settlement" not in changes
        and (changes["intention"] in (Intention.STAY, Intention.UNDECIDED))
    ):
        merged["intended_settlement"] = None
        merged["expected_on"] = None
    fields = _fields(actor, merged)
    wanted = {
        name: fields[name]
        for name in HOUSEHOLD_FIELDS
        if _differs(getattr(stored, name), fields[name])
    }
    scopes = (
        None
        if visibility is None
        else _checked_visibility(visibility, allow_party_sharing=allow_party_sharing)
    )
    return record_update(
        actor=actor,
        record=stored,
        changes=wanted,
        expected_version=expected_version,
        visibility=scopes,
    )


def _differs(current: Any, new: Any) -> bool:
    if isinstance(current, Settlement) or isinstance(new, Settlement):
        return getattr(current, "pk", None) != getattr(new, "pk", None)
    return bool(current != new)


@transaction.atomic
def household_share(
    *,
    actor: User | None,
    household: Household,
    expected_version: int | None,
    visibility: Iterable[str] | str,
    allow_party_sharing: bool = False,
) -> Household:
    """Change who may see a household; a party only when explicitly allowed."""
    return household_update(
        actor=actor,
        household=household,
        expected_version=expected_version,
        changes={},
        visibility=visibility,
        allow_party_sharing=allow_party_sharing,
    )
