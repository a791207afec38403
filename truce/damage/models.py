"""Damage assessment: one record per structure, its photos, and the rollups of both.

A structure is assessed where it stands (a point), graded on the four-step scale the
briefings use and given the quantities of material it needs to be made weather-tight
again. A re-assessment is a new version of the same record (truce.core.records), so
the ledger keeps every earlier grade and quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from truce.core.models import GeoRecord, Record, Settlement


class Grade(models.TextChoices):
    """The damage scale, worst first (the order of every table and legend)."""

    DESTROYED = "destroyed", _("Destroyed")
    SEVERE = "severe", _("Severe")
    MODERATE = "moderate", _("Moderate")
    LIGHT = "light", _("Light")


class Use(models.TextChoices):
    HOUSING = "housing", _("Housing")
    SCHOOL = "school", _("School")
    HEALTH = "health", _("Clinic or health facility")
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    ADMINISTRATIVE = "administrative", _("Administrative")
    RELIGIOUS = "religious", _("Religious")
    COMMERCIAL = "commercial", _("Commercial")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class Need:
    """One item of the needs vocabulary: its key (as on the wire), unit and label."""

    key: str
    unit: str
    label: Any  # a lazily translated string

    @property
    def column(self) -> str:
        return f"need_{self.key}"


# The fixed vocabulary of needs, in SI units (counts are plain numbers of items).
# Adding an item means a column on Structure and DamageCount, and a migration.
NEEDS: tuple[Need, ...] = (
    Need("glazing_m2", "m2", _("Glazing")),
    Need("roofing_m2", "m2", _("Roofing")),
    Need("walls_m2", "m2", _("Walls")),
    Need("insulation_m2", "m2", _("Insulation")),
    Need("timber_m3", "m3", _("Timber")),
    Need("doors_count", "items", _("Doors")),
)
NEED_KEYS: tuple[str, ...] = tuple(n.key for n in NEEDS)
NEED_COLUMNS: tuple[str, ...] = tuple(n.column for n in NEEDS)


def _need_field(need: Need) -> models.FloatField[float, float]:
    return models.FloatField(default=0.0, validators=[MinValueValidator(0.0)], help_text=need.unit)


class Structure(GeoRecord):
    """One assessed structure: where, what for, how badly damaged, what it needs."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="damage_structures"
    )
    reference = models.CharField(
        max_length=100, help_text="The assessor's or cadastral id, unique in its settlement."
    )
    use = models.CharField(max_length=20, choices=Use.choices)
    grade = models.CharField(max_length=10, choices=Grade.choices)
    need_glazing_m2 = _need_field(NEEDS[0])
    need_roofing_m2 = _need_field(NEEDS[1])
    need_walls_m2 = _need_field(NEEDS[2])
    need_insulation_m2 = _need_field(NEEDS[3])
    need_timber_m3 = _need_field(NEEDS[4])
    need_doors_count = _need_field(NEEDS[5])
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessor_organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_on = models.DateField()
    notes = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["settlement_id", "reference"]
        constraints = [
            # A deleted structure gives its reference back, so it can be assessed anew.
            models.UniqueConstraint(
                fields=["settlement", "reference"],
                condition=Q(is_deleted=False),
                name="damage_structure_reference_in_settlement",
            )
        ]
        indexes = [
            models.Index(fields=["settlement", "grade"]),
            models.Index(fields=["grade", "use"]),
            models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_grade_display()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("damage:structure-detail", kwargs={"public_id": self.public_id})

    def needs(self) -> dict[str, float]:
        """The needs as {item key: quantity}, items with none left out."""
        return {n.key: getattr(self, n.column) for n in NEEDS if getattr(self, n.column)}


class StructurePhoto(Record):
    """A photo of a structure; the file is stored under its SHA-256, named in the ledger."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(upload_to="damage/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]


class CountDimension(models.TextChoices):
    GRADE = "grade", _("Grade")
    USE = "use", _("Use")
    # One row per settlement and share flags over all its structures (key ""): what a
    # page of settlements is ordered by, read without summing every grade's row.
    ALL = "all", _("All grades")


class DamageCount(models.Model):
    """Rollup: structures of one settlement with one grade (or one use) and one visibility.

    Rows are keyed by the share flags of the structures they count, so
    truce.core.sharing.visible_counts admits exactly the rows of the structures
    a reader may see, and their sum is the reader's count. Each live
    structure adds to two rows: its grade's and its use's. The needs are
    summed on both. Written by truce.damage.services in the same transaction as
    the structures (services/rollups.py); a row left counting nothing is removed.
    """

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="+")
    dimension = models.CharField(max_length=5, choices=CountDimension.choices)
    key = models.CharField(max_length=20, help_text="The grade or the use.")
    share_side_a = models.BooleanField(default=False)
    share_side_b = models.BooleanField(default=False)
    share_agencies = models.BooleanField(default=False)
    share_public = models.BooleanField(default=False)
    structures = models.PositiveIntegerField(default=0)
    need_glazing_m2 = models.FloatField(default=0.0)
    need_roofing_m2 = models.FloatField(default=0.0)
    need_walls_m2 = models.FloatField(default=0.0)
    need_insulation_m2 = models.FloatField(default=0.0)
    need_timber_m3 = models.FloatField(default=0.0)
    need_doors_count = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "settlement",
                    "dimension",
                    "key",
                    "share_side_a",
                    "share_side_b",
                    "share_agencies",
                    "share_public",
                ],
                name="damage_count_key",
            )
        ]
        indexes = [models.Index(fields=["dimension", "key"])]

    def __str__(self) -> str:
        return f"{self.settlement_id} {self.dimension}={self.key}: {self.structures}"


class _Sums(models.Model):
    structures = models.PositiveIntegerField(default=0)
    need_glazing_m2 = models.FloatField(default=0.0)
    need_roofing_m2 = models.FloatField(default=0.0)
    need_walls_m2 = models.FloatField(default=0.0)
    need_insulation_m2 = models.FloatField(default=0.0)
    need_timber_m3 = models.FloatField(default=0.0)
    need_doors_count = models.FloatField(default=0.0)

    class Meta:
        abstract = True


class DamageAreaCount(_Sums):
    """Rollup per admin area: the DamageCount rows of its settlements, summed at write time.

    area_id is the area each settlement was counted under (SettlementArea), 0 for
    settlements without one; rows are keyed by share flags as DamageCount's.
    The per-area page and the overall totals read these few rows; if a
    settlement has since moved to another area, readers notice (SettlementArea
    no longer matches) and sum the settlement rows instead until the rollups
    are rebuilt (truce.damage.services.rollups_rebuild).
    """

    area_id = models.BigIntegerField(default=0)
    dimension = models.CharField(max_length=5, choices=CountDimension.choices)
    key = models.CharField(max_length=20)
    share_side_a = models.BooleanField(default=False)
    share_side_b = models.BooleanField(default=False)
    share_agencies = models.BooleanField(default=False)
    share_public = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "area_id",
                    "dimension",
                    "key",
                    "share_side_a",
                    "share_side_b",
                    "share_agencies",
                    "share_public",
                ],
                name="damage_area_count_key",
            )
        ]

    def __str__(self) -> str:
        return f"area {self.area_id} {self.dimension}={self.key}: {self.structures}"


class SettlementArea(models.Model):
    """The area a settlement's structures are counted under in DamageAreaCount."""

    settlement = models.OneToOneField(
        Settlement, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    area_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.settlement_id} -> {self.area_id}"
