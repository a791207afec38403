"""`truce alerts tick [--loop --interval 30]`: escalate due alerts, find silent posts.

Run it every minute. From cron:

    * * * * *  truce alerts tick

or with a systemd timer (OnCalendar=minutely) starting a oneshot service
with `ExecStart=/path/to/venv/bin/truce alerts tick`; or as a long-running
service, `truce alerts tick --loop --interval 30` (Restart=always). Each
escalation is its own short transaction, so overlapping runs are harmless:
the alert row is locked and a second run finds nothing left to do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection

from truce.alerts.services import TickResult, alerts_tick
from truce.core.management.commands._common import clear_errors
from truce.lib.time import iso_utc


class Command(BaseCommand):
    help = "Prompt response: `tick` escalates unacknowledged alerts and raises silent-post alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        tick = actions.add_parser("tick", help="run the escalation and silence checks once")
        tick.add_argument("--loop", action="store_true", help="keep running, every --interval")
        tick.add_argument(
            "--interval", type=float, default=30.0, help="seconds between loop runs (default 30)"
        )
        tick.add_argument(
            "--now", help="act as if it were this ISO 8601 instant (with offset); for drills"
        )
        # Hidden: stop a loop after N runs (tests, drills).
        tick.add_argument("--runs", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "tick":
            raise CommandError("action: use `truce alerts tick [--loop --interval 30]`")
        now = _parse_now(options.get("now"))
        interval = float(options["interval"])
        if interval < 1:
            raise CommandError("interval: at least 1 second")
        if not options["loop"]:
            self._report(self._tick(now))
            return
        runs = 0
        try:
            while True:
                # A long-lived loop must not hold a dead or stale connection
                # (never inside a caller's transaction, as under a test).
                if not connection.in_atomic_block:
                    close_old_connections()
                self._report(self._tick(now))
                runs += 1
                if options["runs"] and runs >= options["runs"]:
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    def _tick(self, now: dt.datetime | None) -> TickResult:
        with clear_errors():
            return alerts_tick(now=now)

    def _report(self, result: TickResult) -> None:
        self.stdout.write(
            f"{iso_utc(result.ran_at)} escalated {result.escalated}, "
            f"raised {result.raised}, resolved {result.resolved}"
        )


def _parse_now(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"now: {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise CommandError("now: give the UTC offset, e.g. Z or +04:00")
    return parsed.astimezone(dt.UTC)
