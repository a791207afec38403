"""Convoys: lorries leaving a warehouse with loads, their route, status and arrival; deliveries.

A convoy's status is kept as a history of events (each a record, so each time is
versioned and ledgered); the convoy row carries the latest status and the
departure and arrival times for cheap lists. Leaving dispatches the loads from the
origin's stock (truce.logistics) in the same transaction; arriving reconciles each
load (received + losses = what left). Deliveries say what reached whom, and the
DeliveryTotal rollup rows are kept in the same write transaction so the running
totals never scan the deliveries.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from truce.core.models import Facility, Organisation, Record, Settlement


class ConvoyStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    IN_TRANSIT = "in_transit", _("In transit")
    UNLOADING = "unloading", _("Unloading")
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNING = "returning", _("Returning")


# Which status may follow which; anything else is refused with the field named.
TRANSITIONS: dict[str, frozenset[str]] = {
    ConvoyStatus.PREPARING: frozenset({ConvoyStatus.IN_TRANSIT, ConvoyStatus.CANCELLED}),
    ConvoyStatus.IN_TRANSIT: frozenset(
        {ConvoyStatus.UNLOADING, ConvoyStatus.ARRIVED, ConvoyStatus.RETURNING}
    ),
    ConvoyStatus.UNLOADING: frozenset({ConvoyStatus.ARRIVED}),
    ConvoyStatus.ARRIVED: frozenset({ConvoyStatus.RETURNING}),
    ConvoyStatus.RETURNING: frozenset(),
    ConvoyStatus.CANCELLED: frozenset(),
}


class LossReason(models.TextChoices):
    LOST = "lost", _("Lost")
    DAMAGED = "damaged", _("Damaged")
    STOLEN = "stolen", _("Stolen")
    SPOILED = "spoiled", _("Spoiled")
    RETURNED = "returned", _("Returned")
    OTHER = "other", _("Other")


class Convoy(Record):
    """A convoy: who runs it, from which warehouse, to where, with its planned route."""

    reference = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="convoys")
    origin = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="convoys_from")
    # [{"kind": "settlement"|"facility", "code": "AZ-XA-001", "name": "Stepanakert"}, ...]
    destinations = models.JSONField(default=list, blank=True)
    # Checkpoint facility codes the convoy crosses, in order.
    crossing_points = models.JSONField(default=list, blank=True)
    planned_departure = models.DateTimeField()
    escort_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="convoys_escorted",
    )
    escort_description = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=12, choices=ConvoyStatus.choices, default=ConvoyStatus.PREPARING
    )
    departed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    # The route as planned by truce.routing: summary, line, blockers and what it was planned on.
    route_found = models.BooleanField(null=True, blank=True)
    route_length_m = models.FloatField(null=True, blank=True)
    route_duration_s = models.FloatField(null=True, blank=True)
    route_geometry = models.JSONField(null=True, blank=True)
    route_blockers = models.JSONField(default=list, blank=True)
    route_planned_on = models.JSONField(default=dict, blank=True)
    route_planned_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-planned_departure", "reference"]
        indexes = [models.Index(fields=["status", "planned_departure"])]

    def __str__(self) -> str:
        return f"{self.reference}: {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("convoys:detail", kwargs={"reference": self.reference})


class Lorry(Record):
    """One lorry of a convoy; the driver's name and phone are personal data (selectors redact)."""

    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="lorries")
    plate = models.CharField(max_length=30)
    driver_name = models.CharField(max_length=200, blank=True)
    driver_phone = models.CharField(max_length=40, blank=True)
    capacity_t = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    load_t = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["convoy_id", "plate"]
        constraints = [
            models.UniqueConstraint(fields=["convoy", "plate"], name="convoys_one_plate_per_convoy")
        ]

    def __str__(self) -> str:
        return self.plate


class ConvoyLoad(Record):
    """What a convoy carries: an item and quantity, from a consignment or not."""

    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="loads")
    item = models.ForeignKey("logistics.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    weight_t = models.DecimalField(max_digits=12, decimal_places=3, default=0)
    consignment = models.ForeignKey(
        "logistics.Consignment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Set by the arrival: what came and what did not (the difference has reasons).
    received_quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    received_into = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["convoy_id", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item_id}"


class ConvoyEvent(Record):
    """One change of a convoy's status, at a time: the status timeline."""

    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=12, choices=ConvoyStatus.choices)
    occurred_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["convoy_id", "occurred_at", "id"]


class LoadLoss(Record):
    """Part of a load that did not arrive, and why (lost, damaged, stolen...)."""

    load = models.ForeignKey(ConvoyLoad, on_delete=models.PROTECT, related_name="losses")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    reason = models.CharField(max_length=12, choices=LossReason.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["load_id", "id"]


class ConvoyPosition(Record):
    """A reported position of a convoy (for the map of convoys in transit)."""

    convoy = models.ForeignKey(Convoy, on_delete=models.PROTECT, related_name="positions")
    lon = models.FloatField()
    lat = models.FloatField()
    reported_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["convoy_id", "-reported_at"]


class Delivery(Record):
    """What reached a settlement, a shelter or an organisation, for how many people."""

    item = models.ForeignKey("logistics.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    weight_t = models.DecimalField(max_digits=12, decimal_places=3, default=0)
    delivered_on = models.DateField()
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    shelter = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    people = models.PositiveIntegerField(null=True, blank=True)
    convoy = models.ForeignKey(
        Convoy, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    load = models.ForeignKey(
        ConvoyLoad, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    consignment = models.ForeignKey(
        "logistics.Consignment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-delivered_on", "id"]
        indexes = [models.Index(fields=["delivered_on"])]
        verbose_name_plural = "deliveries"


class TotalDimension(models.TextChoices):
    ITEM = "item", _("Item")
    SETTLEMENT = "settlement", _("Settlement")
    SOURCE = "source", _("Source")


class DeliveryTotal(models.Model):
    """Rollup: delivered quantity and tonnes of one item, per dimension key and visibility.

    Kept in the write transaction of each delivery (services.deliveries), keyed by
    the share flags of what it sums, so truce.core.sharing.visible_counts gives each
    reader the totals of exactly the deliveries they may see.
    """

    dimension = models.CharField(max_length=12, choices=TotalDimension.choices)
    key = models.CharField(max_length=500, help_text="Settlement P-code, or the source.")
    item = models.ForeignKey("logistics.Item", on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    weight_t = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    people = models.PositiveIntegerField(default=0)
    deliveries = models.PositiveIntegerField(default=0)
    share_side_a = models.BooleanField(default=False)
    share_side_b = models.BooleanField(default=False)
    share_agencies = models.BooleanField(default=False)
    share_public = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "dimension",
                    "key",
                    "item",
                    "share_side_a",
                    "share_side_b",
                    "share_agencies",
                    "share_public",
                ],
                name="convoys_one_total_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.key} {self.item_id}: {self.quantity}"
