"""`truce scenario list` and `truce scenario load NAME`: scenario data through the services."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.core.management.commands._common import clear_errors
from truce.core.scenario import list_scenarios, load_scenario, section_types


class Command(BaseCommand):
    help = "List the scenarios, or load one (checked first; all or nothing; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        actions.add_parser("list", help="list the scenarios under TRUCE_SCENARIO_DIR")
        actions.add_parser("types", help="list the registered section types")
        load = actions.add_parser("load", help="load a scenario by name or folder path")
        load.add_argument("name", help="scenario name (folder under scenarios/) or a path")
        load.add_argument(
            "--dry-run", action="store_true", help="check and write, then roll everything back"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "list":
            self._list()
        elif action == "types":
            for name, section_type in sorted(section_types().items()):
                self.stdout.write(f"{name:<24} {section_type.description}")
        elif action == "load":
            with clear_errors():
                load_scenario(options["name"], out=self.stdout.write, dry_run=options["dry_run"])
        else:
            raise CommandError("action: use `truce scenario list` or `truce scenario load NAME`")

    def _list(self) -> None:
        found = list_scenarios()
        if not found:
            self.stdout.write("No scenarios found.")
        for info in found:
            as_of = f" (as of {info.as_of})" if info.as_of else ""
            self.stdout.write(f"{info.name:<20} {info.title}{as_of}")
