"""Checking and normalising an observation as sent, without a query per item.

Everything an item is checked against (the actor's party and roles, the
posts it may name, the clock) is loaded once per request into a
ValidationContext; `clean_item` then works in memory, so a batch of 1,000
costs the same few queries as a single observation.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from truce.core.errors import InvalidInput
from truce.core.models import Confidence, Facility, FacilityKind, RoleCode, User, Zone
from truce.core.sharing import Scope, can_see, parse_visibility, viewer_scope
from truce.ledger.cache import RecordsCache
from truce.ledger.selectors import TypeHead
from truce.lib.canonical import canonical_json, sha256_hex
from truce.lib.time import iso_utc, utcnow, window_of
from truce.monitoring.models import FireDirection, ObservationType, ObserverKind

CLOCK_SKEW = dt.timedelta(minutes=5)
MISSION_OBSERVERS = frozenset(
    {
        ObserverKind.OBSERVATION_POST,
        ObserverKind.PATROL,
        ObserverKind.DRONE,
        ObserverKind.CAMERA,
    }
)
PARTY_SCOPES = frozenset({Scope.SIDE_A, Scope.SIDE_B})
POST_KINDS = frozenset({FacilityKind.OBSERVATION_POST, FacilityKind.CHECKPOINT})
FIELDS = frozenset(
    {
        "client_uuid",
        "observed_at",
        "observer_kind",
        "observer_post",
        "observer_label",
        "observer_lon",
        "observer_lat",
        "type",
        "count",
        "weapon_type",
        "bearing_deg",
        "distance_m",
        "lon",
        "lat",
        "direction_of_fire",
        "direction_place",
        "killed_military",
        "killed_civilian",
        "injured_military",
        "injured_civilian",
        "text",
        "visibility",
        "source",
        "confidence",
    }
)
CASUALTY_FIELDS = ("killed_military", "killed_civilian", "injured_military", "injured_civilian")
# Text limits match the columns, so a long value is a 422 naming the field
# rather than a database error (PostgreSQL) or a silently long value (SQLite).
TEXT_LIMITS = {
    "observer_label": 100,
    "weapon_type": 100,
    "direction_place": 200,
    "source": 500,
    "text": 20_000,
}
TYPES = frozenset(ObservationType.values)
KINDS = frozenset(ObserverKind.values)
DIRECTIONS = frozenset(FireDirection.values)
CONFIDENCES = frozenset(Confidence.values)


def max_distance_m() -> float:
    return float(getattr(settings, "TRUCE_MAX_OBSERVATION_DISTANCE_M", 100_000))


@dataclass(frozen=True)
class ValidationContext:
    """What every item of one request is checked against."""

    actor: User
    scope: Scope
    roles: frozenset[str]
    posts: dict[str, Facility]
    earliest: dt.datetime
    latest: dt.datetime

    @classmethod
    def load(
        cls, actor: User, items: Sequence[Any], heads: Mapping[str, TypeHead] | None = None
    ) -> ValidationContext:
        codes = {
            item.get("observer_post")
            for item in items
            if isinstance(item, Mapping) and isinstance(item.get("observer_post"), str)
        }
        posts: dict[str, Facility] = {}
        if codes:
            every = _facilities.get(heads)
            # can_see is visible()'s rule for one row: hidden posts stay unknown.
            posts = {
                code: every[code] for code in codes if code in every and can_see(every[code], actor)
            }
        now = utcnow()
        return cls(
            actor=actor,
            scope=viewer_scope(actor),
            roles=frozenset(actor.role_codes()),
            posts=posts,
            earliest=settings.TRUCE_CEASEFIRE_START,
            latest=now + CLOCK_SKEW,
        )


def _all_facilities() -> dict[str, Facility]:
    # The zone's outline is not needed here, and is large.
    rows = Facility.objects.filter(is_deleted=False).select_related("zone").defer("zone__geometry")
    return {row.code: row for row in rows}


# Read on every ingest, changed rarely: kept per process until the ledger shows a
# write of a facility or a zone (a post's zone is attached to its observations).
POST_TYPES = (Facility.ledger_type(), Zone.ledger_type())
_facilities: RecordsCache[dict[str, Facility]] = RecordsCache(POST_TYPES, _all_facilities)


@dataclass(slots=True)
class CleanItem:
    """One observation, checked and normalised, ready to be written."""

    index: int
    client_uuid: uuid.UUID
    content_sha256: str
    observed_at: dt.datetime
    window: dt.date
    observer_kind: str
    post: Facility | None
    observer_label: str
    observer_lon: float | None
    observer_lat: float | None
    type: str
    count: int
    weapon_type: str
    bearing_deg: float | None
    distance_m: float | None
    lon: float | None
    lat: float | None
    direction_of_fire: str
    direction_place: str
    killed_military: int
    killed_civilian: int
    injured_military: int
    injured_civilian: int
    text: str
    scopes: set[Scope]
    source: str
    confidence: str


class _Errors:
    """Collects every problem of one item, the first per field."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.items.setdefault(field, message)


def _number(value: Any, field: str, errors: _Errors) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors.add(field, f"{field} must be a number")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add(field, f"{field} must be a number")
        return None
    if not math.isfinite(number):
        errors.add(field, f"{field} must be a finite number")
        return None
    return number


def _count(value: Any, field: str, errors: _Errors, *, default: int, minimum: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        errors.add(field, f"{field} must be a whole number")
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.add(field, f"{field} must be a whole number")
        return default
    if number < minimum:
        errors.add(field, f"{field} must be at least {minimum}")
        return default
    if number > 1_000_000:
        errors.add(field, f"{field} is implausibly large")
        return default
    return number


def _text(value: Any, field: str, errors: _Errors) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(field, f"{field} must be text")
        return ""
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        errors.add(field, f"{field} is longer than {limit} characters")
    return value


def _choice(value: Any, field: str, allowed: frozenset[str], what: str, errors: _Errors) -> str:
    if value is None and "" in allowed:
        return ""
    if not isinstance(value, str) or value not in allowed:
        if value is None or value == "":
            errors.add(field, f"{field} is required")
        else:
            errors.add(field, f"unknown {what} {value!r}; use one of {', '.join(sorted(allowed))}")
        return ""
    return value


def _instant(value: Any, errors: _Errors) -> dt.datetime | None:
    if value is None or value == "":
        errors.add("observed_at", "observed_at is required")
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            errors.add("observed_at", "observed_at must be an ISO 8601 date and time")
            return None
    if not isinstance(value, dt.datetime):
        errors.add("observed_at", "observed_at must be an ISO 8601 date and time")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        errors.add("observed_at", "observed_at needs a time zone (UTC, e.g. 2020-11-20T14:05:00Z)")
        return None
    return value.astimezone(dt.UTC)


def _check_time(
    observed_at: dt.datetime | None, earliest: dt.datetime, latest: dt.datetime, errors: _Errors
) -> None:
    if observed_at is None:
        return
    if observed_at > latest:
        errors.add(
            "observed_at",
            "observed_at is in the future (more than 5 minutes ahead of the server's clock)",
        )
    elif observed_at < earliest:
        errors.add(
            "observed_at", f"observed_at is before the ceasefire's start ({earliest.isoformat()})"
        )


def _bearing(value: Any, errors: _Errors) -> float | None:
    bearing = _number(value, "bearing_deg", errors)
    if bearing is not None and not 0.0 <= bearing < 360.0:
        errors.add("bearing_deg", f"bearing_deg {bearing} is outside [0, 360)")
    return bearing


def _distance(value: Any, errors: _Errors) -> float | None:
    distance = _number(value, "distance_m", errors)
    if distance is not None and distance < 0:
        errors.add("distance_m", "distance_m cannot be negative")
    elif distance is not None and distance > max_distance_m():
        errors.add("distance_m", f"distance_m is beyond {max_distance_m():.0f} m")
    return distance


def _pair(
    data: Mapping[str, Any], lon_key: str, lat_key: str, errors: _Errors
) -> tuple[float | None, float | None]:
    lon = _number(data.get(lon_key), lon_key, errors)
    lat = _number(data.get(lat_key), lat_key, errors)
    if lon is not None and not -180.0 <= lon <= 180.0:
        errors.add(lon_key, f"{lon_key} {lon} is out of range [-180, 180]")
        lon = None
    if lat is not None and not -90.0 <= lat <= 90.0:
        errors.add(lat_key, f"{lat_key} {lat} is out of range [-90, 90]")
        lat = None
    raw_lon, raw_lat = data.get(lon_key), data.get(lat_key)
    if (raw_lon is None or raw_lon == "") != (raw_lat is None or raw_lat == ""):
        missing = lat_key if raw_lat is None or raw_lat == "" else lon_key
        errors.add(missing, f"{lon_key} and {lat_key} go together: {missing} is missing")
        return None, None
    return lon, lat


def _check_observer(
    ctx: ValidationContext, kind: str, data: Mapping[str, Any], errors: _Errors
) -> Facility | None:
    """The observer must belong to the reporter's party; returns the post, if any."""
    if kind in MISSION_OBSERVERS and ctx.scope != Scope.MISSION:
        errors.add(
            "observer_kind",
            "observations by the mission's observers (op, patrol, drone, camera) "
            "can be reported only by mission users",
        )
    elif kind == ObserverKind.PARTY_COMPLAINT and ctx.scope not in PARTY_SCOPES:
        errors.add("observer_kind", "only side A or side B can file a party's complaint")
    elif kind == ObserverKind.LIAISON_OFFICER and (
        RoleCode.LIAISON_OFFICER not in ctx.roles or ctx.scope not in PARTY_SCOPES | {Scope.MISSION}
    ):
        errors.add(
            "observer_kind",
            "liaison officer observations are reported by a liaison officer of their party",
        )
    code = data.get("observer_post")
    if code is None or code == "":
        if kind == ObserverKind.OBSERVATION_POST:
            errors.add("observer_post", "an observation post's report names its observer_post")
        return None
    if kind not in MISSION_OBSERVERS and kind in KINDS:
        errors.add("observer_post", "a party's report has no observer_post")
        return None
    post = ctx.posts.get(code) if isinstance(code, str) else None
    if post is None:
        # Same words whether it does not exist or is hidden: no probing for posts.
        errors.add("observer_post", "unknown observation post")
        return None
    if post.kind not in POST_KINDS:
        errors.add("observer_post", "observer_post must be an observation post or checkpoint")
        return None
    if data.get("observer_lon") not in (None, "") or data.get("observer_lat") not in (None, ""):
        errors.add("observer_lon", "give observer_post or observer_lon/observer_lat, not both")
    return post


def clean_item(
    ctx: ValidationContext, index: int, data: Any
) -> tuple[CleanItem | None, dict[str, str]]:
    """The normalised item, or None and every problem found (field -> message)."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        return None, {"item": "each observation must be an object"}
    for key in data:
        if key not in FIELDS:
            errors.add(str(key), f"unknown field {key!r}")
    raw_uuid = data.get("client_uuid")
    client_uuid: uuid.UUID | None = None
    if isinstance(raw_uuid, uuid.UUID):
        client_uuid = raw_uuid
    elif isinstance(raw_uuid, str) and raw_uuid:
        try:
            client_uuid = uuid.UUID(raw_uuid)
        except ValueError:
            errors.add("client_uuid", "client_uuid must be a UUID")
    else:
        errors.add("client_uuid", "client_uuid is required (a UUID made by the client)")
    observed_at = _instant(data.get("observed_at"), errors)
    _check_time(observed_at, ctx.earliest, ctx.latest, errors)
    kind = _choice(data.get("observer_kind"), "observer_kind", KINDS, "observer kind", errors)
    obs_type = _choice(data.get("type"), "type", TYPES, "observation type", errors)
    post = _check_observer(ctx, kind, data, errors) if kind else None
    observer_lon, observer_lat = _pair(data, "observer_lon", "observer_lat", errors)
    lon, lat = _pair(data, "lon", "lat", errors)
    bearing = _bearing(data.get("bearing_deg"), errors)
    distance = _distance(data.get("distance_m"), errors)
    count = _count(data.get("count"), "count", errors, default=1, minimum=1)
    casualties = [_count(data.get(f), f, errors, default=0, minimum=0) for f in CASUALTY_FIELDS]
    direction = _choice(
        data.get("direction_of_fire"), "direction_of_fire", DIRECTIONS, "direction", errors
    )
    confidence = _choice(
        data.get("confidence") or None, "confidence", CONFIDENCES | {""}, "confidence", errors
    )
    texts = {name: _text(data.get(name), name, errors) for name in TEXT_LIMITS}
    scopes: set[Scope] | None = None
    raw_visibility = data.get("visibility")
    if raw_visibility is not None:
        try:
            scopes = parse_visibility(raw_visibility)
        except InvalidInput as exc:
            errors.add("visibility", exc.message)
    if errors.items or client_uuid is None or observed_at is None:
        return None, errors.items
    normalised = {
        "client_uuid": str(client_uuid),
        # The text canonical_json would write for the datetime (the same hash),
        # given as text so the content hash takes canonical_json's fast path.
        "observed_at": iso_utc(observed_at),
        "observer_kind": kind,
        "observer_post": post.code if post else None,
        "observer_lon": observer_lon,
        "observer_lat": observer_lat,
        "type": obs_type,
        "count": count,
        "bearing_deg": bearing,
        "distance_m": distance,
        "lon": lon,
        "lat": lat,
        "direction_of_fire": direction,
        "confidence": confidence,
        "visibility": sorted(s.value for s in scopes) if scopes is not None else None,
        **dict(zip(CASUALTY_FIELDS, casualties, strict=True)),
        **texts,
    }
    return CleanItem(
        index=index,
        client_uuid=client_uuid,
        content_sha256=sha256_hex(canonical_json(normalised)),
        observed_at=observed_at,
        window=window_of(observed_at),
        observer_kind=kind,
        post=post,
        observer_label=texts["observer_label"],
        observer_lon=observer_lon,
        observer_lat=observer_lat,
        type=obs_type,
        count=count,
        weapon_type=texts["weapon_type"],
        bearing_deg=bearing,
        distance_m=distance,
        lon=lon,
        lat=lat,
        direction_of_fire=direction,
        direction_place=texts["direction_place"],
        killed_military=casualties[0],
        killed_civilian=casualties[1],
        injured_military=casualties[2],
        injured_civilian=casualties[3],
        text=texts["text"],
        scopes=_default_scopes(ctx, kind, scopes),
        source=texts["source"],
        confidence=confidence,
    ), {}


def _default_scopes(ctx: ValidationContext, kind: str, given: set[Scope] | None) -> set[Scope]:
    """Mission observations are mission-only unless shared; a party always sees its own reports."""
    scopes = set(given) if given is not None else {Scope.MISSION}
    if kind not in MISSION_OBSERVERS and ctx.scope in PARTY_SCOPES:
        scopes.add(ctx.scope)
    scopes.add(Scope.MISSION)
    return scopes


def errors_as_list(index: int, problems: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"index": index, "field": f, "message": m} for f, m in problems.items()]


def first_error(problems: Iterable[tuple[str, str]]) -> InvalidInput:
    field, message = next(iter(problems))
    return InvalidInput(message, field=None if field == "item" else field)


# --- corrections -------------------------------------------------------------------------

# What a correction may change: what the observer saw, never who saw it, from where,
# or with whom it is shared (a report from the wrong post is withdrawn and sent again).
CORRECTABLE_FIELDS = frozenset(
    {
        "observed_at",
        "type",
        "count",
        "weapon_type",
        "bearing_deg",
        "distance_m",
        "lon",
        "lat",
        "direction_of_fire",
        "direction_place",
        *CASUALTY_FIELDS,
        "text",
    }
)


def clean_correction(
    changes: Any, *, earliest: dt.datetime, latest: dt.datetime
) -> tuple[dict[str, Any], dict[str, str]]:
    """The corrected fields, checked and normalised by the ingest's own rules.

    Returns (values, {}) or ({}, every problem as field -> message). A null
    bearing, distance or position (lon and lat together) removes it; null
    text becomes empty, null counts their default.
    """
    errors = _Errors()
    if not isinstance(changes, Mapping) or not changes:
        return {}, {"changes": "name at least one field to correct"}
    for key in changes:
        if key not in CORRECTABLE_FIELDS:
            allowed = ", ".join(sorted(CORRECTABLE_FIELDS))
            errors.add(str(key), f"{key!r} cannot be corrected; correctable fields: {allowed}")
    out: dict[str, Any] = {}
    if "observed_at" in changes:
        observed_at = _instant(changes["observed_at"], errors)
        _check_time(observed_at, earliest, latest, errors)
        out["observed_at"] = observed_at
    if "type" in changes:
        out["type"] = _choice(changes["type"], "type", TYPES, "observation type", errors)
    if "count" in changes:
        out["count"] = _count(changes["count"], "count", errors, default=1, minimum=1)
    for name in CASUALTY_FIELDS:
        if name in changes:
            out[name] = _count(changes[name], name, errors, default=0, minimum=0)
    if "bearing_deg" in changes:
        out["bearing_deg"] = _bearing(changes["bearing_deg"], errors)
    if "distance_m" in changes:
        out["distance_m"] = _distance(changes["distance_m"], errors)
    if "lon" in changes or "lat" in changes:
        lon, lat = _pair(changes, "lon", "lat", errors)
        out["lon"], out["lat"] = lon, lat
    if "direction_of_fire" in changes:
        out["direction_of_fire"] = _choice(
            changes["direction_of_fire"], "direction_of_fire", DIRECTIONS, "direction", errors
        )
    for name in ("weapon_type", "direction_place", "text"):
        if name in changes:
            out[name] = _text(changes[name], name, errors)
    if errors.items:
        return {}, errors.items
    return out, {}
