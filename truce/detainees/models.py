"""Exchanges of detainees and remains: each side's lists, their cases, exchanges, transfers.

A side hands a list to the intermediary (the ICRC): persons or remains it holds,
or persons it seeks. Each entry is a case; the intermediary verifies it; cases
agreed between the sides go into an exchange at a crossing point, one transfer
per case. The intermediary records each handover and both sides confirm it
separately: the releasing side and the receiving side. A transfer is complete
only once both have confirmed.

These are the most sensitive records of the system. Who may read them, and
which personal fields, is decided in one place: truce.detainees.selectors.
The share flags are kept by the services (never given by a caller) and are
only the first of its checks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from truce.core.models import Organisation, Party, Record


class ListKind(models.TextChoices):
    HELD = "held", "Held by the side"
    SOUGHT = "sought", "Sought by the side"


class CaseKind(models.TextChoices):
    PERSON = "person", "Person"
    REMAINS = "remains", "Remains"


class Category(models.TextChoices):
    MILITARY = "military", "Military"
    CIVILIAN = "civilian", "Civilian"
    UNKNOWN = "unknown", "Unknown"


class CaseStatus(models.TextChoices):
    LISTED = "listed", "Listed"
    VERIFIED = "verified", "Verified by the intermediary"
    AGREED = "agreed", "Agreed for transfer"
    TRANSFERRED = "transferred", "Transferred"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ExchangeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class TransferStatus(models.TextChoices):
    PENDING = "pending", "Awaiting handover"
    HANDED_OVER = "handed_over", "Handed over, awaiting confirmations"
    COMPLETED = "completed", "Confirmed by both sides"
    CANCELLED = "cancelled", "Cancelled"


class SideList(Record):
    """One list a side handed to the intermediary: whom (or whose remains) it holds or seeks."""

    reference = models.CharField(max_length=40, unique=True)
    side = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ListKind.choices)
    intermediary = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    submitted_on = models.DateField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("detainees:list-detail", kwargs={"public_id": self.public_id})


class Case(Record):
    """One person, or one set of remains, on a side's list.

    The personal fields (PERSONAL_FIELDS) are what identifies them; they are
    redacted field by field for readers without the right. The reference is
    what every other screen names a case by, so it must never carry a name.
    """

    reference = models.CharField(max_length=40, unique=True)
    side_list = models.ForeignKey(SideList, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(max_length=10, choices=CaseKind.choices)
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.UNKNOWN)
    full_name = models.CharField(max_length=200, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    unit = models.CharField(
        max_length=200, blank=True, help_text="Military unit, or civilian occupation or home."
    )
    event_place = models.CharField(
        max_length=200, blank=True, help_text="Where the person was captured or died."
    )
    event_date = models.DateField(
        null=True, blank=True, help_text="When the person was captured or died."
    )
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=CaseStatus.choices, default=CaseStatus.LISTED, db_index=True
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("detainees:case-detail", kwargs={"public_id": self.public_id})


# The fields that identify a person; everything else on a case is bookkeeping.
IDENTITY_FIELDS = ("full_name", "birth_year")
CIRCUMSTANCE_FIELDS = ("unit", "event_place", "event_date")
PERSONAL_FIELDS = (*IDENTITY_FIELDS, *CIRCUMSTANCE_FIELDS, "notes")


class Exchange(Record):
    """A handover of cases between the sides at one crossing point, through the intermediary."""

    reference = models.CharField(max_length=40, unique=True)
    planned_on = models.DateField()
    crossing_point = models.CharField(max_length=200)
    intermediary = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=ExchangeStatus.choices, default=ExchangeStatus.PLANNED
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-planned_on", "reference"]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("detainees:exchange-detail", kwargs={"public_id": self.public_id})


class Transfer(Record):
    """One case handed from one side to the other within an exchange.

    The intermediary records the handover; then the releasing side and the
    receiving side each confirm it, each confirmation a new version.
    """

    exchange = models.ForeignKey(Exchange, on_delete=models.PROTECT, related_name="transfers")
    number = models.PositiveSmallIntegerField()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transfers")
    from_side = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    to_side = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_confirmed_at = models.DateTimeField(null=True, blank=True)
    released_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_confirmed_at = models.DateTimeField(null=True, blank=True)
    received_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["exchange_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["exchange", "case"], name="detainees_transfer_once"),
            models.UniqueConstraint(fields=["exchange", "number"], name="detainees_transfer_no"),
        ]

    def __str__(self) -> str:
        return f"{self.exchange.reference}/{self.number}"

    def get_absolute_url(self) -> str:
        return f"{self.exchange.get_absolute_url()}#transfer-{self.public_id}"
