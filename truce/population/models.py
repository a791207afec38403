"""Displacement and returns: baselines, flow counts, escorted returns, households.

Baselines are stored at the granularity their source gives: a briefing's
"about 90,000 displaced to Armenia" is one row with an area or a text as its
origin, never split over settlements the source does not name. Flow counts
are one row per monitoring point, day, direction and escort. Households hold
personal data: their default visibility is the mission and the agencies, and
every read goes through the redaction in truce.population.redaction.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from truce.core.models import AdminArea, Facility, Organisation, Record, Settlement
from truce.population.querysets import HouseholdQuerySet


class Measure(models.TextChoices):
    DISPLACED = "displaced", "Displaced"
    RETURNED = "returned", "Returned"


class Precision(models.TextChoices):
    """How the source states the number (the briefings say "about" and "over")."""

    EXACT = "exact", "Exact"
    ABOUT = "about", "About"
    AT_LEAST = "at_least", "At least (over)"
    UP_TO = "up_to", "Up to"


class DisplacementBaseline(Record):
    """An estimate of people displaced (or returned) as a source states it.

    The origin is a settlement, an admin area, or a text where the source
    names neither ("districts adjacent to the area"); the destination likewise.
    """

    code = models.SlugField(max_length=60, unique=True, help_text="Key of the estimate.")
    measure = models.CharField(max_length=20, choices=Measure.choices, default=Measure.DISPLACED)
    label = models.CharField(
        max_length=200, help_text="Short name of the estimate, as the breakdown shows it."
    )
    origin_settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    origin_area = models.ForeignKey(
        AdminArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    origin_text = models.CharField(max_length=300, blank=True)
    destination_settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destination_area = models.ForeignKey(
        AdminArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destination_text = models.CharField(max_length=300, blank=True)
    people = models.PositiveIntegerField()
    precision = models.CharField(max_length=20, choices=Precision.choices, default=Precision.ABOUT)
    as_of = models.DateField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["as_of", "id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.people} ({self.as_of})"

    @property
    def origin_name(self) -> str:
        place = self.origin_settlement or self.origin_area
        return place.display_name if place else self.origin_text

    @property
    def destination_name(self) -> str:
        place = self.destination_settlement or self.destination_area
        return place.display_name if place else self.destination_text


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class FlowCount(Record):
    """People counted through a monitoring point on one day, one direction, escorted or not.

    A correction is a new version of the same row (record_update), so the
    ledger keeps every count ever given.
    """

    point = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="flow_counts")
    day = models.DateField()
    direction = models.CharField(max_length=10, choices=Direction.choices)
    escorted = models.BooleanField(default=False)
    people = models.PositiveIntegerField()
    vehicles = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["point", "day", "direction", "escorted"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "day", "direction", "escorted"],
                condition=Q(is_deleted=False),
                name="population_flowcount_one_live_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.point} {self.day} {self.direction}: {self.people}"


class ReturnMovement(Record):
    """One escorted movement of returnees (a convoy) on one day."""

    reference = models.SlugField(max_length=60, unique=True, help_text="Movement reference.")
    date = models.DateField(db_index=True)
    from_settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_text = models.CharField(max_length=300, blank=True)
    to_settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="return_movements"
    )
    people = models.PositiveIntegerField()
    vehicles = models.PositiveIntegerField(null=True, blank=True)
    escort = models.CharField(max_length=200, blank=True, help_text="Escorting unit.")
    escort_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checkpoint = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.date}: {self.people} to {self.to_settlement}"

    @property
    def from_name(self) -> str:
        return self.from_settlement.display_name if self.from_settlement else self.from_text


class Intention(models.TextChoices):
    RETURN = "return", _("Return")
    STAY = "stay", _("Stay")
    RELOCATE = "relocate", _("Relocate")
    UNDECIDED = "undecided", _("Undecided")


class Vulnerability(models.TextChoices):
    DISABILITY = "disability", _("Person with a disability")
    CHRONIC_ILLNESS = "chronic_illness", _("Chronic illness")
    OLDER_PERSON = "older_person", _("Older person (60+)")
    PREGNANT_OR_LACTATING = "pregnant_or_lactating", _("Pregnant or lactating woman")
    SINGLE_PARENT = "single_parent", _("Single parent")
    UNACCOMPANIED_CHILD = "unaccompanied_child", _("Unaccompanied or separated child")
    CHILD_HEADED = "child_headed", _("Child-headed household")
    SERIOUS_MEDICAL = "serious_medical", _("Serious medical condition")


class Household(Record):
    """A registered household: size, needs, where from, where now, where to.

    Personal fields (PERSONAL_FIELDS in redaction.py) are blanked on read for
    roles without the right; never shared with a party unless a service is
    told explicitly.
    """

    code = models.SlugField(max_length=40, unique=True, help_text="Registration number.")
    size = models.PositiveSmallIntegerField()
    vulnerabilities = models.JSONField(default=list, blank=True)
    origin_settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="households_from"
    )
    current_settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="households_in"
    )
    current_location_text = models.CharField(max_length=300, blank=True)
    intention = models.CharField(
        max_length=20, choices=Intention.choices, default=Intention.UNDECIDED
    )
    intended_settlement = models.ForeignKey(
        Settlement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households_intending",
    )
    expected_on = models.DateField(null=True, blank=True)
    registered_on = models.DateField()

    # Personal data.
    head_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    document_number = models.CharField(max_length=60, blank=True)
    members = models.JSONField(default=list, blank=True)
    protection_notes = models.TextField(blank=True)

    objects = HouseholdQuerySet.as_manager()

    # Set on every row the household selector yields: the personal fields it blanked.
    redacted_fields: list[str]

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["intention", "expected_on"])]

    def __str__(self) -> str:
        return self.code

    @property
    def is_vulnerable(self) -> bool:
        return bool(self.vulnerabilities)

    @property
    def vulnerability_labels(self) -> list[str]:
        labels = dict(Vulnerability.choices)
        return [str(labels.get(code, code)) for code in self.vulnerabilities]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("population:household-detail", kwargs={"public_id": self.public_id})
