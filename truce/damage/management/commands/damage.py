"""`truce damage rebuild-rollups`: recount every damage rollup from the live structures.

The rollups are kept in each write's transaction; a rebuild is for repair, for
example after settlements moved between admin areas (until then the area pages
sum the settlement rows instead, correct but slower). One transaction, after
the ledger head's lock, so no write interleaves with the recount.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from truce.damage.services.rollups import rollups_rebuild
from truce.ledger.services import ledger_lock


class Command(BaseCommand):
    help = "Damage assessment: recount the rollups from the structures."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        actions.add_parser("rebuild-rollups", help="recount every rollup row")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "rebuild-rollups":
            raise CommandError("action: use `truce damage rebuild-rollups`")
        with transaction.atomic():
            ledger_lock()
            rows = rollups_rebuild()
        self.stdout.write(f"Damage rollups rebuilt: {rows} rows written.")
