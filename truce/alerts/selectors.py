"""Reads of prompt response, always through party visibility.

Alerts and rules are mission-only records, so for a party or an agency
every list here is empty and every lookup is a NotFound, exactly as for any
other record they may not see. Rules are further limited to those who keep
them (administrators and duty officers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When

from truce.alerts.models import ACTIVE_STATUSES, CLOSED_STATUSES, Alert, AlertRule, AlertStatus
from truce.alerts.permissions import may_manage_rules
from truce.core.errors import InvalidInput, NotFound
from truce.core.sharing import visible
from truce.lib.time import utcnow
from truce.monitoring.models import Severity

if TYPE_CHECKING:
    from truce.core.models import User

R = TypeVar("R", Alert, AlertRule)

# Status filters accepted besides the statuses themselves.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "active": tuple(ACTIVE_STATUSES),
    "closed": tuple(CLOSED_STATUSES),
}
SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
}
# The queue shows the most urgent this many; the rest are counted beside them.
# (Every change re-renders the queue for every duty officer's open page: at
# 200 rows that took a quarter of a second of a server's time each time.)
QUEUE_LIMIT = 50
RECENT_LIMIT = 20


def _with_subjects(qs: QuerySet[Alert]) -> QuerySet[Alert]:
    return qs.select_related(
        "rule", "zone", "incident", "observation", "facility", "acknowledged_by", "resolved_by"
    )


def _severity_rank() -> Case:
    return Case(
        *(When(severity=value, then=Value(rank)) for value, rank in SEVERITY_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _statuses(status: str) -> tuple[str, ...]:
    if status in STATUS_GROUPS:
        return STATUS_GROUPS[status]
    if status in AlertStatus.values:
        return (status,)
    names = ", ".join([*AlertStatus.values, *STATUS_GROUPS])
    raise InvalidInput(f"unknown status {status!r}; use {names}", field="status")


def alerts_visible_to(
    user: User | None,
    *,
    status: str | None = None,
    since: dt.datetime | None = None,
    kind: str | None = None,
    severity: str | None = None,
    subjects: bool = True,
) -> QuerySet[Alert]:
    """Alerts the user may see (the mission's), optionally raised since a time.

    subjects=False leaves out the joined rows an alert names (for a page of
    ids first: a poll usually finds nothing new, and the join costs more to
    prepare than the read); with_subjects() loads them for the rows kept.
    """
    qs = visible(Alert.objects.all(), user)
    if subjects:
        qs = _with_subjects(qs)
    if status:
        qs = qs.filter(status__in=_statuses(status))
    if since is not None:
        qs = qs.filter(raised_at__gte=since)
    if kind:
        qs = qs.filter(kind=kind)
    if severity:
        qs = qs.filter(severity=severity)
    return qs


def with_subjects(alerts: Sequence[Alert]) -> list[Alert]:
    """The same alerts, in the same order, with the rows they name joined in one query."""
    if not alerts:
        return []
    loaded = _with_subjects(Alert.objects.filter(pk__in=[a.pk for a in alerts])).in_bulk()
    return [loaded[a.pk] for a in alerts]


def _by_public_id(qs: QuerySet[R], public_id: object) -> R:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("no such record", field="id") from None
    row = qs.filter(public_id=key).first()
    if row is None:
        raise NotFound("no such record", field="id")
    return row


def get_alert(user: User | None, public_id: object) -> Alert:
    """One alert, or NotFound if it does not exist or the user may not see it."""
    return _by_public_id(alerts_visible_to(user), public_id)


def open_alert_count(user: User | None) -> int:
    """Alerts nobody has acknowledged yet (0 for anyone outside the mission)."""
    return visible(Alert.objects.filter(status=AlertStatus.OPEN), user).count()


@dataclass(frozen=True)
class Queue:
    """The duty officer's view: what needs someone, and what was closed lately."""

    active: list[Alert]
    recent: list[Alert]
    open_count: int
    now: dt.datetime
    state: str
    more: int = 0  # active alerts beyond the QUEUE_LIMIT shown


def queue_state(user: User | None, *, now: dt.datetime) -> str:
    """A short digest that changes whenever anything the queue shows changes.

    Two narrow, indexed reads (no joins), so a poll that finds nothing new
    answers 204 without building the queue. The active alerts are summed in
    the database: their number, the sum of their versions and their latest
    change (every write raises a version and moves updated_at, every raise or
    resolve changes the number), and how many are overdue now; then the
    recently closed ones.
    """
    active = visible(Alert.objects.filter(status__in=ACTIVE_STATUSES), user).aggregate(
        n=Count("pk"),
        versions=Sum("version"),
        changed=Max("updated_at"),
        overdue=Count("pk", filter=Q(status=AlertStatus.OPEN, due_at__lte=now)),
    )
    parts = [f"{active['n']}:{active['versions'] or 0}:{active['changed']}:{active['overdue']}"]
    recent = (
        visible(Alert.objects.filter(status__in=CLOSED_STATUSES), user)
        .order_by("-resolved_at", "-pk")
        .values_list("public_id", "version")[:RECENT_LIMIT]
    )
    parts += ["closed", *(f"{public_id}:{version}" for public_id, version in recent)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


# What the queue's rows show of the records an alert names (the alert's own
# columns all come): building every column of six joined records per row, four
# geometries decoded, was most of the time of a full queue, which every open
# page rebuilds whenever an alert changes.
_QUEUE_RELATED = (
    "incident__public_id",
    "incident__reference",
    "observation__public_id",
    "observation__type",
    "facility__public_id",
    "facility__code",
    "facility__name",
    "facility__kind",
    "zone__public_id",
    "zone__name",
    "acknowledged_by__username",
    "resolved_by__username",
)


@cache
def _queue_columns() -> tuple[str, ...]:
    own = [f.name for f in Alert._meta.concrete_fields if f.name != "rule"]
    return (*own, *_QUEUE_RELATED)


def _queue_rows(user: User | None, status: str) -> QuerySet[Alert]:
    qs = visible(Alert.objects.all(), user).filter(status__in=_statuses(status))
    related = ("zone", "incident", "observation", "facility", "acknowledged_by", "resolved_by")
    return qs.select_related(*related).only(*_queue_columns())


def alert_queue(user: User | None, *, now: dt.datetime | None = None) -> Queue:
    """Open alerts first, then acknowledged ones; each by severity, then newest first.

    Newest first within a severity: a fresh critical report must be seen the
    moment it is raised, not below the older ones of its kind (which stay
    counted, and escalate to the next role if nobody takes them).
    """
    now = now or utcnow()
    # The state first: an alert committed between this read and the lists
    # below then changes the state the next poll sees, so it is fetched then.
    # (Read after the lists, the page would carry a state that already
    # includes an alert it does not show, and every later poll answers 204.)
    state = queue_state(user, now=now)
    status_rank = Case(
        When(status=AlertStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    active: list[Alert] = list(
        _queue_rows(user, "active")
        .annotate(status_rank=status_rank, severity_rank=_severity_rank())
        .order_by("status_rank", "-severity_rank", "-raised_at", "-pk")[:QUEUE_LIMIT]
    )
    recent = list(_queue_rows(user, "closed").order_by("-resolved_at", "-pk")[:RECENT_LIMIT])
    open_count = sum(1 for alert in active if alert.status == AlertStatus.OPEN)
    more = 0
    if len(active) == QUEUE_LIMIT:
        open_count = open_alert_count(user)
        more = visible(Alert.objects.filter(status__in=ACTIVE_STATUSES), user).count() - len(active)
    return Queue(
        active=active,
        recent=recent,
        open_count=open_count,
        now=now,
        state=state,
        more=more,
    )


def alert_rules_visible_to(user: User | None, *, kind: str | None = None) -> QuerySet[AlertRule]:
    """Rules, for those who keep them; an empty list for everyone else."""
    if not may_manage_rules(user):
        return AlertRule.objects.none()
    qs = visible(AlertRule.objects.select_related("zone"), user)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def get_rule(user: User | None, public_id: object) -> AlertRule:
    return _by_public_id(alert_rules_visible_to(user), public_id)
