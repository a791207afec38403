"""`truce routing import FILE --network SLUG [--name NAME]`: import a road network.

The file is GeoJSON (a FeatureCollection of LineStrings) or OSM PBF; it is
read and checked first, then written in one transaction as the network's new
version. A progress line on stderr shows the phase (reading, writing) and
how far it has come.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.core.errors import DomainError
from truce.routing import services


class ProgressLine:
    """`phase: done of total (n%)` rewritten in place on a terminal, a line per phase otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.phase = ""
        self.last = 0.0

    def __call__(self, done: int, total: int, phase: str) -> None:
        now = time.monotonic()
        if phase == self.phase and now - self.last < 0.5 and done != total:
            return
        self.last = now
        share = f" ({100 * done / total:.0f}%)" if total else ""
        text = f"  {phase}: {done:,} of {total:,}{share}" if total else f"  {phase}..."
        if self.tty:
            self.stream.write("\r" + text.ljust(60))
            if phase == "done":
                self.stream.write("\n")
        elif phase != self.phase or done == total:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.phase = phase


class Command(BaseCommand):
    help = "Roads and safe routing: import a road network (GeoJSON or OSM PBF)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        load = actions.add_parser("import", help="import a GeoJSON or OSM PBF road network")
        load.add_argument("file")
        load.add_argument("--network", required=True, help="the network's slug")
        load.add_argument("--name", help="the network's name (default: the slug)")
        load.add_argument("--source", default="", help="where the data comes from")
        load.add_argument(
            "--visibility", help="comma-separated scopes (default: both sides, agencies, public)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "import":
            raise CommandError("action: use `truce routing import FILE --network SLUG`")
        started = time.perf_counter()
        try:
            network = services.network_import(
                actor=None,
                path=options["file"],
                slug=options["network"],
                name=options.get("name"),
                source=options.get("source") or "",
                visibility=options.get("visibility"),
                progress=ProgressLine(sys.stderr),
            )
        except DomainError as exc:
            field = f" ({exc.field})" if exc.field else ""
            raise CommandError(f"{exc.message}{field}") from None
        self.stdout.write(
            f"Network {network.slug} version {network.version}: {network.segment_count:,} "
            f"segments, {network.node_count:,} nodes, {network.length_km:,.1f} km "
            f"({network.source_format}, sha256 {network.source_sha256[:12]}...) "
            f"in {time.perf_counter() - started:.1f} s."
        )
