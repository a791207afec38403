"""Reads of monitoring records, always through party visibility (mechanism 3).

Lists start from truce.core.sharing.visible; counts read only the rollup
rows whose share flags admit the reader (truce.core.sharing.visible_counts),
so a total is exactly the number of observations the reader may see.
Filters naming another record (a post, a zone, an incident) match only
records the reader may see too, so a filter cannot probe a hidden one.

Related rows are joined for display, but a related record may be hidden
from a reader who sees the row itself (a side's report grouped into a
mission-only incident): serializers pass such references through
truce.core.selectors.visible_reference.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from truce.core.errors import InvalidInput, NotFound
from truce.core.models import Facility, FacilityKind, User, Zone
from truce.core.selectors import BBoxFilter, get_visible, in_bbox, visible_by_key
from truce.core.sharing import visible, visible_counts
from truce.lib.time import window_bounds, window_of
from truce.monitoring.models import (
    CheckIn,
    Incident,
    Observation,
    ObservationCount,
    ObservationType,
)

Grouping = Literal["post", "zone", "type"]
GROUPINGS: tuple[str, ...] = ("post", "zone", "type")
OTHER_LABEL = "Other"
_KEY_COLUMN = {"post": "post_key", "zone": "zone_key", "type": "type"}


def _time_range(
    qs: QuerySet[Any],
    column: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    window: dt.date | None,
) -> QuerySet[Any]:
    if since is not None:
        qs = qs.filter(**{f"{column}__gte": since})
    if until is not None:
        qs = qs.filter(**{f"{column}__lt": until})
    if window is not None:
        start, end = window_bounds(window)
        qs = qs.filter(**{f"{column}__gte": start, f"{column}__lt": end})
    return qs


def observations_visible_to(
    user: User | None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    window: dt.date | None = None,
    post: str | None = None,
    zone: str | None = None,
    type: str | None = None,
    incident: Incident | str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Observation]:
    """Observations the user may see, newest first; since/until on observed_at ([since, until))."""
    qs = visible(
        Observation.objects.select_related(
            "observer_post", "zone", "incident", "reporting_party", "reporter"
        ),
        user,
    )
    qs = _time_range(qs, "observed_at", since, until, window)
    if post:
        qs = qs.filter(observer_post__in=visible_by_key(Facility, user, code=post))
    if zone:
        qs = qs.filter(zone__in=visible_by_key(Zone, user, code=zone))
    if type:
        qs = qs.filter(type=type)
    if incident is not None:
        qs = qs.filter(incident__in=_visible_incidents_by_id(user, incident))
    return in_bbox(qs, bbox)


def _visible_incidents_by_id(user: User | None, incident: Incident | str) -> QuerySet[Incident]:
    if isinstance(incident, Incident):
        return visible(Incident.objects.filter(pk=incident.pk), user)
    try:
        key = uuid.UUID(str(incident))
    except ValueError:
        return Incident.objects.none()
    return visible(Incident.objects.filter(public_id=key), user)


def incidents_visible_to(
    user: User | None,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    window: dt.date | None = None,
    zone: str | None = None,
    status: str | None = None,
    type: str | None = None,
    bbox: BBoxFilter | None = None,
) -> QuerySet[Incident]:
    """Incidents the user may see, newest first.

    since/until select incidents overlapping [since, until); window those
    that started in that mission day.
    """
    qs = visible(
        Incident.objects.select_related("zone", "nearest_settlement", "responsible_party"), user
    )
    if since is not None:
        qs = qs.filter(ended_at__gte=since)
    if until is not None:
        qs = qs.filter(started_at__lt=until)
    qs = _time_range(qs, "started_at", None, None, window)
    if zone:
        qs = qs.filter(zone__in=visible_by_key(Zone, user, code=zone))
    if status:
        qs = qs.filter(status=status)
    if type:
        qs = qs.filter(type=type)
    return in_bbox(qs, bbox)


def incident_get(user: User | None, public_id: uuid.UUID | str) -> Incident:
    """One incident by public id; NotFound whether it is absent or hidden."""
    return get_visible(
        Incident.objects.select_related(
            "zone", "nearest_settlement", "responsible_party", "created_by", "updated_by"
        ),
        user,
        public_id,
    )


# --- counts ------------------------------------------------------------------------------


def _labels(user: User | None, by: str, keys: set[Any]) -> dict[Any, tuple[str | None, str]]:
    """Key and label per raw rollup key; records the user may not see become one "Other" row."""
    if by == "type":
        names = dict(ObservationType.choices)
        return {k: (k, str(names.get(k, k))) for k in keys}
    ids = [k for k in keys if k]
    shown: dict[int, tuple[str | None, str]] = {}
    if by == "post":
        for post in visible(Facility.objects.filter(pk__in=ids), user):
            shown[post.pk] = (post.code, post.name)
    else:
        for zone in visible(Zone.objects.filter(pk__in=ids), user):
            shown[zone.pk] = (zone.code, zone.name)
    return {k: shown.get(k, (None, OTHER_LABEL)) for k in keys}


def _check_grouping(by: str) -> None:
    if by not in GROUPINGS:
        raise InvalidInput(f"by must be one of {', '.join(GROUPINGS)}", field="by")


def _sums(user: User | None, by: str, windows: Q) -> dict[Any, dict[str, int]]:
    column = _KEY_COLUMN[by]
    rows = (
        visible_counts(ObservationCount.objects.filter(windows), user)
        .values(column, "window")
        .annotate(
            n=Coalesce(Sum("observations"), 0),
            e=Coalesce(Sum("events"), 0),
            k=Coalesce(Sum("killed"), 0),
            i=Coalesce(Sum("injured"), 0),
        )
        .order_by()
    )
    out: dict[Any, dict[str, int]] = {}
    for row in rows:
        out[(row[column], row["window"])] = {
            "observations": row["n"],
            "events": row["e"],
            "killed": row["k"],
            "injured": row["i"],
        }
    return out


def counts_for(user: User | None, *, window: dt.date, by: Grouping) -> list[dict[str, Any]]:
    """Observations and events per post, zone or type in a mission day, and the day before.

    Rows: key (code, or None for "Other": no post/zone, or one the reader may
    not see), label, observations, events, previous_observations,
    previous_events, change (observations minus previous_observations).
    """
    _check_grouping(by)
    previous = window - dt.timedelta(days=1)
    sums = _sums(user, by, Q(window__in=[window, previous]))
    labels = _labels(user, by, {key for key, _ in sums})
    merged: dict[Any, dict[str, Any]] = {}
    for (raw, day), values in sums.items():
        key, label = labels[raw]
        row = merged.setdefault(
            key,
            {
                "key": key,
                "label": label,
                "observations": 0,
                "events": 0,
                "previous_observations": 0,
                "previous_events": 0,
            },
        )
        prefix = "" if day == window else "previous_"
        row[f"{prefix}observations"] += values["observations"]
        row[f"{prefix}events"] += values["events"]
    for row in merged.values():
        row["change"] = row["observations"] - row["previous_observations"]
    return sorted(merged.values(), key=lambda r: (r["key"] is None, str(r["label"])))


def ceasefire_window() -> dt.date:
    return window_of(settings.TRUCE_CEASEFIRE_START)


def running_totals(
    user: User | None, *, until_window: dt.date, by: Grouping
) -> list[dict[str, Any]]:
    """Totals per post, zone or type from the ceasefire's window through until_window.

    Rows: key, label, observations, events, killed, injured.
    """
    _check_grouping(by)
    sums = _sums(user, by, Q(window__gte=ceasefire_window(), window__lte=until_window))
    labels = _labels(user, by, {key for key, _ in sums})
    merged: dict[Any, dict[str, Any]] = {}
    for (raw, _day), values in sums.items():
        key, label = labels[raw]
        row = merged.setdefault(
            key,
            {"key": key, "label": label, "observations": 0, "events": 0, "killed": 0, "injured": 0},
        )
        for name, value in values.items():
            row[name] += value
    return sorted(merged.values(), key=lambda r: (r["key"] is None, str(r["label"])))


def observation_totals(user: User | None, *, window: dt.date) -> dict[str, int]:
    """Observations per type in a mission day, from the rollups (types with none left out)."""
    rows = (
        visible_counts(ObservationCount.objects.filter(window=window), user)
        .values("type")
        .annotate(n=Sum("observations"))
        .order_by("type")
    )
    return {row["type"]: int(row["n"]) for row in rows if row["n"]}


# --- check-ins ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LastCheckIn(Mapping[str, Any]):
    """A visible observation post and its last check-in the reader may see (None if none).

    Reads as attributes or as a mapping (dict(row) gives every field).
    """

    post: str
    post_name: str
    checked_in_at: dt.datetime | None
    status: str | None
    note: str | None

    @property
    def post_code(self) -> str:
        return self.post

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def last_check_ins(user: User | None) -> list[LastCheckIn]:
    """Every observation post the user may see, with its latest visible check-in (one query)."""
    latest = visible(CheckIn.objects.filter(post=OuterRef("pk")), user).order_by(
        "-checked_in_at", "-pk"
    )
    posts = (
        visible(Facility.objects.filter(kind=FacilityKind.OBSERVATION_POST), user)
        .annotate(
            last_at=Subquery(latest.values("checked_in_at")[:1]),
            last_status=Subquery(latest.values("status")[:1]),
            last_note=Subquery(latest.values("note")[:1]),
        )
        .order_by("code")
    )
    return [LastCheckIn(p.code, p.name, p.last_at, p.last_status, p.last_note) for p in posts]


def observation_get(user: User | None, public_id: uuid.UUID | str) -> Observation:
    """One observation by public id; NotFound whether it is absent or hidden."""
    try:
        return get_visible(
            Observation.objects.select_related("observer_post", "zone", "incident"),
            user,
            public_id,
        )
    except NotFound:
        raise NotFound("no such observation", field="id") from None
