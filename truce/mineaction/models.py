"""Mine action records, after the GICHD minimum data requirements (DOMAIN.md).

A hazard area is a polygon believed (suspected, SHA) or known (confirmed, CHA)
to hold explosive ordnance. While it is open, convoy routes keep clear of it
(truce.routing reads open areas through truce.mineaction.selectors); closing
or handing it over is a new version of the record, never an overwrite.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from truce.core.models import AdminArea, Settlement
from truce.core.models.places import GeoRecord


class HazardKind(models.TextChoices):
    SUSPECTED = "suspected", _("Suspected hazardous area (SHA)")
    CONFIRMED = "confirmed", _("Confirmed hazardous area (CHA)")


class HazardStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    HANDED_OVER = "handed_over", _("Handed over")


class Contamination(models.TextChoices):
    AP_MINES = "ap_mines", _("Anti-personnel mines")
    AT_MINES = "at_mines", _("Anti-vehicle mines")
    MIXED_MINES = "mixed_mines", _("Mixed mines")
    UXO = "uxo", _("Unexploded ordnance")
    CLUSTER = "cluster", _("Cluster munition remnants")
    ABANDONED = "abandoned", _("Abandoned ordnance")
    IED = "ied", _("Improvised explosive devices")
    UNKNOWN = "unknown", _("Unknown")


class HazardArea(GeoRecord):
    """A suspected or confirmed hazardous area: polygon, status, evidence."""

    reference = models.CharField(
        max_length=40, unique=True, help_text="The operator's or IMSMA reference, e.g. HA-LAC-001."
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=HazardKind.choices)
    status = models.CharField(
        max_length=12, choices=HazardStatus.choices, default=HazardStatus.OPEN
    )
    contamination = models.CharField(
        max_length=12, choices=Contamination.choices, default=Contamination.UNKNOWN
    )
    evidence = models.TextField(blank=True, help_text="Why the area is believed hazardous.")
    settlement = models.ForeignKey(
        Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="hazard_areas"
    )
    admin_area = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.PROTECT, related_name="hazard_areas"
    )
    reported_on = models.DateField(help_text="When the hazard was first recorded.")
    status_since = models.DateField(help_text="The day the current status began.")
    area_m2 = models.FloatField(editable=False, help_text="Geodesic area of the polygon.")

    class Meta:
        ordering = ["reference"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"
