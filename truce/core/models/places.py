"""Places: administrative areas, settlements, zones of responsibility, facilities."""

from __future__ import annotations

from django.db import models

from truce.core.models.record import Record


class GeoRecord(Record):
    """A record with a GeoJSON geometry (EPSG:4326) and its bounding box."""

    geometry = models.JSONField(null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    location_approximate = models.BooleanField(
        default=False, help_text="Position is an estimate (for example, a village centroid)."
    )

    LEDGER_EXCLUDE = Record.LEDGER_EXCLUDE | {"min_lon", "min_lat", "max_lon", "max_lat"}

    class Meta:
        abstract = True

    @property
    def lon(self) -> float | None:
        return self.min_lon if self.geometry and self.geometry.get("type") == "Point" else None

    @property
    def lat(self) -> float | None:
        return self.min_lat if self.geometry and self.geometry.get("type") == "Point" else None


class MultilingualName(models.Model):
    """Names in the four working languages; contested names are all kept, with a source."""

    display_name = models.CharField(max_length=200, help_text="The mission's display name.")
    name_en = models.CharField(max_length=200, blank=True)
    name_ru = models.CharField(max_length=200, blank=True)
    name_hy = models.CharField(max_length=200, blank=True)
    name_az = models.CharField(max_length=200, blank=True)
    name_source = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True

    def name_in(self, language: str) -> str:
        return str(getattr(self, f"name_{language}", "") or self.display_name)

    def other_names(self) -> list[str]:
        names = [self.name_en, self.name_ru, self.name_hy, self.name_az]
        seen = {self.display_name}
        result = []
        for name in names:
            if name and name not in seen:
                seen.add(name)
                result.append(name)
        return result


class AdminArea(GeoRecord, MultilingualName):
    pcode = models.CharField(max_length=20, unique=True)
    level = models.PositiveSmallIntegerField(help_text="1 = region/province, 2 = district, ...")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    REGISTRY_SLUG = "admin-areas"

    class Meta:
        ordering = ["level", "pcode"]
        indexes = [models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.pcode})"


class Settlement(GeoRecord, MultilingualName):
    pcode = models.CharField(max_length=20, unique=True)
    admin_area = models.ForeignKey(
        AdminArea, on_delete=models.PROTECT, null=True, blank=True, related_name="settlements"
    )
    kind = models.CharField(max_length=20, default="town", help_text="city, town, village")
    baseline_population = models.PositiveIntegerField(null=True, blank=True)
    population_source = models.CharField(max_length=300, blank=True)
    population_date = models.DateField(null=True, blank=True)

    REGISTRY_SLUG = "settlements"

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"])]

    def __str__(self) -> str:
        return self.display_name


class ZoneKind(models.TextChoices):
    RESPONSIBILITY = "responsibility", "Zone of responsibility"
    CORRIDOR = "corridor", "Corridor"


class Zone(GeoRecord):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ZoneKind.choices)
    battalion = models.CharField(max_length=100, blank=True)

    REGISTRY_SLUG = "zones"

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class FacilityKind(models.TextChoices):
    COMMAND_POST = "command_post", "Command post"
    OBSERVATION_POST = "observation_post", "Observation post"
    CHECKPOINT = "checkpoint", "Checkpoint"
    WAREHOUSE = "warehouse", "Warehouse"
    SHELTER = "shelter", "Shelter"
    HERITAGE_SITE = "heritage_site", "Heritage site"


class OpRole(models.TextChoices):
    """What an observation post is for; the briefings count the two apart."""

    CONTACT_LINE = "contact_line", "On the contact line"
    CORRIDOR_TRAFFIC = "corridor_traffic", "Safe traffic in the corridor"


class Facility(GeoRecord):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=FacilityKind.choices, db_index=True)
    op_role = models.CharField(max_length=30, choices=OpRole.choices, blank=True)
    battalion = models.CharField(max_length=100, blank=True)
    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, null=True, blank=True, related_name="facilities"
    )
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="facilities"
    )
    operator = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilities",
    )
    notes = models.TextField(blank=True)

    REGISTRY_SLUG = "facilities"

    class Meta:
        ordering = ["kind", "code"]
        verbose_name_plural = "facilities"
        indexes = [models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"])]

    def __str__(self) -> str:
        return self.name
