"""The shared record every domain model inherits (ARCHITECTURE.md, mechanism 1)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from truce.core.sharing import visibility_of


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    UNKNOWN = "unknown", "Unknown"


class Record(models.Model):
    """Stable public id, version, visibility scope, who/when, source and confidence.

    Rows hold the current version; every version ever written is in the
    ledger, so nothing is overwritten. Deletion sets a tombstone.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    share_side_a = models.BooleanField(default=False, db_index=True)
    share_side_b = models.BooleanField(default=False, db_index=True)
    share_agencies = models.BooleanField(default=False, db_index=True)
    share_public = models.BooleanField(default=False, db_index=True)

    created_at = models.DateTimeField(editable=False)
    updated_at = models.DateTimeField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    source = models.CharField(max_length=500, blank=True)
    confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)

    is_deleted = models.BooleanField(default=False, db_index=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Fields left out of the ledger payload (bookkeeping the entry already holds).
    LEDGER_EXCLUDE: ClassVar[frozenset[str]] = frozenset(
        {"id", "share_side_a", "share_side_b", "share_agencies", "share_public"}
    )

    class Meta:
        abstract = True

    # Registries set the slug of their web pages (/registry/<slug>/<id>/).
    REGISTRY_SLUG: ClassVar[str | None] = None

    def get_absolute_url(self) -> str | None:
        """The record's web page; domain apps with their own pages override this."""
        if self.REGISTRY_SLUG is None:
            return None
        from django.urls import reverse

        return reverse(
            "registry-detail", kwargs={"kind": self.REGISTRY_SLUG, "public_id": self.public_id}
        )

    @classmethod
    def ledger_type(cls) -> str:
        return f"{cls._meta.app_label}.{cls._meta.model_name}"

    @property
    def visibility(self) -> list[str]:
        return visibility_of(self)

    def ledger_payload(self) -> dict[str, Any]:
        """This version as plain JSON values: foreign keys by public id where they have one."""
        payload: dict[str, Any] = {}
        for field in self._meta.concrete_fields:
            if field.name in self.LEDGER_EXCLUDE:
                continue
            if isinstance(field, models.ForeignKey):
                payload[field.name] = _reference(self, field)
                continue
            value = getattr(self, field.attname)
            if isinstance(value, dt.datetime | dt.date | uuid.UUID):
                value = value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
            payload[field.name] = value
        payload["visibility"] = self.visibility
        return payload


def _reference(record: models.Model, field: models.ForeignKey[Any, Any]) -> Any:
    raw_id = getattr(record, field.attname)
    if raw_id is None:
        return None
    target = getattr(record, field.name)
    if isinstance(target, Record):
        return str(target.public_id)
    if hasattr(target, "username"):
        return target.username
    return raw_id
