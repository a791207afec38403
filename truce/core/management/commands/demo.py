"""`truce demo`: a working Truce on this machine in one command.

Creates the SQLite database if missing, applies migrations, loads the demo scenario
(idempotently: a second run writes nothing), prints the URL and the demo logins, then
serves on 127.0.0.1. Run it through the `truce` command, which sets TRUCE_MODE=demo and
TRUCE_DATA_DIR (from --data-dir, default ./var/demo) before the settings load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.core.management.commands._common import clear_errors, url_for
from truce.core.management.commands.serve import check_address, default_workers, serve
from truce.core.models import User
from truce.core.scenario import LoadReport, load_scenario

DEMO_SCENARIO = "briefings-2020"
DEFAULT_DATA_DIR = "var/demo"


class Command(BaseCommand):
    help = "Set up the demo (database, migrations, scenario), print the logins and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="threads per worker")
        parser.add_argument(
            "--workers", type=int, default=default_workers(), help="server processes"
        )
        parser.add_argument(
            "--data-dir", help=f"where the demo database lives (default ./{DEFAULT_DATA_DIR})"
        )
        parser.add_argument("--scenario", default=DEMO_SCENARIO, help="scenario to load")
        parser.add_argument("--no-serve", action="store_true", help="stop after loading")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.TRUCE_MODE == "production":
            raise CommandError(
                "TRUCE_MODE: the demo does not run in production mode (its users share a "
                "published password); unset TRUCE_MODE or set it to demo"
            )
        data_dir = options["data_dir"]
        if data_dir and Path(data_dir).resolve() != Path(settings.DATA_DIR).resolve():
            raise CommandError(
                f"data-dir: settings already use {settings.DATA_DIR}; run `truce demo "
                "--data-dir DIR` so the folder is chosen before the settings load"
            )
        if not options["no_serve"]:
            check_address(options["host"], options["port"], options["threads"], options["workers"])
        database = settings.DATABASES["default"]
        self.stdout.write(f"Truce demo ({settings.TRUCE_MODE} mode); data in {settings.DATA_DIR}")
        self.stdout.write(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Migrations applied.")
        with clear_errors():
            report = load_scenario(options["scenario"], out=self.stdout.write)
        self.stdout.write("")
        self.stdout.write(f"Open {url_for(options['host'], options['port'])}")
        self._print_logins(report)
        if options["no_serve"]:
            return
        serve(
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            workers=options["workers"],
            stdout=self.stdout,
        )

    def _print_logins(self, report: LoadReport) -> None:
        usernames: list[str] = report.notes.get("users", [])
        users = {
            u.username: u
            for u in User.objects.filter(username__in=usernames)
            .select_related("party", "organisation")
            .prefetch_related("roles")
        }
        if not users:
            return
        password = report.notes.get("demo_password")
        if password and settings.TRUCE_MODE == "demo":
            self.stdout.write(f"Demo logins (password for every account: {password}):")
        else:
            self.stdout.write("Demo accounts (no password is published outside demo mode):")
        rows = [("username", "party", "roles", "organisation")]
        for name in usernames:
            user = users.get(name)
            if user is None:
                continue
            rows.append(
                (
                    user.username,
                    user.party.code,
                    ", ".join(sorted(r.code for r in user.roles.all())),
                    user.organisation.code if user.organisation else "-",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            self.stdout.write(
                "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
