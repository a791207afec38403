"""Monitoring records as plain JSON values for the API and the map, as one reader sees them.

As in truce.core.serializers, a reference to a record the reader may not
see is null, exactly as if it were unset. An incident's own figures (how
many observations, casualties) are shown as they are: an incident is shared
with a party only as far as every one of its observations is
(truce.monitoring.services.derive), so they count nothing hidden from it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii
from typing import Any

from django.urls import reverse

from truce.core.models import User
from truce.core.serializers import bbox_list, geo_fields, record_fields, reference
from truce.core.sharing import can_see
from truce.lib.time import iso_utc
from truce.monitoring import map_features
from truce.monitoring.models import (
    Attachment,
    CheckIn,
    Incident,
    IncidentStatus,
    Observation,
)
from truce.monitoring.selectors import IncidentMapRows, LastCheckIn, incident_map_rows

# Reversed once per response with a placeholder, then substituted per row:
# a map of thousands of incidents should not pay for thousands of reversals.
_PLACEHOLDER = uuid.UUID(int=0)


def attachment_out(attachment: Attachment, user: User) -> dict[str, Any]:
    return {
        **record_fields(attachment, user),
        "observation": str(attachment.observation.public_id),
        "content_type": attachment.content_type,
        "size_bytes": attachment.size_bytes,
        "sha256": attachment.sha256,
        "original_name": attachment.original_name,
    }


def observation_out(observation: Observation, user: User) -> dict[str, Any]:
    post = observation.observer_post
    # The observer's own position is the post's position when a post observed:
    # shown only to readers who may see that post, or it would locate a hidden OP.
    post_hidden = post is not None and not can_see(post, user)
    return {
        **geo_fields(observation, user),
        "client_uuid": str(observation.client_uuid),
        "observed_at": iso_utc(observation.observed_at),
        "window": observation.window.isoformat(),
        "observer_kind": observation.observer_kind,
        "observer_post": reference(post, user, "code"),
        "observer_label": observation.observer_label,
        "observer_lon": None if post_hidden else observation.observer_lon,
        "observer_lat": None if post_hidden else observation.observer_lat,
        "reporting_party": reference(observation.reporting_party, user, "code"),
        "type": observation.type,
        "count": observation.count,
        "weapon_type": observation.weapon_type,
        "bearing_deg": observation.bearing_deg,
        "distance_m": observation.distance_m,
        "position_method": observation.position_method,
        "direction_of_fire": observation.direction_of_fire,
        "direction_place": observation.direction_place,
        "killed_military": observation.killed_military,
        "killed_civilian": observation.killed_civilian,
        "injured_military": observation.injured_military,
        "injured_civilian": observation.injured_civilian,
        "text": observation.text,
        "zone": reference(observation.zone, user, "code"),
        "incident": _incident_id(observation, user),
    }


def _incident_id(observation: Observation, user: User) -> str | None:
    if observation.incident_id is None:
        return None
    value = reference(observation.incident, user, "public_id")
    return None if value is None else str(value)


def observation_detail_out(
    observation: Observation, user: User, attachments: Iterable[Attachment]
) -> dict[str, Any]:
    return {
        **observation_out(observation, user),
        "attachments": [attachment_out(a, user) for a in attachments],
    }


def responsible_party_code(incident: Incident, user: User) -> str | None:
    """The party named responsible, only on a verified incident (and if the reader may see it)."""
    if incident.status != IncidentStatus.VERIFIED:
        return None
    value = reference(incident.responsible_party, user, "code")
    return None if value is None else str(value)


def incident_out(incident: Incident, user: User) -> dict[str, Any]:
    settlement = reference(incident.nearest_settlement, user, "pcode")
    return {
        **geo_fields(incident, user),
        "reference": incident.reference,
        "type": incident.type,
        "started_at": iso_utc(incident.started_at),
        "ended_at": iso_utc(incident.ended_at),
        "position_method": incident.position_method,
        "uncertainty_m": incident.uncertainty_m,
        "zone": reference(incident.zone, user, "code"),
        "nearest_settlement": settlement,
        # A distance to a settlement the reader may not see would half-locate it.
        "settlement_distance_m": incident.settlement_distance_m if settlement else None,
        "severity": incident.severity,
        "status": incident.status,
        "responsible_party": responsible_party_code(incident, user),
        "resolution": incident.resolution,
        "grouped_by_hand": incident.grouped_by_hand,
        "notes": incident.notes,
        "observation_count": incident.observation_count,
        "killed": incident.killed,
        "injured": incident.injured,
    }


def incident_detail_out(
    incident: Incident, user: User, observations: list[Observation]
) -> dict[str, Any]:
    """The incident with its observations (as the selector gave them to the reader)."""
    return {
        **incident_out(incident, user),
        "observations": [observation_out(o, user) for o in observations],
    }


def check_in_out(check_in: CheckIn, user: User) -> dict[str, Any]:
    return {
        **record_fields(check_in, user),
        "client_uuid": str(check_in.client_uuid),
        "post": reference(check_in.post, user, "code"),
        "checked_in_at": iso_utc(check_in.checked_in_at),
        "status": check_in.status,
        "note": check_in.note,
    }


# An OP that has not checked in for this long is flagged (pages, API, lists).
CHECK_IN_OVERDUE = dt.timedelta(hours=4)


def latest_check_in_out(row: LastCheckIn, now: dt.datetime) -> dict[str, Any]:
    """A post's last check-in, with its age and whether it is overdue (never counts as overdue)."""
    at = row.checked_in_at
    age = None if at is None else max(0, int((now - at).total_seconds()))
    return {
        "post": row.post,
        "post_name": row.post_name,
        "checked_in_at": None if at is None else iso_utc(at),
        "status": row.status,
        "note": row.note,
        "age_seconds": age,
        "overdue": age is None or age > CHECK_IN_OVERDUE.total_seconds(),
    }


# --- GeoJSON ---------------------------------------------------------------------------


class IncidentUrls:
    """The web page of an incident, by public id, from one reversal."""

    def __init__(self) -> None:
        self._template = reverse("monitoring:incident-detail", kwargs={"public_id": _PLACEHOLDER})

    def __call__(self, public_id: uuid.UUID) -> str:
        return self._template.replace(str(_PLACEHOLDER), str(public_id))


def incident_feature(incident: Incident, user: User, urls: IncidentUrls) -> dict[str, Any]:
    """One incident as a map feature: the reference the fast path below must equal."""
    return {
        "type": "Feature",
        "id": str(incident.public_id),
        "geometry": incident.geometry,
        "bbox": bbox_list(incident),
        "properties": {
            "layer": "incidents",
            "name": incident.reference,
            "reference": incident.reference,
            "type": incident.type,
            "status": incident.status,
            "severity": incident.severity,
            "started_at": iso_utc(incident.started_at),
            "ended_at": iso_utc(incident.ended_at),
            "uncertainty_m": incident.uncertainty_m,
            "position_method": incident.position_method,
            "zone": reference(incident.zone, user, "code"),
            "observation_count": incident.observation_count,
            "killed": incident.killed,
            "injured": incident.injured,
            "approximate": incident.location_approximate,
            "url": urls(incident.public_id),
        },
    }


def incident_collection(incidents: Iterable[Incident], user: User) -> dict[str, Any]:
    """Incidents as a FeatureCollection, from model instances (the readable reference).

    The map endpoint sends incident_map_geojson instead, which writes the same
    features as text straight from the rows; tests hold the two equal.
    """
    urls = IncidentUrls()
    return {
        "type": "FeatureCollection",
        "features": [incident_feature(i, user, urls) for i in incidents],
    }


# --- the map's GeoJSON, written as text ------------------------------------------------
#
# A day's map is hundreds to thousands of features: at some 30 us a feature for
# building dicts and encoding them, Python was most of the answer's time. The
# database keeps each incident's feature as text (truce/monitoring/map_features.py);
# here each row's text gets the two things that are not the incident's own, the
# zone's code for this reader and the page's URL, and the features are joined.
# The result is what json.dumps(incident_collection(...)) writes, value for value
# (tests/monitoring/test_map_geojson.py compares them per reader).


class _Quoted(dict[Any, str]):
    """JSON text of a few repeated values (zone codes), escaped once each."""

    def __missing__(self, value: Any) -> str:
        text = "null" if value is None else encode_basestring_ascii(value)
        self[value] = text
        return text


def incident_map_text(found: IncidentMapRows) -> str:
    """The map rows (selectors.incident_map_rows) as a GeoJSON FeatureCollection, as text."""
    url_head, url_tail = json.dumps(IncidentUrls()(_PLACEHOLDER)).split(str(_PLACEHOLDER))
    quoted = _Quoted()
    zones: dict[int | None, str] = {pk: quoted[code] for pk, code in found.zone_codes.items()}
    at = map_features.ID_SLICE
    features = [
        f'{text}, "zone": {zones.get(zone_id, "null")}, "url": {url_head}{text[at]}{url_tail}}}}}'
        for text, zone_id in found.rows
    ]
    return '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"


def incident_map_geojson(user: User, **filters: Any) -> str:
    """The incident map's GeoJSON for this reader (the filters of incidents_visible_to).

    What the map endpoint sends, and what bench.counts_at_scale times.
    """
    return incident_map_text(incident_map_rows(user, **filters))
