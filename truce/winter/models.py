"""Winter readiness: the state of power, gas, heat and water per settlement, and needs.

A status is reported as it begins ("heat out since 12 Nov"), so each report is a
row of its own and the state on any day is the latest report begun on or before
it: the matrix for 20 Nov and the matrix for today come from the same rows, and
"since when" is the report's own date. A report found wrong is corrected as a
new version of that row (the ledger keeps every version), never overwritten.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from truce.core.models import Record, Settlement


class Utility(models.TextChoices):
    POWER = "power", _("Power")
    GAS = "gas", _("Gas")
    HEAT = "heat", _("Heat")
    WATER = "water", _("Water")


class ServiceState(models.TextChoices):
    WORKING = "working", _("Working")
    PARTIAL = "partial", _("Partial")
    OUT = "out", _("Out")


# Worst first: a settlement's overall state is its worst utility's.
STATE_SEVERITY = {ServiceState.OUT: 2, ServiceState.PARTIAL: 1, ServiceState.WORKING: 0}


class UtilityReport(Record):
    """One utility's state in one settlement from a day on, with the works planned."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="utility_reports"
    )
    utility = models.CharField(max_length=10, choices=Utility.choices)
    state = models.CharField(max_length=10, choices=ServiceState.choices)
    since = models.DateField(help_text="The day the state began.")
    works_planned = models.TextField(blank=True, help_text="Repairs or supply works planned.")
    works_due = models.DateField(null=True, blank=True, help_text="When the works should end.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["settlement__display_name", "utility", "-since"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "utility", "since"], name="winter_one_report_per_day"
            )
        ]
        indexes = [models.Index(fields=["utility", "since"])]

    def __str__(self) -> str:
        return f"{self.settlement}: {self.utility} {self.state} since {self.since}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("winter:settlement", kwargs={"pcode": self.settlement.pcode})


class NeedCategory(models.TextChoices):
    MEDICINES = "medicines", _("Medicines")
    MEDICAL_SUPPLIES = "medical_supplies", _("Medical supplies")
    MEDICAL_EQUIPMENT = "medical_equipment", _("Medical equipment")
    FUEL = "fuel", _("Fuel")
    HEATING = "heating", _("Heating equipment")
    WINTER_CLOTHING = "winter_clothing", _("Winter clothing and blankets")
    FOOD = "food", _("Food")
    WATER = "water", _("Water and sanitation")
    REPAIR_MATERIALS = "repair_materials", _("Repair materials")
    OTHER = "other", _("Other")


class NeedUnit(models.TextChoices):
    """Units a need is counted in; mass and volume in SI (kg, litres as dm3)."""

    PIECES = "pieces", _("pieces")
    PACKS = "packs", _("packs")
    DOSES = "doses", _("doses")
    KG = "kg", _("kg")
    LITRES = "litres", _("litres")
    M2 = "m2", _("m²")
    SETS = "sets", _("sets")


class NeedPriority(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PLEDGED = "pledged", _("Pledged")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class SupplyNeed(Record):
    """Something a settlement needs for the winter: what, how much, how urgently."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="needs")
    category = models.CharField(max_length=30, choices=NeedCategory.choices)
    item = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=14, decimal_places=2)
    unit = models.CharField(max_length=10, choices=NeedUnit.choices)
    priority = models.CharField(
        max_length=10, choices=NeedPriority.choices, default=NeedPriority.NORMAL
    )
    status = models.CharField(max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    needed_by = models.DateField(null=True, blank=True)
    stated_on = models.DateField(help_text="When the need was stated.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["settlement__display_name", "category", "item"]
        indexes = [models.Index(fields=["category", "status"])]

    def __str__(self) -> str:
        return f"{self.settlement}: {self.quantity} {self.unit} {self.item}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("winter:settlement", kwargs={"pcode": self.settlement.pcode})
