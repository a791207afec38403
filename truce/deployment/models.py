"""Deployment: the airlift's flights and the units deployed, as records with sources.

The airlift's figures (flights made, people and units of equipment carried) are
sums over `AirliftFlight` rows up to a day, never stored totals; a unit's
deployment is a `UnitDeployment` of a core Organisation (a battalion, the border
guard reserve) with its strength over a period, which may be unknown.
"""

from __future__ import annotations

from django.db import models

from truce.core.models import Organisation, Record


class AirliftFlight(Record):
    """One flight of the airlift: when, from where to where, on what, carrying what."""

    flown_on = models.DateField()
    origin = models.CharField(max_length=200)
    destination = models.CharField(max_length=200)
    aircraft_type = models.CharField(max_length=100)
    flight_ref = models.CharField(max_length=60, blank=True, help_text="Flight number or label.")
    personnel = models.PositiveIntegerField(default=0)
    equipment_units = models.PositiveIntegerField(default=0)
    cargo_t = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Empty: not stated."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["flown_on", "flight_ref", "id"]
        indexes = [models.Index(fields=["flown_on"])]

    def __str__(self) -> str:
        return f"{self.flown_on} {self.origin} -> {self.destination} ({self.aircraft_type})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("deployment:flight", kwargs={"public_id": self.public_id})


class UnitDeployment(Record):
    """A unit deployed over a period: its strength (personnel, equipment) where known."""

    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="deployments")
    personnel = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: not stated.")
    equipment_units = models.PositiveIntegerField(null=True, blank=True)
    deployed_from = models.DateField()
    deployed_to = models.DateField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["unit__name", "-deployed_from"]

    def __str__(self) -> str:
        return f"{self.unit} from {self.deployed_from}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("deployment:unit-list")
