"""`truce grouper`: group pending observations into incidents, once or in a loop.

    truce grouper            # group everything pending, then stop
    truce grouper --loop     # keep grouping new observations as they arrive

`truce serve` runs a grouper of its own. Run this where the web processes are
served another way with TRUCE_GROUPING=background (which makes their ingests
leave grouping to it), or to catch up after a grouper was stopped.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.monitoring.services import grouper


class Command(BaseCommand):
    help = "Group observations still waiting for their incident (once, or --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running until stopped")
        parser.add_argument(
            "--poll",
            type=float,
            default=grouper.POLL_SECONDS,
            help=f"seconds between looks for new observations (default {grouper.POLL_SECONDS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["poll"] <= 0:
            raise CommandError("poll: must be a positive number of seconds")
        if not options["loop"]:
            grouped = grouper.group_all_pending()
            self.stdout.write(f"Grouped {grouped} observation(s); none is pending.")
            return
        running = grouper.Grouper(poll=options["poll"], log=self.stdout.write)
        signal.signal(signal.SIGTERM, lambda *_: running.stop())
        self.stdout.write("Grouping pending observations; press Ctrl+C to stop.")
        self.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            running.run()
        self.stdout.write("Stopped.")
