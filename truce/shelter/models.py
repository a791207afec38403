"""Shelter: shelters and their occupancy, expected arrivals, allocation runs and placements.

Every row is a Record, so every change is a new version in the ledger: a shelter's
status history and an occupancy correction are readable as timelines, and a new
allocation run supersedes the last one's placements as new versions, never in place.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from truce.core.models import AdminArea, GeoRecord, Organisation, Record, Settlement


class ShelterKind(models.TextChoices):
    COLLECTIVE_CENTRE = "collective_centre", _("Collective centre")
    SCHOOL = "school", _("School")
    HOTEL = "hotel", _("Hotel or sanatorium")
    TENTS = "tents", _("Tented site")
    PREFAB = "prefab", _("Pre-fabricated housing")
    OTHER = "other", _("Other")


class ShelterStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FULL = "full", _("Full")
    CLOSED = "closed", _("Closed")
    PLANNED = "planned", _("Planned")


# Statuses whose places count as existing room ("the existing infrastructure").
ROOM_STATUSES = (ShelterStatus.OPEN, ShelterStatus.FULL)


class Shelter(GeoRecord):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="shelters")
    kind = models.CharField(max_length=30, choices=ShelterKind.choices)
    capacity = models.PositiveIntegerField(help_text="Places (people who can sleep there).")
    status = models.CharField(
        max_length=20, choices=ShelterStatus.choices, default=ShelterStatus.OPEN, db_index=True
    )
    status_since = models.DateField(null=True, blank=True)
    operator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="shelters"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shelter:shelter-detail", kwargs={"public_id": self.public_id})


class OccupancyReport(Record):
    """People sleeping in a shelter on a day; a count above capacity states why."""

    shelter = models.ForeignKey(Shelter, on_delete=models.PROTECT, related_name="occupancy")
    counted_on = models.DateField()
    people = models.PositiveIntegerField()
    overcrowding_reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["shelter", "-counted_on"]
        constraints = [
            models.UniqueConstraint(fields=["shelter", "counted_on"], name="occupancy_one_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.shelter.code} {self.counted_on}: {self.people}"


class Qualifier(models.TextChoices):
    UP_TO = "up_to", _("up to")
    ABOUT = "about", _("about")
    AT_LEAST = "at_least", _("at least")
    EXACTLY = "exactly", _("exactly")


class ArrivalEstimate(Record):
    """A stated estimate of people expected to arrive in an area, as someone said it."""

    code = models.SlugField(max_length=60, unique=True)
    area = models.ForeignKey(
        AdminArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area_label = models.CharField(
        max_length=200, blank=True, help_text="The area as the source names it."
    )
    stated_on = models.DateField(help_text="The day the estimate was stated.")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    people = models.PositiveIntegerField()
    qualifier = models.CharField(max_length=20, choices=Qualifier.choices, default=Qualifier.ABOUT)
    basis = models.TextField(blank=True, help_text="How the estimate was reached.")

    class Meta:
        ordering = ["-stated_on", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def where(self) -> str:
        if self.settlement is not None:
            return self.settlement.display_name
        if self.area is not None:
            return self.area.display_name
        return self.area_label


class RunStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    SUPERSEDED = "superseded", _("Superseded")


class AllocationRun(Record):
    """One run of the allocation: its inputs in brief, its outcome and its solver figures."""

    as_of = models.DateField()
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.CURRENT)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    households = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)
    placed_households = models.PositiveIntegerField(default=0)
    placed_people = models.PositiveIntegerField(default=0)
    unplaced_people = models.PositiveIntegerField(default=0)
    unplaced_vulnerable_people = models.PositiveIntegerField(default=0)
    free_places = models.PositiveIntegerField(default=0)
    shelters = models.PositiveIntegerField(default=0)
    objective = models.FloatField(default=0.0)
    lp_bound = models.FloatField(default=0.0)
    seconds = models.FloatField(default=0.0)
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"allocation {self.as_of} ({self.public_id})"

    def get_absolute_url(self) -> str:
        return reverse("shelter:run-detail", kwargs={"public_id": self.public_id})


class Placement(Record):
    """A household's place from one run (shelter null: left over), with the reason."""

    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="placements")
    household = models.ForeignKey(
        "population.Household", on_delete=models.PROTECT, related_name="placements"
    )
    shelter = models.ForeignKey(
        Shelter, on_delete=models.PROTECT, null=True, blank=True, related_name="placements"
    )
    people = models.PositiveIntegerField()
    vulnerable = models.BooleanField(default=False)
    distance_km = models.FloatField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=20, blank=True)
    reason_code = models.CharField(max_length=40)
    reason = models.CharField(max_length=500)
    status = models.CharField(
        max_length=20, choices=RunStatus.choices, default=RunStatus.CURRENT, db_index=True
    )

    class Meta:
        ordering = ["run", "-vulnerable", "shelter", "household"]
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="placement_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} -> {self.shelter_id}"
