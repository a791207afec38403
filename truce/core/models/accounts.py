"""User accounts: one party each, and roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from truce.core.models.parties import Organisation, Party


class RoleCode(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    DUTY_OFFICER = "duty_officer", "Duty officer"
    OP_OPERATOR = "op_operator", "OP operator"
    ANALYST = "analyst", "Analyst"
    LIAISON_OFFICER = "liaison_officer", "Liaison officer"
    AGENCY_STAFF = "agency_staff", "Agency staff"
    VIEWER = "viewer", "Viewer"


class Role(models.Model):
    """A fixed vocabulary (seeded by migration), kept as rows so users can hold several."""

    code = models.CharField(max_length=40, primary_key=True, choices=RoleCode.choices)

    def __str__(self) -> str:
        return RoleCode(self.code).label


class User(AbstractUser):
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="users")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="users")

    REQUIRED_FIELDS = ["email", "party"]

    def role_codes(self) -> set[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = set(self.roles.values_list("code", flat=True))
            self._role_codes = cached
        return cached

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes() & set(codes))

    @property
    def is_mission(self) -> bool:
        return self.party.scope == "mission"
