"""Parties and the organisations that belong to them."""

from __future__ import annotations

from django.db import models

from truce.core.models.record import Record
from truce.core.sharing import Scope


class Party(Record):
    """The mission, side A, side B, the agencies, the public: whose eyes a user has."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    scope = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in Scope], unique=True
    )
    description = models.TextField(blank=True)

    REGISTRY_SLUG = "parties"

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name


class Organisation(Record):
    """ICRC, UNHCR, a battalion, a ministry: each belongs to exactly one party."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=40, blank=True)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="organisations")
    kind = models.CharField(max_length=40, blank=True, help_text="agency, military unit, ministry")

    REGISTRY_SLUG = "organisations"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name
