"""Funding: requirements per sector, flows from donor to recipient, exchange rates.

A requirement says how much a sector needs under a plan or appeal for a period;
its amount may be unknown (a request stated without a figure is still a
requirement, with its source). A flow is money from one organisation to another,
pledged, then committed, then paid; each change of status is a row of its own
(`FlowStatusChange`) besides the flow's new version, so the history says when and
why. An exchange rate is a record with its source and day, so a converted total
can say which rate it used.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from truce.core.models import Organisation, Record


class Sector(models.TextChoices):
    SOCIAL_ASSISTANCE = "social_assistance", _("Social assistance")
    SHELTER = "shelter", _("Shelter and housing")
    FOOD = "food", _("Food security")
    HEALTH = "health", _("Health")
    WASH = "wash", _("Water, sanitation and hygiene")
    PROTECTION = "protection", _("Protection")
    EDUCATION = "education", _("Education")
    MINE_ACTION = "mine_action", _("Mine action")
    LOGISTICS = "logistics", _("Logistics")
    EARLY_RECOVERY = "early_recovery", _("Early recovery")
    MULTI = "multi", _("Multi-sector")
    OTHER = "other", _("Other")


class FlowStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    COMMITTED = "committed", _("Committed")
    PAID = "paid", _("Paid")


# A flow moves forward only (pledged -> committed -> paid) unless a reason is given.
STATUS_RANK = {FlowStatus.PLEDGED: 0, FlowStatus.COMMITTED: 1, FlowStatus.PAID: 2}
# What counts as funded against a requirement: money committed or paid (a pledge is
# a promise, shown beside it but not counted), as financial tracking does.
FUNDED_STATUSES = (FlowStatus.COMMITTED, FlowStatus.PAID)


class Requirement(Record):
    """What a sector needs under a plan or appeal for a period; the amount may be unknown."""

    sector = models.CharField(max_length=30, choices=Sector.choices)
    plan = models.CharField(max_length=300, help_text="The plan, appeal or request.")
    amount = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, help_text="Empty: not stated."
    )
    currency = models.CharField(max_length=3, blank=True)
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True)
    requested_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_requirements",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["sector", "-period_start"]
        indexes = [models.Index(fields=["sector", "period_start"])]

    def __str__(self) -> str:
        amount = f"{self.amount} {self.currency}" if self.amount is not None else "amount unknown"
        return f"{self.plan}: {self.sector} {amount}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("funding:overview")


class Flow(Record):
    """Money from a donor to a recipient for a sector, with its current status."""

    donor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="flows_given")
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="flows_received"
    )
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=FlowStatus.choices)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    flow_date = models.DateField(help_text="The day of the flow's first status.")
    pledged_on = models.DateField(null=True, blank=True)
    committed_on = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, null=True, blank=True, related_name="flows"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-flow_date", "-id"]
        indexes = [models.Index(fields=["sector", "status"]), models.Index(fields=["flow_date"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_flow_positive")
        ]

    def __str__(self) -> str:
        return f"{self.donor} -> {self.recipient}: {self.amount} {self.currency} ({self.status})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("funding:flow", kwargs={"public_id": self.public_id})


class FlowStatusChange(Record):
    """One step of a flow's status history: the status, its day, and why if it went back."""

    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(max_length=10, choices=FlowStatus.choices)
    on = models.DateField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["flow_id", "on", "id"]

    def __str__(self) -> str:
        return f"{self.flow_id}: {self.status} on {self.on}"


class ExchangeRate(Record):
    """How many units of the reporting currency one unit of `currency` was worth on a day."""

    currency = models.CharField(max_length=3)
    reporting_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    as_of = models.DateField()

    class Meta:
        ordering = ["currency", "reporting_currency", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "reporting_currency", "as_of"], name="funding_one_rate_a_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="funding_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.reporting_currency} on {self.as_of}"
