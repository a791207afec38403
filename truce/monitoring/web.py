"""What the monitoring screens show, prepared from the selectors: rows, a timeline, counts.

Kept apart from the views so each view stays "parse, call, render". Every
value comes from a visibility selector; a reference the viewer may not see
is shown as unset.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from truce.core import selectors as core_selectors
from truce.core.models import Facility, FacilityKind
from truce.core.serializers import reference
from truce.ledger.selectors import record_history
from truce.lib.time import to_mission_time, utcnow, window_bounds
from truce.monitoring import selectors
from truce.monitoring.forms import (
    CHECK_IN_STATUS_LABELS,
    DIRECTION_LABELS,
    GROUPING_LABELS,
    OBSERVER_LABELS,
    RESOLUTION_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    CountsForm,
)
from truce.monitoring.selectors import Grouping
from truce.monitoring.serializers import CHECK_IN_OVERDUE

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from truce.core.models import User
    from truce.monitoring.models import Incident, Observation

POST_WINDOWS = 7
# Fields of an incident version worth showing in its timeline, with their values.
TIMELINE_LABELS: dict[str, StrPromise] = {
    "status": _("Status"),
    "severity": _("Severity"),
    "responsible_party": _("Responsible party"),
    "resolution": _("Resolution"),
    "notes": _("Notes"),
    "type": _("Type"),
    "observation_count": _("Observations"),
    "uncertainty_m": _("Uncertainty (m)"),
    "grouped_by_hand": _("Grouped by hand"),
    "observer": _("Observer"),
    "count": _("Count"),
    "bearing_deg": _("Bearing"),
    "distance_m": _("Distance"),
    "casualties": _("Casualties"),
}
# The ledger's verbs for an incident, as a reader says them.
ACTION_LABELS: dict[str, StrPromise] = {
    "create": _("created"),
    "regroup": _("regrouped"),
    "set_status": _("status changed"),
    "add_note": _("note added"),
    "merge": _("merged"),
    "split": _("split"),
    "delete": _("dissolved"),
    "observation_corrected": _("an observation corrected"),
    "observation_withdrawn": _("an observation withdrawn"),
}
TIMELINE_FIELDS = (
    "status",
    "severity",
    "responsible_party",
    "resolution",
    "notes",
    "type",
    "observation_count",
    "uncertainty_m",
    "grouped_by_hand",
)


def incident_rows(incidents: list[Incident], user: User) -> list[dict[str, Any]]:
    return [
        {
            "incident": i,
            "url": reverse("monitoring:incident-detail", kwargs={"public_id": i.public_id}),
            "type_label": TYPE_LABELS.get(i.type, i.type),
            "status_label": STATUS_LABELS.get(i.status, i.status),
            "severity_label": SEVERITY_LABELS.get(i.severity, i.severity),
            "zone": reference(i.zone, user, "name"),
            "settlement": reference(i.nearest_settlement, user, "display_name"),
        }
        for i in incidents
    ]


def observation_rows(observations: Iterable[Observation], user: User) -> list[dict[str, Any]]:
    """Observations for a table: the observer and the incident only if the viewer may see them."""
    rows = []
    for o in observations:
        post_code = reference(o.observer_post, user, "code")
        incident = o.incident if o.incident_id is not None else None
        reference_text = reference(incident, user, "reference")
        rows.append(
            {
                "observation": o,
                "url": reverse("monitoring:observation-detail", kwargs={"public_id": o.public_id}),
                "type_label": TYPE_LABELS.get(o.type, o.type),
                "observer": reference(o.observer_post, user, "name")
                or o.observer_label
                or OBSERVER_LABELS.get(o.observer_kind, o.observer_kind),
                "post_code": post_code,
                "incident_reference": reference_text,
                "incident_url": (
                    reverse("monitoring:incident-detail", kwargs={"public_id": incident.public_id})
                    if incident is not None and reference_text
                    else None
                ),
            }
        )
    return rows


# --- the incident timeline -------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "observation" or "version"
    title: str
    details: list[tuple[str, str]]
    url: str | None = None


def _label(name: str) -> str:
    return str(TIMELINE_LABELS.get(name, name))


def _value_text(name: str, value: Any, parties: Mapping[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if name == "status":
        return str(STATUS_LABELS.get(value, value))
    if name == "severity":
        return str(SEVERITY_LABELS.get(value, value))
    if name == "resolution":
        return str(RESOLUTION_LABELS.get(value, value))
    if name == "type":
        return str(TYPE_LABELS.get(value, value))
    if name == "responsible_party":
        return parties.get(str(value), "—")
    if name == "uncertainty_m" and isinstance(value, int | float):
        return f"{value:.0f}"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def timeline(
    incident: Incident, observations: list[Observation], user: User
) -> list[TimelineEntry]:
    """Observations and every ledger version of the incident the viewer may see, oldest first."""
    history = record_history(incident, user)
    # Parties named in any version, resolved once; a hidden one stays unnamed.
    party_ids = {
        str(item.data["responsible_party"])
        for item in history
        if item.data.get("responsible_party")
    }
    parties = {
        str(public_id): name
        for public_id, name in core_selectors.parties_visible_to(user)
        .filter(public_id__in=party_ids)
        .values_list("public_id", "name")
    }
    entries = [
        TimelineEntry(
            at=o.observed_at,
            kind="observation",
            title=str(TYPE_LABELS.get(o.type, o.type)),
            details=_observation_details(o, user),
        )
        for o in observations
    ]
    for item in history:
        shown = [
            (_label(name), _value_text(name, item.data.get(name), parties))
            for name in TIMELINE_FIELDS
            if name in item.changed
        ]
        entries.append(
            TimelineEntry(
                at=item.entry.recorded_at,
                kind="version",
                title=f"v{item.entry.record_version} · "
                f"{ACTION_LABELS.get(item.entry.action, item.entry.action)} · {item.entry.actor}",
                details=shown,
            )
        )
    entries.sort(key=lambda e: (e.at, e.kind != "observation"))
    return entries


def _observation_details(o: Observation, user: User) -> list[tuple[str, str]]:
    observer = reference(o.observer_post, user, "name") or o.observer_label or o.observer_kind
    details = [(_label("observer"), str(observer)), (_label("count"), str(o.count))]
    if o.bearing_deg is not None:
        details.append((_label("bearing_deg"), f"{o.bearing_deg:.0f}°"))
    if o.distance_m is not None:
        details.append((_label("distance_m"), f"{o.distance_m:.0f} m"))
    if o.casualties:
        details.append((_label("casualties"), str(o.casualties)))
    return details


# --- an observation's versions ---------------------------------------------------------

OBSERVATION_ACTIONS: dict[str, StrPromise] = {
    "create": _("reported"),
    "correct": _("corrected"),
    "withdraw": _("withdrawn"),
}
# What a reader is shown of a version: what the observer reported, and the derived
# position and mission day (the zone is left out: it may be one the reader may not see).
OBSERVATION_FIELD_LABELS: dict[str, StrPromise] = {
    "observed_at": _("Observed at"),
    "window": _("Mission day"),
    "type": _("Type"),
    "count": _("Count"),
    "weapon_type": _("Weapon type"),
    "bearing_deg": _("Bearing"),
    "distance_m": _("Distance"),
    "geometry": _("Position"),
    "position_method": _("Position from"),
    "direction_of_fire": _("Direction of fire"),
    "direction_place": _("Relative to"),
    "killed_military": _("Killed, military"),
    "killed_civilian": _("Killed, civilian"),
    "injured_military": _("Injured, military"),
    "injured_civilian": _("Injured, civilian"),
    "text": _("Text"),
}


POSITION_LABELS: dict[str, StrPromise] = {
    "given": _("Position given"),
    "bearing_distance": _("Bearing and distance from the observer"),
}


def _observation_value(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if name == "position_method":
        return str(POSITION_LABELS.get(value, value))
    if name == "type":
        return str(TYPE_LABELS.get(value, value))
    if name == "direction_of_fire":
        return str(DIRECTION_LABELS.get(value, value))
    if name == "geometry" and isinstance(value, dict):
        lon, lat = value.get("coordinates", [None, None])
        return f"{lat:.5f}, {lon:.5f}" if lat is not None and lon is not None else "—"
    if name == "bearing_deg" and isinstance(value, int | float):
        return f"{value:g}°"
    if name == "distance_m" and isinstance(value, int | float):
        return f"{value:g} m"
    if name == "observed_at" and isinstance(value, str):
        return to_mission_time(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
    return str(value)


def observation_history_rows(observation: Observation, user: User) -> list[dict[str, Any]]:
    """The observation's versions the viewer may see, newest first: who, when, what and why.

    A correction lists each field it changed with the value it replaced (kept in
    its ledger entry); a withdrawal shows its reason.
    """
    rows = []
    for item in reversed(record_history(observation, user)):
        data = item.data
        previous = data.get("previous") if item.entry.action == "correct" else None
        changes = [
            (
                str(label),
                _observation_value(name, previous.get(name)),
                _observation_value(name, data.get(name)),
            )
            for name, label in OBSERVATION_FIELD_LABELS.items()
            if isinstance(previous, dict) and name in previous
        ]
        rows.append(
            {
                "version": item.entry.record_version,
                "recorded_at": item.entry.recorded_at,
                "actor": item.entry.actor,
                "action": item.entry.action,
                "action_label": OBSERVATION_ACTIONS.get(item.entry.action, item.entry.action),
                "reason": data.get("reason", ""),
                "changes": changes,
            }
        )
    return rows


# --- observation posts -------------------------------------------------------------------


def check_in_rows(user: User, posts: Iterable[Facility] | None = None) -> list[dict[str, Any]]:
    """Each visible OP with its last check-in, its age and whether it is overdue."""
    if posts is None:
        posts = core_selectors.facilities_visible_to(user, kind=FacilityKind.OBSERVATION_POST)
    latest = {row.post_code: row for row in selectors.last_check_ins(user)}
    now = utcnow()
    rows = []
    for post in posts:
        last = latest.get(post.code)
        at = getattr(last, "checked_in_at", None)
        age = now - at if at is not None else None
        rows.append(
            {
                "post": post.code,
                "facility": post,
                "zone": reference(post.zone, user, "name"),
                "checked_in_at": at,
                "status": getattr(last, "status", None),
                "status_label": CHECK_IN_STATUS_LABELS.get(getattr(last, "status", None) or "", ""),
                "note": getattr(last, "note", ""),
                "age": age,
                "age_hours": None if age is None else int(age.total_seconds() // 3600),
                "overdue": age is None or age > CHECK_IN_OVERDUE,
            }
        )
    return rows


def post_window_counts(user: User, post: Facility, window: dt.date) -> list[dict[str, Any]]:
    """The post's observations and events in each of the last few mission days (rollups)."""
    result = []
    for back in range(POST_WINDOWS):
        day = window - dt.timedelta(days=back)
        rows = selectors.counts_for(user, window=day, by="post")
        row = next((r for r in rows if r["key"] == post.code), None)
        result.append(
            {
                "window": day,
                "observations": int(row["observations"]) if row else 0,
                "events": int(row["events"]) if row else 0,
            }
        )
    return result


# --- counts ------------------------------------------------------------------------------

CHART_WIDTH = 640
CHART_LABEL = 200
CHART_BAR = 11
CHART_ROW = 32


def _chart(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Bar geometry for a server-rendered SVG: this window against the previous one."""
    top = max(
        [
            1,
            *(int(r["observations"]) for r in rows),
            *(int(r["previous_observations"]) for r in rows),
        ]
    )
    span = CHART_WIDTH - CHART_LABEL - 60
    bars = []
    for index, row in enumerate(rows):
        y = 8 + index * CHART_ROW
        now_w = round(span * int(row["observations"]) / top)
        before_w = round(span * int(row["previous_observations"]) / top)
        bars.append(
            {
                "label": row["label"],
                "y": y,
                "text_y": y + CHART_BAR + 2,
                "now": int(row["observations"]),
                "before": int(row["previous_observations"]),
                "now_width": now_w,
                "before_y": y + CHART_BAR + 1,
                "before_width": before_w,
                "now_text_x": CHART_LABEL + now_w + 4,
                "before_text_x": CHART_LABEL + before_w + 4,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": 16 + len(rows) * CHART_ROW,
        "label_width": CHART_LABEL,
        "bar": CHART_BAR,
        "bars": bars,
    }


def _decorate(row: Mapping[str, Any]) -> dict[str, Any]:
    change = int(row["observations"]) - int(row["previous_observations"])
    return {**row, "change": change, "arrow": "▲" if change > 0 else "▼" if change < 0 else "="}


def counts_page_context(query: Any, user: User, default_window: dt.date) -> dict[str, Any]:
    # Defaults filled in, so the form shows the day and grouping on screen.
    data = {"window": default_window.isoformat(), "by": "type"}
    data.update({k: query[k] for k in data if query.get(k)})
    form = CountsForm(data)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    window: dt.date = cleaned.get("window") or default_window
    by = cleaned.get("by") or "type"
    start, end = window_bounds(window)
    tables = []
    groupings: tuple[Grouping, ...] = ("post", "zone", "type")
    for grouping in groupings:
        label = GROUPING_LABELS[grouping]
        rows = [_decorate(r) for r in selectors.counts_for(user, window=window, by=grouping)]
        totals = list(selectors.running_totals(user, until_window=window, by=grouping))
        tables.append(
            {
                "by": grouping,
                "label": label,
                "rows": rows,
                "total": _decorate(
                    {
                        "label": "",
                        "observations": sum(int(r["observations"]) for r in rows),
                        "events": sum(int(r["events"]) for r in rows),
                        "previous_observations": sum(int(r["previous_observations"]) for r in rows),
                        "previous_events": sum(int(r["previous_events"]) for r in rows),
                    }
                ),
                "totals": totals,
                "chart": _chart(rows) if grouping == by else None,
            }
        )
    return {
        "form": form,
        "window": window,
        "previous_window": window - dt.timedelta(days=1),
        "next_window": window + dt.timedelta(days=1),
        "window_start": start,
        "window_end": end,
        "ceasefire_start": settings.TRUCE_CEASEFIRE_START,
        "by": by,
        "tables": tables,
    }
