"""Road networks, their segments and the segments' status history; corridors.

A network is one imported file (OSM PBF or GeoJSON); each import is a new
version of the RoadNetwork record, with one ledger entry holding the file's
sha256 and counts. Segments are derived from the file and bulk-written
(a network may hold more than a million): they are plain rows, not Records,
and carry their current status denormalised from the newest SegmentStatus,
which is the ledgered history ("closed since 12 Nov, bridge down").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from truce.core.models import Record


class SegmentState(models.TextChoices):
    # "open": reported passable, not verified clear of explosive ordnance.
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    VERIFIED_CLEAR = "verified_clear", _("Verified clear")
    NOT_VERIFIED = "not_verified", _("Not verified")


class RoadNetwork(Record):
    """One road network; each import of its file is a new version."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    source_name = models.CharField(max_length=300, blank=True, help_text="The imported file.")
    source_sha256 = models.CharField(max_length=64, blank=True)
    source_format = models.CharField(max_length=10, blank=True)
    segment_count = models.PositiveIntegerField(default=0)
    node_count = models.PositiveIntegerField(default=0)
    length_km = models.FloatField(default=0.0)
    bbox = models.JSONField(null=True, blank=True, help_text="[min_lon, min_lat, max_lon, max_lat]")
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "slug"]

    def __str__(self) -> str:
        return self.name


class RoadSegment(models.Model):
    """A road piece between two junctions (or a GeoJSON feature as given)."""

    network = models.ForeignKey(RoadNetwork, on_delete=models.CASCADE, related_name="segments")
    key = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True)
    road_class = models.CharField(max_length=40, blank=True)
    surface = models.CharField(max_length=40, blank=True)
    max_speed_kmh = models.FloatField(null=True, blank=True)
    # Geometry runs in the direction of travel of a one-way road.
    oneway = models.BooleanField(default=False)
    bridge = models.BooleanField(default=False)
    max_weight_t = models.FloatField(null=True, blank=True, help_text="Null: no limit.")
    geometry = models.JSONField()
    length_m = models.FloatField()
    node_from = models.BigIntegerField()
    node_to = models.BigIntegerField()
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    status = models.CharField(
        max_length=16, choices=SegmentState.choices, default=SegmentState.NOT_VERIFIED
    )
    status_since = models.DateField(null=True, blank=True)
    # How many status records the segment has had (0: the status the import gave,
    # kept in imported_status for readers who may not see the later records).
    status_version = models.PositiveIntegerField(default=0)
    imported_status = models.CharField(
        max_length=16, choices=SegmentState.choices, default=SegmentState.NOT_VERIFIED
    )
    imported_status_since = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["network", "key"], name="routing_segment_key")
        ]
        indexes = [
            models.Index(fields=["network", "min_lon", "min_lat", "max_lon", "max_lat"]),
            models.Index(fields=["network", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}".strip()


class SegmentStatus(Record):
    """One status of a segment from a day on; the newest is the segment's current one.

    Kept by network and segment key, not by row, so the history survives a
    re-import (which rewrites the segment rows of a network).
    """

    network = models.ForeignKey(RoadNetwork, on_delete=models.CASCADE, related_name="statuses")
    segment_key = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=SegmentState.choices)
    since = models.DateField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-since", "-id"]
        indexes = [models.Index(fields=["network", "segment_key"])]

    def __str__(self) -> str:
        return f"{self.segment_key}: {self.status} since {self.since}"


class Corridor(Record):
    """A named route (e.g. the Lachin corridor) made of segments, by key."""

    network = models.ForeignKey(RoadNetwork, on_delete=models.PROTECT, related_name="corridors")
    name = models.CharField(max_length=200)
    designation = models.CharField(max_length=300, blank=True)
    open_to_civilians_since = models.DateField(null=True, blank=True)
    segment_keys = models.JSONField(default=list)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
