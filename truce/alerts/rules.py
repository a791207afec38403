"""What an alert rule may say: each kind's parameters, the escalation chain, recipients.

Every check names the exact field at fault ("params.window_minutes",
"escalation.1.minutes"), so the admin, the API and the CLI can all say what
to fix. The cleaned values are normalised (a single `type` becomes `types`,
defaults are filled in), so evaluation never has to guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from truce.alerts.models import RuleKind
from truce.core.errors import InvalidInput
from truce.core.models import RoleCode, Settlement
from truce.monitoring.models import VIOLATION_TYPES, ObservationType

MAX_WINDOW_MINUTES = 7 * 24 * 60
MAX_SILENCE_HOURS = 30 * 24
MAX_DISTANCE_KM = 500.0
MAX_CHAIN = 10
MAX_STEP_MINUTES = 7 * 24 * 60
MAX_RECIPIENTS = 20

TARGET_SETTLEMENT = "settlement"
TARGET_CORRIDOR = "corridor"
TARGETS = (TARGET_SETTLEMENT, TARGET_CORRIDOR)


def _field(name: str) -> str:
    return f"params.{name}"


def _whole(params: Mapping[str, Any], name: str, *, low: int, high: int) -> int:
    value = params.get(name)
    # bool is an int in Python; true is not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number", field=_field(name))
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=_field(name))
    return value


def _number(params: Mapping[str, Any], name: str, *, high: float) -> float:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a number", field=_field(name))
    if not 0 < value <= high:
        raise InvalidInput(f"{name} must be above 0 and at most {high:g}", field=_field(name))
    return float(value)


def _flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false", field=_field(name))
    return value


def _types(
    params: Mapping[str, Any], *, required: bool, allowed: frozenset[str] | None = None
) -> list[str]:
    """`types` (a list) or `type` (one), checked against the observation types."""
    if "type" in params and "types" in params:
        raise InvalidInput("give either type or types, not both", field=_field("type"))
    name = "type" if "type" in params else "types"
    raw = params.get(name)
    if raw is None:
        if required:
            raise InvalidInput("give the observation type(s) to count", field=_field("types"))
        return []
    values = [raw] if name == "type" else raw
    if values == [] and not required:
        # An empty list is "any type": what this function itself stores for it.
        return []
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"{name} must name one or more observation types", field=_field(name))
    known = set(ObservationType.values) if allowed is None else set(allowed)
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidInput(
            f"unknown or unsuitable type(s) {', '.join(unknown)}; use {', '.join(sorted(known))}",
            field=_field(name),
        )
    return sorted(set(values))


def _no_others(params: Mapping[str, Any], allowed: set[str]) -> None:
    for name in sorted(params):
        if name not in allowed:
            expected = ", ".join(sorted(allowed)) or "none"
            raise InvalidInput(
                f"unknown parameter {name!r}; this kind takes: {expected}", field=_field(name)
            )


def _verified_violation(params: Mapping[str, Any]) -> dict[str, Any]:
    _no_others(params, {"types"})
    violation_types = frozenset(str(t) for t in VIOLATION_TYPES)
    return {"types": _types(params, required=False, allowed=violation_types)}


def _threshold(params: Mapping[str, Any]) -> dict[str, Any]:
    _no_others(params, {"count", "window_minutes", "types", "type"})
    return {
        "count": _whole(params, "count", low=1, high=100_000),
        "window_minutes": _whole(params, "window_minutes", low=1, high=MAX_WINDOW_MINUTES),
        "types": _types(params, required=True),
    }


def _casualty(params: Mapping[str, Any]) -> dict[str, Any]:
    _no_others(params, {"min_casualties", "civilian_only"})
    minimum = 1
    if "min_casualties" in params:
        minimum = _whole(params, "min_casualties", low=1, high=100_000)
    return {"min_casualties": minimum, "civilian_only": _flag(params, "civilian_only")}


def _op_silent(params: Mapping[str, Any]) -> dict[str, Any]:
    _no_others(params, {"hours"})
    return {"hours": _number(params, "hours", high=MAX_SILENCE_HOURS)}


def _proximity(params: Mapping[str, Any]) -> dict[str, Any]:
    _no_others(params, {"distance_km", "target", "settlements", "types", "type"})
    target = params.get("target", TARGET_SETTLEMENT)
    if target not in TARGETS:
        raise InvalidInput(f"target must be one of {', '.join(TARGETS)}", field=_field("target"))
    cleaned: dict[str, Any] = {
        "distance_km": _number(params, "distance_km", high=MAX_DISTANCE_KM),
        "target": target,
        "types": _types(params, required=False),
    }
    pcodes = params.get("settlements")
    if pcodes is not None:
        if target != TARGET_SETTLEMENT:
            raise InvalidInput(
                "settlements apply only to target settlement", field=_field("settlements")
            )
        if not isinstance(pcodes, list) or not all(isinstance(p, str) and p for p in pcodes):
            raise InvalidInput("settlements must be a list of P-codes", field=_field("settlements"))
        found = set(
            Settlement.objects.filter(pcode__in=pcodes, is_deleted=False).values_list(
                "pcode", flat=True
            )
        )
        missing = sorted(set(pcodes) - found)
        if missing:
            raise InvalidInput(
                f"unknown settlement P-code(s) {', '.join(missing)}", field=_field("settlements")
            )
        cleaned["settlements"] = sorted(set(pcodes))
    return cleaned


CLEANERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    RuleKind.VERIFIED_VIOLATION: _verified_violation,
    RuleKind.THRESHOLD: _threshold,
    RuleKind.CASUALTY: _casualty,
    RuleKind.OP_SILENT: _op_silent,
    RuleKind.PROXIMITY: _proximity,
}


def clean_params(kind: str, params: Any) -> dict[str, Any]:
    """The kind's parameters, validated and normalised; InvalidInput names the field."""
    cleaner = CLEANERS.get(kind)
    if cleaner is None:
        raise InvalidInput(f"unknown kind {kind!r}; use {', '.join(RuleKind.values)}", field="kind")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput("params must be an object", field="params")
    return cleaner(params)


def clean_escalation(chain: Any) -> list[list[Any]]:
    """[[role, minutes], ...]: at least one step, each a known role with its minutes."""
    if not isinstance(chain, list | tuple) or not chain:
        raise InvalidInput(
            'escalation must list roles with minutes, e.g. [["duty_officer", 10]]',
            field="escalation",
        )
    if len(chain) > MAX_CHAIN:
        raise InvalidInput(f"at most {MAX_CHAIN} escalation steps", field="escalation")
    cleaned: list[list[Any]] = []
    for index, step in enumerate(chain):
        where = f"escalation.{index}"
        if isinstance(step, Mapping):
            step = [step.get("role"), step.get("minutes")]
        if not isinstance(step, list | tuple) or len(step) != 2:
            raise InvalidInput("each step is [role, minutes]", field=where)
        role, minutes = step
        if role not in RoleCode.values:
            raise InvalidInput(
                f"unknown role {role!r}; use {', '.join(RoleCode.values)}", field=f"{where}.role"
            )
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise InvalidInput("minutes must be a whole number", field=f"{where}.minutes")
        if not 1 <= minutes <= MAX_STEP_MINUTES:
            raise InvalidInput(
                f"minutes must be between 1 and {MAX_STEP_MINUTES}", field=f"{where}.minutes"
            )
        cleaned.append([role, minutes])
    return cleaned


def clean_recipients(value: Any) -> list[str]:
    """E-mail addresses, each checked; duplicates dropped, order kept."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [part for part in value.replace("\n", ",").split(",")]
    if not isinstance(value, list | tuple):
        raise InvalidInput("recipients must be a list of e-mail addresses", field="recipients")
    result: list[str] = []
    for item in value:
        address = item.strip() if isinstance(item, str) else item
        if address == "":
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidInput(
                f"{address!r} is not an e-mail address", field="recipients"
            ) from None
        if address not in result:
            result.append(address)
    if len(result) > MAX_RECIPIENTS:
        raise InvalidInput(f"at most {MAX_RECIPIENTS} recipients", field="recipients")
    return result
