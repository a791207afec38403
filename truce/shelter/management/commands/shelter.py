"""`truce shelter allocate --as-of DAY [--dry-run] [--user NAME]`: run the allocation.

The same service as the allocation page and the API. Without --user the run is the
system's (whoever may run commands on the server is trusted, as with `truce scenario`);
with --user it is that user's, and refused unless their party and role allow it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from truce.core.management.commands._common import clear_errors
from truce.core.models import User
from truce.shelter import allocation, solver
from truce.shelter.models import Placement


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"as-of: {value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Shelter: run the allocation of registered households to free places."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        run = actions.add_parser("allocate", help="allocate households to free places")
        run.add_argument("--as-of", required=True, help="free places of this day (YYYY-MM-DD)")
        run.add_argument("--dry-run", action="store_true", help="compute and print, write nothing")
        run.add_argument("--user", help="run as this user (default: the system)")
        run.add_argument("--candidates", type=int, default=solver.DEFAULT_CANDIDATES)
        run.add_argument(
            "--horizon-days",
            type=int,
            default=allocation.DEFAULT_HORIZON_DAYS,
            help="households expected up to as-of + this many days",
        )
        run.add_argument("--list", action="store_true", help="print every placement and reason")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "allocate":
            raise CommandError("action: use `truce shelter allocate --as-of YYYY-MM-DD`")
        actor = None
        if options["user"]:
            actor = User.objects.select_related("party").filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"user: no user {options['user']!r}")
        with clear_errors():
            outcome = allocation.allocation_run(
                actor=actor,
                as_of=_day(options["as_of"]),
                dry_run=options["dry_run"],
                candidates=options["candidates"],
                horizon_days=options["horizon_days"],
            )
        result = outcome.result
        vulnerable_left = sum(u.people for u in result.unplaced if u.vulnerable)
        head = (
            "Dry run (nothing written)" if outcome.run is None else f"Run {outcome.run.public_id}"
        )
        self.stdout.write(
            f"{head}: {len(result.placed)} of {len(outcome.households)} households placed "
            f"({result.people_placed} people), {result.people_unplaced} people left over "
            f"({vulnerable_left} vulnerable), {len(outcome.no_position)} without a position; "
            f"{result.seconds:.2f} s, objective {result.objective:,.0f} "
            f"(LP bound {result.lp_bound:,.0f})."
        )
        if options["list"]:
            self._list(outcome)

    def _list(self, outcome: allocation.RunOutcome) -> None:
        with translation.override("en"):
            if outcome.run is not None:
                rows = Placement.objects.filter(run=outcome.run).select_related(
                    "household", "shelter"
                )
                for p in rows.order_by("-vulnerable", "household__code"):
                    where = p.shelter.code if p.shelter else "-"
                    self.stdout.write(f"{p.household.code}\t{p.people}\t{where}\t{p.reason}")
                return
            for placed in outcome.result.placed:
                reason = allocation.reason_text(
                    code="nearest" if placed.rank == 1 else "nearer_full",
                    people=placed.people,
                    vulnerable=placed.vulnerable,
                    rank=placed.rank,
                    distance_km=placed.distance_km,
                    stage=placed.stage,
                )
                self.stdout.write(
                    f"{placed.household}\t{placed.people}\t{placed.shelter}\t{reason}"
                )
            for left in outcome.result.unplaced:
                self.stdout.write(f"{left.household}\t{left.people}\t-\t{left.reason}")
