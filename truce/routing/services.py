"""Writes of road networks (imports), segment statuses and corridors; route planning.

Every write is one transaction through truce.core.records, so each version
lands in the ledger with it. A network import writes its segments with
bulk_create (a network may hold more than a million) and one ledger entry,
the network's new version, holding the file's sha256 and counts.

plan_route is what the views, the route sheet and the API call: it loads (or
reuses) the network's graph (truce.routing.engine, cached in the process per
network version), applies the masks of this query and explains a failure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import transaction

from truce.core.errors import Conflict, InvalidInput
from truce.core.models import User
from truce.core.permissions import ensure_response_writer
from truce.core.records import record_create, record_update
from truce.lib.time import utcnow
from truce.routing import imports
from truce.routing.models import Corridor, RoadNetwork, RoadSegment, SegmentState, SegmentStatus
from truce.routing.planning import RoutePlan, forget_graphs, plan_route

__all__ = ["RoutePlan", "forget_graphs", "plan_route"]

Visibility = Iterable[str] | str | None
Progress = Callable[[int, int, str], None]

# Road networks and their statuses are for everyone who travels, unless restricted.
DEFAULT_VISIBILITY = ("side_a", "side_b", "agencies", "public")
BATCH = 5000
PROGRESS_TTL_S = 3600
STATUS_FIELDS = frozenset({"status", "since", "reason", "source", "confidence"})


def ensure_routing_writer(actor: User | None, *, agencies: bool = True) -> None:
    """Mission staff with a response role, or agency staff (None is the scenario loader)."""
    ensure_response_writer(
        actor,
        "only the mission's staff and agency staff may change road networks",
        agencies=agencies,
    )


# --- progress -------------------------------------------------------------------------------


def import_progress_key(user: User | None, token: str) -> str:
    """The cache key an import's progress is kept under (for an upload page to poll)."""
    return f"routing-import:{user.pk if user else 0}:{token}"


def cache_progress(key: str) -> Progress:
    """A progress callback that leaves {done, total, phase} in the cache under key."""

    def report(done: int, total: int, phase: str) -> None:
        cache.set(key, {"done": done, "total": total, "phase": phase}, PROGRESS_TTL_S)

    return report


def import_progress(user: User | None, token: str) -> dict[str, Any]:
    found = cache.get(import_progress_key(user, token))
    return found or {"done": 0, "total": 0, "phase": "waiting"}


# --- imports --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def network_import(
    *,
    actor: User | None,
    path: Path | str,
    slug: str,
    name: str | None = None,
    source_name: str | None = None,
    source: str = "",
    visibility: Visibility = None,
    progress: Progress | None = None,
) -> RoadNetwork:
    """Import a GeoJSON or OSM PBF file as a new version of network `slug`.

    The file is read and checked before anything is written; then one
    transaction replaces the network's segments (statuses of segments whose
    key persists are kept) and writes the network's new version.
    """
    ensure_routing_writer(actor, agencies=False)
    path = Path(path)
    if not slug or not slug.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("network: a slug of letters, digits, - and _", field="network")
    if not path.is_file():
        raise InvalidInput(f"no such file {str(path)!r}", field="file")
    if progress is not None:
        progress(0, 0, "reading")
    kind, rows = imports.read_network(path, progress)
    sha = _sha256(path)
    return _write_network(
        actor=actor,
        rows=rows,
        slug=slug,
        name=name,
        kind=kind,
        sha=sha,
        source_name=source_name or path.name,
        source=source,
        visibility=visibility,
        progress=progress,
    )


def network_import_upload(
    *,
    actor: User | None,
    upload: Any,
    slug: str,
    name: str | None = None,
    source: str = "",
    visibility: Visibility = None,
    progress: Progress | None = None,
) -> RoadNetwork:
    """network_import for an uploaded file (Django's UploadedFile, or any object with
    .read() and .name): spooled to a temporary file, which osmium needs, then removed."""
    import tempfile

    if upload is None:
        raise InvalidInput("choose a GeoJSON or OSM PBF file", field="file")
    original = Path(str(getattr(upload, "name", "") or "upload")).name
    with tempfile.TemporaryDirectory(prefix="truce-roads-") as folder:
        path = Path(folder) / "network"
        with path.open("wb") as out:
            chunks = upload.chunks() if hasattr(upload, "chunks") else iter([upload.read()])
            for chunk in chunks:
                out.write(chunk)
        return network_import(
            actor=actor,
            path=path,
            slug=slug,
            name=name,
            source_name=original,
            source=source,
            visibility=visibility,
            progress=progress,
        )


@transaction.atomic
def _write_network(
    *,
    actor: User | None,
    rows: list[imports.SegmentRow],
    slug: str,
    name: str | None,
    kind: str,
    sha: str,
    source_name: str,
    source: str,
    visibility: Visibility,
    progress: Progress | None,
) -> RoadNetwork:
    total = len(rows)
    xs = [p[0] for r in rows for p in r.coordinates]
    ys = [p[1] for r in rows for p in r.coordinates]
    fields: dict[str, Any] = {
        "source_name": source_name[:300],
        "source_sha256": sha,
        "source_format": kind,
        "segment_count": total,
        "node_count": len({n for r in rows for n in (r.node_from, r.node_to)}),
        "length_km": round(sum(r.length_m for r in rows) / 1000, 3),
        "bbox": [min(xs), min(ys), max(xs), max(ys)],
        "imported_at": utcnow(),
    }
    if source:
        fields["source"] = source
    existing = RoadNetwork.objects.filter(slug=slug).first()
    kept: dict[str, tuple[str, dt.date | None, int]] = {}
    if existing is None:
        network = record_create(
            actor=actor,
            model=RoadNetwork,
            fields={"slug": slug, "name": name or slug, **fields},
            visibility=DEFAULT_VISIBILITY if visibility is None else visibility,
            action="import",
        )
    else:
        if name:
            fields["name"] = name
        network = record_update(
            actor=actor,
            record=existing,
            changes=fields,
            expected_version=None,
            visibility=visibility,
            action="import",
        )
        kept = {
            key: (status, since, version)
            for key, status, since, version in RoadSegment.objects.filter(
                network=network, status_version__gt=0
            ).values_list("key", "status", "status_since", "status_version")
        }
        RoadSegment.objects.filter(network=network).delete()
    batch: list[RoadSegment] = []
    for i, row in enumerate(rows, start=1):
        status, since, version = kept.get(row.key, (row.status, row.status_since, 0))
        xs_row = [p[0] for p in row.coordinates]
        ys_row = [p[1] for p in row.coordinates]
        batch.append(
            RoadSegment(
                network=network,
                key=row.key,
                name=row.name,
                road_class=row.road_class,
                surface=row.surface,
                max_speed_kmh=row.max_speed_kmh,
                oneway=row.oneway,
                bridge=row.bridge,
                max_weight_t=row.max_weight_t,
                geometry={"type": "LineString", "coordinates": row.coordinates},
                length_m=row.length_m,
                node_from=row.node_from,
                node_to=row.node_to,
                min_lon=min(xs_row),
                min_lat=min(ys_row),
                max_lon=max(xs_row),
                max_lat=max(ys_row),
                status=status,
                status_since=since,
                status_version=version,
                imported_status=row.status,
                imported_status_since=row.status_since,
            )
        )
        if len(batch) >= BATCH:
            RoadSegment.objects.bulk_create(batch)
            batch = []
            if progress is not None:
                progress(i, total, "writing")
    if batch:
        RoadSegment.objects.bulk_create(batch)
    if progress is not None:
        progress(total, total, "done")
    return network


# --- statuses -------------------------------------------------------------------------------


def _check_day(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InvalidInput(f"{name} is a date (YYYY-MM-DD), not a time", field=name)
    if isinstance(value, dt.date):
        day = value
    elif value in (None, ""):
        raise InvalidInput(f"{name} is required", field=name)
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(f"{name} must be a date as YYYY-MM-DD", field=name) from None
    if day > utcnow().date() + dt.timedelta(days=1):
        raise InvalidInput(f"{name} {day.isoformat()} is in the future", field=name)
    return day


@transaction.atomic
def segment_status_set(
    *,
    actor: User | None,
    network: RoadNetwork,
    key: str,
    fields: Mapping[str, Any],
    expected_version: int | None,
    visibility: Visibility = None,
) -> SegmentStatus:
    """A new status of a segment from a day on ("closed since 12 Nov: bridge down").

    expected_version is the segment's status_version the change was made
    from (0 before any status record); another writer in between: Conflict.
    The segment's current status is the newest record by day (then by entry).
    """
    ensure_routing_writer(actor)
    for name in fields:
        if name not in STATUS_FIELDS:
            raise InvalidInput(f"unknown field {name!r}", field=name)
    status = fields.get("status")
    if status not in SegmentState.values:
        raise InvalidInput(
            f"unknown status {status!r}; use one of {', '.join(SegmentState.values)}",
            field="status",
        )
    since = _check_day(fields.get("since"), "since")
    segment = RoadSegment.objects.select_for_update().filter(network=network, key=key).first()
    if segment is None:
        raise InvalidInput(f"no segment {key!r} in network {network.slug}", field="segment")
    if expected_version is not None and segment.status_version != expected_version:
        raise Conflict(
            f"the segment's status is at version {segment.status_version}, not "
            f"{expected_version}: reload it and apply your change again",
            field="expected_version",
        )
    record = record_create(
        actor=actor,
        model=SegmentStatus,
        fields={
            "network": network,
            "segment_key": key,
            "status": status,
            "since": since,
            "reason": fields.get("reason") or "",
            "source": fields.get("source") or "",
            "confidence": fields.get("confidence") or "",
        },
        visibility=DEFAULT_VISIBILITY if visibility is None else visibility,
    )
    segment.status_version += 1
    if segment.status_since is None or since >= segment.status_since or segment.status_version == 1:
        segment.status, segment.status_since = status, since
    segment.save(update_fields=["status", "status_since", "status_version"])
    return record


# --- corridors ------------------------------------------------------------------------------

CORRIDOR_FIELDS = frozenset(
    {"name", "designation", "open_to_civilians_since", "segment_keys", "source", "confidence"}
)


def _corridor_fields(network: RoadNetwork, fields: Mapping[str, Any]) -> dict[str, Any]:
    for name in fields:
        if name not in CORRIDOR_FIELDS:
            raise InvalidInput(f"unknown field {name!r}", field=name)
    checked = dict(fields)
    if "open_to_civilians_since" in checked and checked["open_to_civilians_since"] not in (
        None,
        "",
    ):
        checked["open_to_civilians_since"] = _check_day(
            checked["open_to_civilians_since"], "open_to_civilians_since"
        )
    elif "open_to_civilians_since" in checked:
        checked["open_to_civilians_since"] = None
    if "segment_keys" in checked:
        keys = [str(k) for k in checked["segment_keys"] or []]
        known = set(
            RoadSegment.objects.filter(network=network, key__in=keys).values_list("key", flat=True)
        )
        missing = [k for k in keys if k not in known]
        if missing:
            raise InvalidInput(
                f"no segment {missing[0]!r} in network {network.slug}", field="segment_keys"
            )
        checked["segment_keys"] = keys
    return checked


@transaction.atomic
def corridor_record(
    *,
    actor: User | None,
    network: RoadNetwork,
    fields: Mapping[str, Any],
    visibility: Visibility = DEFAULT_VISIBILITY,
) -> Corridor:
    ensure_routing_writer(actor)
    checked = _corridor_fields(network, fields)
    if not checked.get("name"):
        raise InvalidInput("a corridor needs a name", field="name")
    return record_create(
        actor=actor,
        model=Corridor,
        fields={"network": network, **checked},
        visibility=visibility,
    )


@transaction.atomic
def corridor_update(
    *,
    actor: User | None,
    corridor: Corridor,
    expected_version: int | None,
    changes: Mapping[str, Any],
    visibility: Visibility = None,
) -> Corridor:
    ensure_routing_writer(actor)
    checked = _corridor_fields(corridor.network, changes)
    return record_update(
        actor=actor,
        record=corridor,
        expected_version=expected_version,
        changes=checked,
        visibility=visibility,
    )
