"""Mine action records, after the GICHD minimum data requirements (DOMAIN.md).

A hazard area is a polygon believed (suspected, SHA) or known (confirmed, CHA)
to hold explosive ordnance. While it is open, convoy routes keep clear of it
(truce.routing reads open areas through truce.mineaction.selectors); closing
or handing it over is a new version of the record, never an overwrite.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from truce.core.models import AdminArea, Organisation, Record, Settlement
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
    # The land release a closure or hand-over came from (null while open or when
    # closed for another reason); each status change is a version in the ledger.
    released_by = models.ForeignKey(
        "mineaction.LandRelease",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["reference"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("mineaction:hazard", kwargs={"public_id": self.public_id})


class ActivityKind(models.TextChoices):
    NON_TECHNICAL_SURVEY = "nts", _("Non-technical survey")
    TECHNICAL_SURVEY = "ts", _("Technical survey")
    CLEARANCE = "clearance", _("Clearance")
    BATTLE_AREA_CLEARANCE = "bac", _("Battle area clearance")
    EOD_SPOT_TASK = "eod", _("EOD spot task")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(Record):
    """A survey, clearance or EOD task by one organisation, on a hazard area or a place."""

    reference = models.CharField(max_length=40, unique=True, help_text="e.g. TASK-LAC-001.")
    kind = models.CharField(max_length=12, choices=ActivityKind.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mine_action_activities"
    )
    hazard = models.ForeignKey(
        HazardArea,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        help_text="Required except for EOD spot tasks.",
    )
    settlement = models.ForeignKey(
        Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    admin_area = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-start_date", "reference"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.reference


class LandRelease(Record):
    """Land released by an activity, reported on a day: cancelled, reduced, cleared (m2)."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="results")
    reported_on = models.DateField()
    cancelled_m2 = models.FloatField(default=0.0)
    reduced_m2 = models.FloatField(default=0.0)
    cleared_m2 = models.FloatField(default=0.0)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["reported_on", "id"]
        indexes = [models.Index(fields=["reported_on"])]

    @property
    def released_m2(self) -> float:
        return self.cancelled_m2 + self.reduced_m2 + self.cleared_m2

    def __str__(self) -> str:
        return f"{self.activity_id} {self.reported_on}"


class DeviceCategory(models.TextChoices):
    AP_MINE = "ap_mine", _("Anti-personnel mine")
    AT_MINE = "at_mine", _("Anti-vehicle mine")
    UXO = "uxo", _("Unexploded ordnance")
    CLUSTER = "cluster_submunition", _("Cluster submunition")
    ABANDONED = "abandoned_ordnance", _("Abandoned ordnance")
    IED = "ied", _("Improvised explosive device")
    OTHER = "other", _("Other")


class DeviceCount(Record):
    """Explosive items of one category and type found and destroyed by an activity on a day."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="devices")
    reported_on = models.DateField()
    category = models.CharField(max_length=24, choices=DeviceCategory.choices)
    device_type = models.CharField(max_length=100, blank=True, help_text='e.g. "PMN-2".')
    found = models.PositiveIntegerField(default=0)
    destroyed = models.PositiveIntegerField(default=0)
    # More destroyed than found happens (items handed in, found by another team);
    # the report must then say why, so the discrepancy is explained, not hidden.
    destroyed_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["reported_on", "id"]
        indexes = [models.Index(fields=["reported_on", "category"])]

    def __str__(self) -> str:
        return f"{self.category} {self.device_type} {self.destroyed}/{self.found}"


class CheckResult(models.TextChoices):
    CLEAR = "clear", _("Checked, clear")
    CLEARED = "cleared", _("Checked, items removed")
    HAZARD_FOUND = "hazard_found", _("Hazard found, not clear")
    PARTIAL = "partial", _("Partly checked")


class RoadCheck(GeoRecord):
    """A stretch of road checked for explosive ordnance on a day."""

    reference = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="road_checks"
    )
    settlement = models.ForeignKey(
        Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    admin_area = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_on = models.DateField()
    result = models.CharField(max_length=14, choices=CheckResult.choices)
    length_m = models.FloatField(editable=False, help_text="Geodesic length of the line.")
    stated_km = models.FloatField(
        null=True, blank=True, help_text="The operator's own figure, when it reports one."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["checked_on", "reference"]
        indexes = [models.Index(fields=["checked_on"])]

    @property
    def km(self) -> float:
        """The operator's figure when stated (it follows the real road), else the line's."""
        return self.stated_km if self.stated_km is not None else self.length_m / 1000.0

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class BuildingCheck(GeoRecord):
    """Buildings of a settlement checked on a day (an optional point)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="building_checks"
    )
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField()
    buildings = models.PositiveIntegerField()
    result = models.CharField(max_length=14, choices=CheckResult.choices, default="clear")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["checked_on", "id"]
        indexes = [models.Index(fields=["checked_on"])]

    def __str__(self) -> str:
        return f"{self.settlement_id} {self.buildings} on {self.checked_on}"


class Accident(GeoRecord):
    """An explosive ordnance accident: counts of victims only, never names.

    Restricted by default to the mission: victims' data is sensitive even as counts
    in a small village.
    """

    occurred_on = models.DateField()
    settlement = models.ForeignKey(
        Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    admin_area = models.ForeignKey(
        AdminArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device_category = models.CharField(max_length=24, choices=DeviceCategory.choices)
    device_type = models.CharField(max_length=100, blank=True)
    killed_men = models.PositiveIntegerField(default=0)
    killed_women = models.PositiveIntegerField(default=0)
    killed_boys = models.PositiveIntegerField(default=0)
    killed_girls = models.PositiveIntegerField(default=0)
    injured_men = models.PositiveIntegerField(default=0)
    injured_women = models.PositiveIntegerField(default=0)
    injured_boys = models.PositiveIntegerField(default=0)
    injured_girls = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)

    VICTIM_FIELDS = (
        "killed_men",
        "killed_women",
        "killed_boys",
        "killed_girls",
        "injured_men",
        "injured_women",
        "injured_boys",
        "injured_girls",
    )

    class Meta:
        ordering = ["-occurred_on", "id"]

    @property
    def killed(self) -> int:
        return self.killed_men + self.killed_women + self.killed_boys + self.killed_girls

    @property
    def injured(self) -> int:
        return self.injured_men + self.injured_women + self.injured_boys + self.injured_girls

    def __str__(self) -> str:
        return f"accident {self.occurred_on}"
