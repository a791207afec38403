"""Aid logistics: the item catalogue, warehouses, stock, requests, pledges, consignments.

Stock is kept as one current level per warehouse and item (`StockLevel`), changed
only in the transaction that records the `StockMovement` explaining the change, with
the level's row locked and a CHECK constraint that it is never below zero: two
dispatches at once queue on the row and the second one sees what the first left.
Each movement also stores the balance it left (`balance_after`), so a stock card is
a page of movements, and adds itself to a daily rollup per warehouse, item and
reason (`StockDaily`), so a running total over any period reads a few rows however
many movements there are.

Warehouses are the core's facilities of kind warehouse; a `Warehouse` record beside
each says its capacity and operator. Stock, movements and rollups are seen by whoever
sees the warehouse facility: movements copy its visibility when they are written.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from truce.core.models import Facility, Organisation, Record, Settlement


class ItemCategory(models.TextChoices):
    CONSTRUCTION = "construction_materials", _("Construction materials")
    FOOD = "food", _("Food")
    MEDICINES = "medicines", _("Medicines")
    MEDICAL_SUPPLIES = "medical_supplies", _("Medical supplies")
    FUEL = "fuel", _("Fuel")
    SHELTER_KITS = "shelter_kits", _("Shelter kits")
    WASH = "water_sanitation", _("Water and sanitation")
    WINTER = "winter_items", _("Winter items")
    OTHER = "other", _("Other")


class Unit(models.TextChoices):
    KG = "kg", _("kg")
    TONNE = "t", _("t")
    PIECES = "pieces", _("pieces")
    LITRES = "litres", _("litres")
    M2 = "m2", _("m²")
    M3 = "m3", _("m³")
    SETS = "sets", _("sets")
    PACKS = "packs", _("packs")
    BOXES = "boxes", _("boxes")
    PALLETS = "pallets", _("pallets")


class Item(Record):
    """A kind of goods in the catalogue, counted in one unit of a known weight."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=ItemCategory.choices, db_index=True)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    unit_weight_kg = models.DecimalField(
        max_digits=14, decimal_places=4, help_text="Weight of one unit in kg."
    )
    unit_volume_m3 = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_weight_kg__gte=0), name="logistics_item_weight_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    def weight_kg(self, quantity: Decimal) -> Decimal:
        """The weight of `quantity` units, to the gram."""
        return (quantity * self.unit_weight_kg).quantize(Decimal("0.001"))

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("logistics:item", kwargs={"code": self.code})


class Warehouse(Record):
    """What the core's warehouse facility holds: capacity and who runs it."""

    facility = models.OneToOneField(Facility, on_delete=models.PROTECT, related_name="warehouse")
    capacity_t = models.DecimalField(max_digits=16, decimal_places=3, null=True, blank=True)
    capacity_m3 = models.DecimalField(max_digits=16, decimal_places=3, null=True, blank=True)
    operator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["facility__code"]

    def __str__(self) -> str:
        return str(self.facility)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("logistics:warehouse", kwargs={"code": self.facility.code})


class StockLevel(models.Model):
    """The current quantity of an item in a warehouse: never below zero.

    Not a Record: it is derived, kept in the same transaction as the movement
    that changes it (the movement is the ledgered fact).
    """

    warehouse = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="stock_levels")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock_levels")
    quantity = models.DecimalField(max_digits=16, decimal_places=3, default=Decimal(0))
    movements = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "item"], name="logistics_one_level"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="logistics_stock_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_id}/{self.item_id}: {self.quantity}"


class Reason(models.TextChoices):
    RECEIVED = "received", _("Received")
    DISPATCHED = "dispatched", _("Dispatched")
    LOST = "lost", _("Lost")
    DAMAGED = "damaged", _("Damaged")
    EXPIRED = "expired", _("Expired")
    COUNTED = "counted", _("Counted")
    TRANSFERRED = "transferred", _("Transferred")


# Reasons that take stock out; a count and a transfer may go either way.
OUTGOING = frozenset({Reason.DISPATCHED, Reason.LOST, Reason.DAMAGED, Reason.EXPIRED})
ADJUSTMENTS = frozenset({Reason.LOST, Reason.DAMAGED, Reason.EXPIRED, Reason.COUNTED})


class ConsignmentStatus(models.TextChoices):
    IN_PROCESS = "in_process", _("In process")
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNING = "returning", _("Returning")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PLEDGED = "pledged", _("Pledged")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Request(Record):
    """Someone asks for goods: what, how much, for where, by when."""

    requested_by = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requester = models.CharField(max_length=200, blank=True, help_text="If not an organisation.")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="requests")
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    needed_by = models.DateField(null=True, blank=True)
    requested_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_on", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item}"


class Pledge(Record):
    """Someone promises goods: who, what, how much, by when."""

    donor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="pledges")
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    request = models.ForeignKey(
        Request, on_delete=models.PROTECT, null=True, blank=True, related_name="pledges"
    )
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    due_by = models.DateField(null=True, blank=True)
    pledged_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=PledgeStatus.choices, default=PledgeStatus.PLEDGED
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-pledged_on", "id"]

    def __str__(self) -> str:
        return f"{self.donor}: {self.quantity} {self.item}"


class Consignment(Record):
    """Goods sent together from a warehouse, owned by one organisation."""

    reference = models.SlugField(max_length=60, unique=True)
    origin = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="consignments")
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    pledge = models.ForeignKey(
        Pledge, on_delete=models.PROTECT, null=True, blank=True, related_name="consignments"
    )
    status = models.CharField(
        max_length=12, choices=ConsignmentStatus.choices, default=ConsignmentStatus.IN_PROCESS
    )
    prepared_on = models.DateField()
    description = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-prepared_on", "reference"]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("logistics:consignment", kwargs={"reference": self.reference})

    @property
    def weight_kg(self) -> Decimal:
        return sum((line.weight_kg for line in self.lines.filter(is_deleted=False)), Decimal(0))


class ConsignmentLine(Record):
    """One item of a consignment: quantity, its weight (from the item) and value."""

    consignment = models.ForeignKey(Consignment, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    weight_kg = models.DecimalField(max_digits=16, decimal_places=3)
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["consignment_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="logistics_line_quantity_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consignment_id}: {self.quantity} {self.item_id}"


class StockMovement(Record):
    """One change of a stock level, with its reason; quantity signed (+ in, - out)."""

    warehouse = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="movements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    quantity = models.DecimalField(max_digits=16, decimal_places=3)
    balance_after = models.DecimalField(max_digits=16, decimal_places=3)
    occurred_at = models.DateTimeField()
    consignment = models.ForeignKey(
        Consignment, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["warehouse", "item", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="logistics_balance_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.quantity} {self.item_id} at {self.warehouse_id}"


class StockDaily(models.Model):
    """Rollup: movements of one item at one warehouse on one day for one reason.

    Kept in the movement's transaction; a running total over a period sums these.
    """

    warehouse = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    quantity = models.DecimalField(max_digits=16, decimal_places=3, default=Decimal(0))
    movements = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "item", "day", "reason"], name="logistics_one_daily_row"
            )
        ]
        indexes = [models.Index(fields=["item", "reason", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.reason} {self.quantity}"


class StockItemDaily(models.Model):
    """Rollup: one item's movements on one day for one reason, over every warehouse whose
    visibility is the row's share flags (as the damage counts key theirs).

    An item's running total over a period, for any reader, sums the rows whose flags
    admit the reader: a few per day, however many warehouses and movements there are.
    A warehouse's visibility is read when each movement is written.
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    share_side_a = models.BooleanField(default=False)
    share_side_b = models.BooleanField(default=False)
    share_agencies = models.BooleanField(default=False)
    share_public = models.BooleanField(default=False)
    quantity = models.DecimalField(max_digits=16, decimal_places=3, default=Decimal(0))
    movements = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "item",
                    "day",
                    "reason",
                    "share_side_a",
                    "share_side_b",
                    "share_agencies",
                    "share_public",
                ],
                name="logistics_one_item_daily_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.day} {self.reason} {self.quantity}"


class StockTotal(models.Model):
    """Rollup: all movements of one item at one warehouse for one reason, ever.

    A running total since the start reads these (a few rows per item), not the days.
    """

    warehouse = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    quantity = models.DecimalField(max_digits=16, decimal_places=3, default=Decimal(0))
    movements = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "item", "reason"], name="logistics_one_total_row"
            )
        ]
        indexes = [models.Index(fields=["item", "reason"])]

    def __str__(self) -> str:
        return f"{self.reason} {self.quantity}"


class StatedTotal(Record):
    """A figure a source states that the records do not (yet) reproduce.

    Shown beside the computed totals, never added to them: the system keeps what
    a source says with the source and does not correct it silently.
    """

    code = models.SlugField(max_length=80, unique=True)
    what = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=20, decimal_places=3)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    qualifier = models.CharField(
        max_length=20, blank=True, help_text='As the source words it: "over", "about", "up to".'
    )
    category = models.CharField(max_length=30, choices=ItemCategory.choices, blank=True)
    as_of = models.DateField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-as_of", "code"]

    def __str__(self) -> str:
        return f"{self.qualifier} {self.quantity} {self.unit} {self.what}".strip()
