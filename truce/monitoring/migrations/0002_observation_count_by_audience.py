"""Count rollups keyed by reader audience and one grouping (post, zone or type) per row.

The old rows were keyed by every mix of share flags and by post x zone x
type together, so a reader summed about 1,500 rows a day where it now reads
a few dozen. The table is rebuilt from the observations themselves (the
rollups are a function of them), both ways.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import Count, F, Sum

BATCH = 2_000
OBSERVATION_FLAGS = ("share_side_a", "share_side_b", "share_agencies", "share_public")


def _observation_sums(apps: Any, *group: str) -> Any:
    Observation = apps.get_model("monitoring", "Observation")
    return (
        Observation.objects.filter(is_deleted=False)
        .values(*group)
        .annotate(
            n=Count("id"),
            e=Sum("count"),
            k=Sum(F("killed_military") + F("killed_civilian")),
            i=Sum(F("injured_military") + F("injured_civilian")),
        )
        .order_by()
    )


def _audiences(row: dict[str, Any]) -> list[str]:
    # The sharing rule as of this migration: the mission sees all, a scope what is
    # public or shared with it, the public what is public.
    public = row["share_public"]
    found = ["mission"]
    for scope, flag in (
        ("side_a", "share_side_a"),
        ("side_b", "share_side_b"),
        ("agencies", "share_agencies"),
    ):
        if public or row[flag]:
            found.append(scope)
    if public:
        found.append("public")
    return found


def rebuild_by_audience(apps: Any, schema_editor: Any) -> None:
    """The audience rollup from the live observations (rows of the new shape)."""
    ObservationCount = apps.get_model("monitoring", "ObservationCount")
    group = ("window", "observer_post_id", "zone_id", "type", *OBSERVATION_FLAGS)
    sums: dict[tuple[Any, ...], list[int]] = {}
    for row in _observation_sums(apps, *group).iterator():
        totals = (row["n"], row["e"] or 0, row["k"] or 0, row["i"] or 0)
        for audience in _audiences(row):
            for key in (
                (audience, "post", row["window"], row["observer_post_id"] or 0, ""),
                (audience, "zone", row["window"], row["zone_id"] or 0, ""),
                (audience, "type", row["window"], 0, row["type"]),
            ):
                into = sums.setdefault(key, [0, 0, 0, 0])
                for index, value in enumerate(totals):
                    into[index] += value
    ObservationCount.objects.bulk_create(
        [
            ObservationCount(
                audience=audience,
                dimension=dimension,
                window=window,
                key_id=key_id,
                key_type=key_type,
                observations=n,
                events=e,
                killed=k,
                injured=i,
            )
            for (audience, dimension, window, key_id, key_type), (n, e, k, i) in sums.items()
        ],
        batch_size=BATCH,
    )


def rebuild_by_share_flags(apps: Any, schema_editor: Any) -> None:
    """The old rollup (window x post x zone x type x share flags) from the live observations."""
    ObservationCount = apps.get_model("monitoring", "ObservationCount")
    group = ("window", "observer_post_id", "zone_id", "type", *OBSERVATION_FLAGS)
    ObservationCount.objects.bulk_create(
        [
            ObservationCount(
                window=row["window"],
                post_key=row["observer_post_id"] or 0,
                zone_key=row["zone_id"] or 0,
                type=row["type"],
                **{flag: row[flag] for flag in OBSERVATION_FLAGS},
                observations=row["n"],
                events=row["e"] or 0,
                killed=row["k"] or 0,
                injured=row["i"] or 0,
            )
            for row in _observation_sums(apps, *group).iterator()
        ],
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [
        # Run backwards last: refills the old table once it exists again.
        migrations.RunPython(migrations.RunPython.noop, rebuild_by_share_flags),
        migrations.DeleteModel(name="ObservationCount"),
        migrations.CreateModel(
            name="ObservationCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "audience",
                    models.CharField(
                        choices=[
                            ("mission", "mission"),
                            ("side_a", "side_a"),
                            ("side_b", "side_b"),
                            ("agencies", "agencies"),
                            ("public", "public"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "dimension",
                    models.CharField(
                        choices=[("post", "Observer post"), ("zone", "Zone"), ("type", "Type")],
                        max_length=4,
                    ),
                ),
                ("window", models.DateField()),
                (
                    "key_id",
                    models.BigIntegerField(
                        default=0, help_text="Observer post or zone id (0 if none); 0 on type rows."
                    ),
                ),
                (
                    "key_type",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Observation type on type rows, else ''.",
                        max_length=40,
                    ),
                ),
                ("observations", models.PositiveIntegerField(default=0)),
                (
                    "events",
                    models.PositiveIntegerField(
                        default=0, help_text="Sum of the observations' counts."
                    ),
                ),
                ("killed", models.PositiveIntegerField(default=0)),
                ("injured", models.PositiveIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("audience", "dimension", "window", "key_id", "key_type"),
                        name="observation_count_audience_key",
                    )
                ],
            },
        ),
        migrations.RunPython(rebuild_by_audience, migrations.RunPython.noop),
    ]
