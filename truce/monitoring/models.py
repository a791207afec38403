"""Ceasefire monitoring: observations, incidents, OP check-ins and count rollups.

Observations are what an observer saw; incidents group the observations of
one event and carry the mission's verification. Counts are rollups written in
the same transaction as the observations, keyed by the audience that may see
the observations they count, so a party's totals never include what it may not see.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from truce.core.models import Facility, GeoRecord, Party, Record, Settlement, Zone
from truce.core.sharing import Scope


class ObservationType(models.TextChoices):
    EXPLOSION_IMPACT = "explosion_impact", "Explosion: impact"
    EXPLOSION_AIRBURST = "explosion_airburst", "Explosion: airburst"
    EXPLOSION_OUTGOING = "explosion_outgoing", "Explosion: outgoing"
    EXPLOSION_UNDETERMINED = "explosion_undetermined", "Explosion: undetermined"
    PROJECTILE_IN_FLIGHT = "projectile_in_flight", "Projectile in flight"
    MUZZLE_FLASH = "muzzle_flash", "Muzzle flash"
    ILLUMINATION_FLARE = "illumination_flare", "Illumination flare"
    BURSTS_AND_SHOTS = "bursts_and_shots", "Bursts and shots"
    MOVEMENT = "movement", "Movement of weapons or troops"
    RESTRICTION_OF_MOVEMENT = "restriction_of_movement", "Restriction of the mission's movement"
    PROVOCATION = "provocation", "Provocation"
    CIVILIAN_HARM = "civilian_harm", "Civilian harm"
    DAMAGE_TO_MISSION_ASSETS = "damage_to_mission_assets", "Damage to mission assets"
    OTHER = "other", "Other"


# Types that count as ceasefire violations once verified (flares, "other" and
# movement restrictions are reported but are not fire or hostile acts).
VIOLATION_TYPES = frozenset(
    {
        ObservationType.EXPLOSION_IMPACT,
        ObservationType.EXPLOSION_AIRBURST,
        ObservationType.EXPLOSION_OUTGOING,
        ObservationType.EXPLOSION_UNDETERMINED,
        ObservationType.PROJECTILE_IN_FLIGHT,
        ObservationType.MUZZLE_FLASH,
        ObservationType.BURSTS_AND_SHOTS,
        ObservationType.MOVEMENT,
        ObservationType.PROVOCATION,
        ObservationType.CIVILIAN_HARM,
        ObservationType.DAMAGE_TO_MISSION_ASSETS,
    }
)


class ObserverKind(models.TextChoices):
    OBSERVATION_POST = "op", "Observation post"
    PATROL = "patrol", "Patrol"
    DRONE = "drone", "Drone"
    CAMERA = "camera", "Video camera"
    PARTY_COMPLAINT = "party_complaint", "A party's complaint"
    LIAISON_OFFICER = "liaison_officer", "Liaison officer"


class FireDirection(models.TextChoices):
    INCOMING = "incoming", "Incoming"
    OUTGOING = "outgoing", "Outgoing"
    UNKNOWN = "unknown", "Unknown"
    NOT_APPLICABLE = "", "Not applicable"


class PositionMethod(models.TextChoices):
    NONE = "", "No position"
    GIVEN = "given", "Position given"
    BEARING_DISTANCE = "bearing_distance", "Bearing and distance from the observer"
    INTERSECTION = "intersection", "Intersection of bearings"
    OBSERVER = "observer", "Observer's own position"


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", "Reported"
    UNDER_REVIEW = "under_review", "Under review"
    VERIFIED = "verified", "Verified"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    DISMISSED = "dismissed", "Dismissed"


class IncidentResolution(models.TextChoices):
    """How a closed incident was dealt with, when the mission records it.

    Only a verified or unconfirmed incident carries one (a dismissed report was
    no incident to resolve); a re-review clears it, as it clears the responsible party.
    """

    NONE = "", "Not recorded"
    SETTLED_ON_GROUND = "settled_on_ground", "Settled on the ground"
    REFERRED_TO_PARTIES = "referred_to_parties", "Referred to the parties"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Incident(GeoRecord):
    """One event, seen by one or more observers; the mission verifies it here.

    geometry is the event's position (a point) when one is known; its
    uncertainty in metres sits beside it.
    """

    reference = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=40, choices=ObservationType.choices)
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField()
    position_method = models.CharField(
        max_length=20, choices=PositionMethod.choices, blank=True, default=""
    )
    uncertainty_m = models.FloatField(null=True, blank=True)
    zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    nearest_settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    settlement_distance_m = models.FloatField(null=True, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.LOW)
    status = models.CharField(
        max_length=20,
        choices=IncidentStatus.choices,
        default=IncidentStatus.REPORTED,
        db_index=True,
    )
    responsible_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(
        max_length=20,
        choices=IncidentResolution.choices,
        blank=True,
        default=IncidentResolution.NONE,
        help_text="How the mission dealt with it (set with a verified or unconfirmed status).",
    )
    grouped_by_hand = models.BooleanField(
        default=False, help_text="Merged or split by a person: automatic grouping leaves it be."
    )
    notes = models.TextField(blank=True)
    # Denormalised from the observations, kept by the services.
    observation_count = models.PositiveIntegerField(default=0)
    killed = models.PositiveIntegerField(default=0)
    injured = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["min_lon", "min_lat", "max_lon", "max_lat"]),
            models.Index(fields=["zone", "started_at"]),
        ]

    def __str__(self) -> str:
        return self.reference


class Observation(GeoRecord):
    """What one observer saw or one party reported, at one time.

    geometry is the observed event's position when known: given directly, or
    computed from the observer's position, the bearing and the distance.
    """

    client_uuid = models.UUIDField(unique=True, help_text="Makes a resend harmless.")
    content_sha256 = models.CharField(
        max_length=64, help_text="Canonical hash of what was sent, to tell a resend from a clash."
    )
    observed_at = models.DateTimeField(db_index=True)
    # Counted through the rollups, read back only: no index of its own.
    window = models.DateField(
        help_text="Mission day (evening to evening) the observation falls in."
    )
    observer_kind = models.CharField(max_length=20, choices=ObserverKind.choices)
    # Indexed by (observer_post, observed_at) below, which also serves lookups by post.
    observer_post = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations",
        db_index=False,
    )
    observer_label = models.CharField(
        max_length=100, blank=True, help_text="Patrol call sign, drone or camera id."
    )
    observer_lon = models.FloatField(null=True, blank=True)
    observer_lat = models.FloatField(null=True, blank=True)
    # Never filtered on, and users and parties are deactivated, never deleted: an
    # index on either would only cost every insert (see Meta below).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reporting_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    type = models.CharField(max_length=40, choices=ObservationType.choices)
    count = models.PositiveIntegerField(default=1)
    weapon_type = models.CharField(max_length=100, blank=True)
    bearing_deg = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True)
    position_method = models.CharField(
        max_length=20, choices=PositionMethod.choices, blank=True, default=""
    )
    direction_of_fire = models.CharField(
        max_length=10, choices=FireDirection.choices, blank=True, default=""
    )
    direction_place = models.CharField(
        max_length=200, blank=True, help_text="Place the direction of fire is relative to."
    )
    killed_military = models.PositiveIntegerField(default=0)
    killed_civilian = models.PositiveIntegerField(default=0)
    injured_military = models.PositiveIntegerField(default=0)
    injured_civilian = models.PositiveIntegerField(default=0)
    text = models.TextField(blank=True)
    # Indexed by (zone, type, observed_at) below.
    zone = models.ForeignKey(
        Zone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations",
        db_index=False,
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="observations",
    )

    # Record's bookkeeping columns without the indexes Record gives them: every
    # query of observations wants the live ones (nearly all rows), nothing looks
    # observations up by who wrote them, and users are never deleted. On the
    # busiest table each index is a page written on every insert.
    is_deleted = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
    )

    # Grouping is the incident's business: its ledger entries list its
    # observations, so moving an observation between incidents (automatic
    # regrouping, a merge, a split) does not rewrite what the observer saw.
    LEDGER_EXCLUDE = GeoRecord.LEDGER_EXCLUDE | {"incident"}

    class Meta:
        # Every index is written on every insert (a single report's commit is
        # mostly index pages), so each of these serves a query that runs:
        # the thresholds and zone filters, a post's page, the map by time;
        # incident (the foreign key's own) the grouping and an incident's page.
        ordering = ["-observed_at"]
        indexes = [
            models.Index(fields=["zone", "type", "observed_at"]),
            models.Index(fields=["observer_post", "observed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} at {self.observed_at:%Y-%m-%d %H:%M}Z"

    @property
    def casualties(self) -> int:
        return (
            self.killed_military
            + self.killed_civilian
            + self.injured_military
            + self.injured_civilian
        )


class Attachment(Record):
    """A photo or video of an observation; the file's hash is in the ledger."""

    observation = models.ForeignKey(
        Observation, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to="observations/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]


class CheckIn(Record):
    """An OP's periodic report that it is manned and in contact."""

    client_uuid = models.UUIDField(unique=True)
    post = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="check_ins")
    checked_in_at = models.DateTimeField(db_index=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, default="normal", help_text="normal, degraded")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["post", "checked_in_at"])]

    def __str__(self) -> str:
        return f"{self.post} {self.checked_in_at:%Y-%m-%d %H:%M}Z"


class CountDimension(models.TextChoices):
    """What one rollup row is counted by."""

    POST = "post", "Observer post"
    ZONE = "zone", "Zone"
    TYPE = "type", "Type"


class ObservationCount(models.Model):
    """Rollup: observations per mission day, reader audience and one grouping key.

    audience is a reader scope (truce.core.sharing.Scope): the row counts the
    observations a reader of that scope may see (the mission every one, side A
    those shared with side A or the public, ...). A reader sums the rows of its
    own audience only, so its count is exactly that of the observations it may
    see, and the rows it reads are a fifth of the total instead of every mix of
    share flags.

    dimension says what the row is counted by: one row per observer post
    (key_id), per zone (key_id) or per type (key_type) and day, so a day's
    answer for one grouping is a few dozen rows with nothing left to group.
    Each observation adds to three rows per audience that may see it. Written
    by the ingest service in the same transaction as the observations it counts
    (truce.monitoring.services.rollups).
    """

    audience = models.CharField(max_length=10, choices=[(s.value, s.value) for s in Scope])
    dimension = models.CharField(max_length=4, choices=CountDimension.choices)
    window = models.DateField()
    # Plain ids, 0 for "none": a NULL in a unique key would let SQLite keep two
    # rows for one key (NULLs are distinct there), splitting a count in two.
    key_id = models.BigIntegerField(
        default=0, help_text="Observer post or zone id (0 if none); 0 on type rows."
    )
    key_type = models.CharField(
        max_length=40, blank=True, default="", help_text="Observation type on type rows, else ''."
    )
    observations = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0, help_text="Sum of the observations' counts.")
    killed = models.PositiveIntegerField(default=0)
    injured = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index every read uses: one audience, one dimension, a range of days.
            models.UniqueConstraint(
                fields=["audience", "dimension", "window", "key_id", "key_type"],
                name="observation_count_audience_key",
            )
        ]

    def __str__(self) -> str:
        key = self.key_type or self.key_id
        return f"{self.window} {self.audience} {self.dimension} {key}: {self.observations}"
