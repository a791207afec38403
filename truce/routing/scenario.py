"""Scenario sections of roads and routing: networks, segment statuses, corridors.

`routing.networks` (YAML, list `networks`): slug, name, file (a GeoJSON or OSM PBF
file beside the manifest), source, visibility. Keyed by slug; a file whose sha256
matches the network's current version is left alone, another becomes a new version
(truce.routing.services.network_import).

`routing.segment_statuses` (CSV): network, segment (key), status, since, reason,
source, visibility. Keyed by network, segment, status and day: one row is one entry of
a segment's status history (segment_status_set).

`routing.corridors` (YAML, list `corridors`): network, name, designation,
open_to_civilians_since, segments (keys), source, visibility. Keyed by network and
name (corridor_record, or corridor_update for a changed one).

All are written as the system (actor None). Segment keys are checked against the
network's file while parsing, so a bad key stops the load before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from truce.core.errors import DomainError
from truce.core.scenario import (
    Item,
    LoadContext,
    Outcome,
    Raw,
    Section,
    SectionType,
    csv_rows,
    register_section,
    yaml_entries,
)
from truce.core.scenario.sync import changed_fields, visibility_changed
from truce.routing import services
from truce.routing.models import Corridor, RoadNetwork, RoadSegment, SegmentState, SegmentStatus

STATUS_COLUMNS = ("network", "segment", "status", "since", "reason", "source", "visibility")
NETWORK_FIELDS = ("slug", "name", "file", "source", "visibility")
CORRIDOR_FIELDS = (
    "network",
    "name",
    "designation",
    "open_to_civilians_since",
    "segments",
    "source",
    "visibility",
)
_KEYS_NOTE = "routing_segment_keys"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _geojson_keys(raw: Raw, path: Path) -> set[str]:
    """The segment keys a GeoJSON file will give (its features' ids)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise raw.error(f"cannot read {path.name}: {exc}", "file") from None
    keys: set[str] = set()
    for feature in data.get("features") or []:
        props = feature.get("properties") or {}
        key = feature.get("id", props.get("key", props.get("id")))
        if key is not None:
            keys.add(str(key))
    return keys


def _segment_keys(ctx: LoadContext, raw: Raw, slug: str) -> set[str]:
    declared = ctx.notes.get(_KEYS_NOTE, {}).get(slug)
    if declared is not None:
        return set(declared)
    if not RoadNetwork.objects.filter(slug=slug, is_deleted=False).exists():
        raise raw.error(f"unknown network {slug!r}", "network")
    return set(RoadSegment.objects.filter(network__slug=slug).values_list("key", flat=True))


def parse_networks(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _document in yaml_entries(section, "networks"):
        raw.only(NETWORK_FIELDS)
        slug = raw.text("slug", required=True, max_length=80)
        raw.keyed("network", slug)
        path = section.path.parent / raw.text("file", required=True)
        if not path.is_file():
            raise raw.error(f"no such file {path.name!r} beside the manifest", "file")
        if path.suffix.lower() in (".geojson", ".json"):
            ctx.notes.setdefault(_KEYS_NOTE, {})[slug] = _geojson_keys(raw, path)
        item = Item(
            file=raw.file,
            label=raw.label,
            key=slug,
            fields={
                "name": raw.text("name", required=True, max_length=200),
                "source": raw.text("source", max_length=500),
            },
            visibility=raw.visibility(),
            extra={"path": path},
        )
        ctx.declare("routing_network", item)
        items.append(item)
    return items


def write_network(ctx: LoadContext, item: Item) -> Outcome:
    path: Path = item.extra["path"]
    existing = RoadNetwork.objects.filter(slug=item.key, is_deleted=False).first()
    if existing is not None and existing.source_sha256 == _sha256(path):
        return "unchanged"
    try:
        services.network_import(
            actor=None,
            path=path,
            slug=item.key,
            name=item.fields["name"],
            source_name=path.name,
            source=item.fields["source"],
            visibility=item.visibility,
        )
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None
    return "created" if existing is None else "updated"


def parse_statuses(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    keys_of: dict[str, set[str]] = {}
    for raw in csv_rows(section, STATUS_COLUMNS, ("network", "segment", "status", "since")):
        slug = raw.text("network", required=True)
        if slug not in keys_of:
            keys_of[slug] = _segment_keys(ctx, raw, slug)
        segment = raw.text("segment", required=True, max_length=200)
        if segment not in keys_of[slug]:
            raise raw.error(f"no segment {segment!r} in network {slug}", "segment")
        status = raw.choice("status", SegmentState.values)
        since = raw.date("since")
        if since is None:
            raise raw.error("is required", "since")
        key = f"{slug}/{segment}/{status}/{since.isoformat()}"
        raw.keyed("status", key)
        item = Item(
            file=raw.file,
            label=raw.label,
            key=key,
            fields={
                "status": status,
                "since": since,
                "reason": raw.text("reason"),
                "source": raw.text("source", max_length=500),
            },
            visibility=raw.visibility(),
            extra={"network": slug, "segment": segment},
        )
        ctx.declare("routing_status", item)
        items.append(item)
    return items


def write_status(ctx: LoadContext, item: Item) -> Outcome:
    slug, key = item.extra["network"], item.extra["segment"]
    found = SegmentStatus.objects.filter(
        network__slug=slug,
        segment_key=key,
        status=item.fields["status"],
        since=item.fields["since"],
        is_deleted=False,
    ).exists()
    if found:
        return "unchanged"
    network = RoadNetwork.objects.get(slug=slug, is_deleted=False)
    try:
        services.segment_status_set(
            actor=None,
            network=network,
            key=key,
            fields=item.fields,
            expected_version=None,
            visibility=item.visibility,
        )
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None
    return "created"


def parse_corridors(ctx: LoadContext, section: Section) -> list[Item]:
    items = []
    for raw, _document in yaml_entries(section, "corridors"):
        raw.only(CORRIDOR_FIELDS)
        slug = raw.text("network", required=True)
        name = raw.text("name", required=True, max_length=200)
        raw.keyed("corridor", f"{slug}/{name}")
        known = _segment_keys(ctx, raw, slug)
        segments = raw.strings("segments")
        if not segments:
            raise raw.error("is required (a list of segment keys)", "segments")
        for key in segments:
            if key not in known:
                raise raw.error(f"no segment {key!r} in network {slug}", "segments")
        item = Item(
            file=raw.file,
            label=raw.label,
            key=f"{slug}/{name}",
            fields={
                "name": name,
                "designation": raw.text("designation", max_length=300),
                "open_to_civilians_since": raw.date("open_to_civilians_since"),
                "segment_keys": segments,
                "source": raw.text("source", max_length=500),
            },
            visibility=raw.visibility(),
            extra={"network": slug},
        )
        ctx.declare("routing_corridor", item)
        items.append(item)
    return items


def write_corridor(ctx: LoadContext, item: Item) -> Outcome:
    network = RoadNetwork.objects.get(slug=item.extra["network"], is_deleted=False)
    existing = Corridor.objects.filter(
        network=network, name=item.fields["name"], is_deleted=False
    ).first()
    try:
        if existing is None:
            services.corridor_record(
                actor=None, network=network, fields=item.fields, visibility=item.visibility
            )
            return "created"
        changes = changed_fields(existing, item.fields)
        shared = visibility_changed(existing, item.visibility)
        if not changes and not shared:
            return "unchanged"
        services.corridor_update(
            actor=None,
            corridor=existing,
            expected_version=existing.version,
            changes=changes,
            visibility=item.visibility if shared else None,
        )
        return "updated"
    except DomainError as exc:
        raise item.error(exc.message, exc.field) from None


def _statuses_by_day(ctx: LoadContext, section: Section) -> list[Item]:
    # A segment's history is written oldest first, so each entry finds the one before it.
    return sorted(parse_statuses(ctx, section), key=lambda item: item.fields["since"])


for _section_type in (
    SectionType(
        "routing.networks",
        parse_networks,
        write_network,
        "Road networks, each a GeoJSON or OSM PBF file imported as a version (YAML)",
    ),
    SectionType(
        "routing.segment_statuses",
        _statuses_by_day,
        write_status,
        "The status history of road segments: open, closed, verified clear (CSV)",
    ),
    SectionType(
        "routing.corridors",
        parse_corridors,
        write_corridor,
        "Corridors and their segments, with the day they opened to civilians (YAML)",
    ),
):
    register_section(_section_type)
