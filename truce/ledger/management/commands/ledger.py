"""`truce ledger verify`: recompute the hash chain and name the first broken entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.ledger.services import ledger_verify


class Command(BaseCommand):
    help = "Check the ledger: recompute every entry's hash and link (exit status 1 if broken)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        actions.add_parser("verify", help="recompute the chain from the first entry")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "verify":
            raise CommandError("action: use `truce ledger verify`")
        result = ledger_verify()
        if not result.ok:
            raise CommandError(
                f"ledger broken at entry seq {result.first_bad_seq}: {result.reason} "
                f"({result.checked} entries verified before it)"
            )
        self.stdout.write(f"Ledger intact: {result.checked} entries; head {result.head_hash}")
