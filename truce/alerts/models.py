"""Prompt response: alert rules and the alerts they raise.

Both are mission-only records (every share flag stays off): the parties and
the agencies learn of an alert only through what the mission later shares,
never through the queue. Rows change only through truce.alerts.services,
so every raise, escalation, acknowledgement and resolution is a ledger entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from truce.core.models import Facility, Record, RoleCode, Zone
from truce.monitoring.models import Incident, Observation, Severity


class RuleKind(models.TextChoices):
    VERIFIED_VIOLATION = "verified_violation", "Verified violation"
    THRESHOLD = "threshold", "Observations over a threshold"
    CASUALTY = "casualty", "Casualties"
    OP_SILENT = "op_silent", "Observation post silent"
    PROXIMITY = "proximity", "Near a settlement or the corridor"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    AUTO_RESOLVED = "auto_resolved", "Resolved automatically"


# Statuses that still need someone; the queue shows these first.
ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
CLOSED_STATUSES = (AlertStatus.RESOLVED, AlertStatus.AUTO_RESOLVED)


class AlertRule(Record):
    """A condition the duty officers want to hear about, and who answers it.

    `params` holds the kind's own parameters (validated by truce.alerts.rules);
    `escalation` is the chain of roles with the minutes each has to
    acknowledge, e.g. [["duty_officer", 10], ["administrator", 20]].
    """

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=RuleKind.choices)
    params = models.JSONField(default=dict, blank=True)
    zone = models.ForeignKey(
        Zone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only in this zone (any zone if unset).",
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    escalation = models.JSONField(
        default=list,
        help_text='Roles and minutes, e.g. [["duty_officer", 10], ["administrator", 20]].',
    )
    recipients = models.JSONField(
        default=list, blank=True, help_text="E-mail addresses told of each alert (optional)."
    )
    active = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["active", "kind"])]

    def __str__(self) -> str:
        return self.name


class Alert(Record):
    """One raised condition, from raise to resolution.

    `dedup_key` names the condition (rule + incident, rule + zone + window
    bucket, rule + post + silence period), so the same condition never raises
    twice, even from two concurrent transactions. `escalation` is a copy of
    the rule's chain when raised: changing a rule does not change who an
    alert already in flight is waiting for. `title` and `message` are in
    LANGUAGE_CODE; `message_key` and `message_params` render them in a
    reader's language (truce.alerts.messages).
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=30, choices=RuleKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=300)
    message = models.TextField(help_text="Plain text for the duty officer: what, where, when.")
    # title and message are the text in LANGUAGE_CODE, as chained in the ledger.
    # The key and params say it again in a reader's language (truce.alerts.messages);
    # rows raised before they existed have a blank key and show the stored text.
    message_key = models.CharField(max_length=60, blank=True, default="")
    message_params = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)

    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    observation = models.ForeignKey(
        Observation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)

    condition_at = models.DateTimeField(help_text="When the condition became true.")
    raised_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)

    escalation = models.JSONField(default=list)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    current_role = models.CharField(max_length=40, choices=RoleCode.choices)
    next_role = models.CharField(
        max_length=40, choices=RoleCode.choices, blank=True, help_text="Blank at the last level."
    )
    due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    dedup_key = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            # The queue and the badge: active alerts by status.
            models.Index(fields=["status", "raised_at"]),
            # The escalation tick: open alerts past their due time.
            models.Index(fields=["status", "due_at"]),
            # Threshold suppression: earlier alerts of a rule in a zone.
            models.Index(fields=["rule", "zone", "condition_at"]),
            # A check-in resolves its post's silence alerts.
            models.Index(fields=["facility", "kind", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("alerts:detail", kwargs={"public_id": self.public_id})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def escalated(self) -> bool:
        return self.escalation_level > 0
