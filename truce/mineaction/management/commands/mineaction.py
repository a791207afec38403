"""`truce mineaction import FILE.geojson` and `truce mineaction totals`.

`import` reads a GeoJSON FeatureCollection of hazard areas (polygons) or road
checks (lines): each feature's properties are the record's fields (codes and
P-codes by value, as in the API), its geometry the record's. The whole file is
one transaction: a refusal names the feature and the field, and nothing is
written. `totals` prints the rollups for a period and an area as a given user
may see them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.core.errors import DomainError
from truce.core.models import User
from truce.lib import geo
from truce.mineaction import rollups, task_services

KINDS = {"hazards": geo.AREA_TYPES, "road_checks": geo.LINE_TYPES}


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name} must be a date as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Mine action: import hazard areas or road checks from GeoJSON; print totals."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        load = actions.add_parser("import", help="import a GeoJSON FeatureCollection")
        load.add_argument("file", type=Path)
        load.add_argument("--kind", choices=sorted(KINDS), default="hazards")
        load.add_argument(
            "--visibility",
            default="side_a,side_b,agencies,public",
            help="scopes to share every record with (comma-separated; the mission sees all)",
        )
        totals = actions.add_parser("totals", help="print the totals")
        totals.add_argument("--from", dest="start")
        totals.add_argument("--to", dest="end")
        totals.add_argument("--admin-area")
        totals.add_argument("--settlement")
        totals.add_argument(
            "--user", required=True, help="read as this user (totals are visibility-filtered)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "import":
            self._import(options)
        elif action == "totals":
            self._totals(options)
        else:
            raise CommandError("action: use `truce mineaction import FILE` or `... totals`")

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: cannot read GeoJSON: {exc}") from None
        features = document.get("features") if isinstance(document, dict) else None
        if not isinstance(features, list):
            raise CommandError(f"{path}: expected a GeoJSON FeatureCollection")
        rows = []
        for number, feature in enumerate(features, 1):
            if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
                raise CommandError(f"{path}: feature {number}: expected a Feature with properties")
            rows.append(
                {
                    **feature["properties"],
                    "geometry": feature.get("geometry"),
                    "visibility": options["visibility"],
                }
            )
        try:
            written = task_services.batch_record(actor=None, kind=options["kind"], rows=rows)
        except DomainError as exc:
            raise CommandError(
                f"{path}: {exc.message} (field {exc.field!r}); nothing written"
            ) from None
        self.stdout.write(f"Imported {written} {options['kind'].replace('_', ' ')} from {path}.")

    def _totals(self, options: dict[str, Any]) -> None:
        where = rollups.Where(
            start=_day(options.get("start"), "from"),
            end=_day(options.get("end"), "to"),
            admin_area=options.get("admin_area"),
            settlement=options.get("settlement"),
        )
        reader = User.objects.select_related("party").filter(username=options["user"]).first()
        if reader is None:
            raise CommandError(f"--user: no user {options['user']!r}")
        totals = rollups.mine_action_totals(reader, where)
        self.stdout.write(f"Land cleared: {totals.cleared_ha:,.2f} ha")
        self.stdout.write(f"Land reduced: {totals.reduced_ha:,.2f} ha")
        self.stdout.write(f"Land cancelled: {totals.cancelled_ha:,.2f} ha")
        self.stdout.write(f"Road checked: {totals.road_km:,.1f} km")
        self.stdout.write(f"Buildings checked: {totals.buildings_checked:,}")
        self.stdout.write(f"Explosive items destroyed: {totals.items_destroyed:,}")
        for status, tally in totals.hazards.items():
            self.stdout.write(
                f"Hazard areas {status}: {tally.count} ({tally.area_m2 / 10_000:,.1f} ha)"
            )
