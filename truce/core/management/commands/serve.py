"""`truce serve`: the WSGI application under waitress, static files by WhiteNoise.

With --workers N above 1 (the default is one per core, at most four) the
listening socket is shared by N waitress processes, so requests use every
core; each worker has its own threads and database connections.

Unless --grouping inline, one more process groups new observations into
incidents (truce.monitoring.services.grouper), so an ingest only stores and
counts them; the supervisor keeps it running like the workers.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from truce.core.management.commands._common import url_for

MAX_DEFAULT_WORKERS = 4
GROUPING_CHOICES = ("background", "inline")


def default_workers() -> int:
    """One worker per core, at most four (SQLite takes one writer at a time anyway)."""
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def check_address(host: str, port: int, threads: int, workers: int = 1) -> None:
    if not host:
        raise CommandError("host: give an address to listen on, e.g. 127.0.0.1")
    if not 1 <= port <= 65535:
        raise CommandError(f"port: {port} is not a TCP port (1-65535)")
    if threads < 1:
        raise CommandError(f"threads: {threads} must be at least 1")
    if workers < 1:
        raise CommandError(f"workers: {workers} must be at least 1")
    if workers > 1 and not hasattr(os, "fork"):
        raise CommandError("workers: more than one needs a POSIX system (fork)")


def _warm_routing(stdout: OutputWrapper) -> None:
    """Load the road graphs before the workers fork (they then share them)."""
    from truce.routing.planning import warm_up

    started = time.monotonic()
    loaded = warm_up()
    if loaded:
        segments = sum(len(n.row_ids) for n in loaded)
        stdout.write(
            f"road graphs ready: {len(loaded)} network(s), {segments:,} segments "
            f"in {time.monotonic() - started:.1f} s"
        )


def serve(
    *,
    host: str,
    port: int,
    threads: int,
    stdout: OutputWrapper,
    workers: int = 1,
    grouping: str = "background",
) -> None:
    """Block serving HTTP until interrupted."""
    check_address(host, port, threads, workers)
    if grouping not in GROUPING_CHOICES:
        raise CommandError(f"grouping: {grouping!r} is not one of {', '.join(GROUPING_CHOICES)}")
    # WhiteNoise serves from the finders (WHITENOISE_USE_FINDERS) but warns when
    # STATIC_ROOT is missing, as it is before any collectstatic: make it first.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from django.db import connections
    from waitress.server import create_server

    from truce.lib import prefork
    from truce.monitoring.services import grouper
    from truce.wsgi import application

    if host in {"0.0.0.0", "::"}:  # noqa: S104
        stdout.write(
            "note: listening on every interface; only the names in TRUCE_ALLOWED_HOSTS are answered"
        )
    elif host not in settings.ALLOWED_HOSTS:
        stdout.write(f"note: {host} is not in TRUCE_ALLOWED_HOSTS; requests to it are refused")
    try:
        sock = prefork.listening_socket(host, port)
    except OSError as exc:
        raise CommandError(f"port: cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    background = grouping == "background" and hasattr(os, "fork")
    balancer = prefork.Balancer(workers) if workers > 1 else None

    def run(slot: int = 0) -> None:
        # Everything alive now (Django, the app, its modules) lives as long as
        # the process: frozen out of the cycle collector, whose full passes
        # over it otherwise stall a request for a tenth of a second or more
        # (p99 of single reports at 200/s: 160-180 ms before, 65-95 ms after).
        gc.collect()
        gc.freeze()
        if slot == workers:  # the one beyond the web workers groups
            grouper.Grouper(log=lambda m: print(m, file=sys.stderr, flush=True)).run()
            return
        server = create_server(application, sockets=[sock], threads=threads, ident="truce")
        if balancer is not None:
            _balance(server, balancer, slot)
        try:
            server.run()
        finally:
            server.close()

    _warm_routing(stdout)
    processes = f"{workers} workers x {threads} threads" if workers > 1 else f"{threads} threads"
    if background:
        processes += ", a grouper"
    stdout.write(
        f"Serving Truce at {url_for(host, port)} (waitress, {processes}); press Ctrl+C to stop."
    )
    stdout.flush()
    try:
        if workers == 1 and not background:
            run()
            return
        if background:
            grouper.enable_background()
        # No worker may inherit the parent's database connection.
        connections.close_all()
        status = prefork.Supervisor(
            workers=workers + (1 if background else 0),
            run=run,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        ).serve_forever()
        if status:
            raise CommandError("the workers stopped")
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    stdout.write("Stopped.")


def _balance(server: Any, balancer: Any, slot: int) -> None:
    """Let the least busy worker accept the next connection (see prefork.Balancer)."""
    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer

    # One socket: the server is the listener (its map is _map); several: a MultiSocketServer.
    channels = server.map if hasattr(server, "map") else server._map
    for listener in list(channels.values()):
        if isinstance(listener, TcpWSGIServer):
            balancer.attach(
                listener,
                slot,
                lambda: sum(1 for c in list(channels.values()) if isinstance(c, HTTPChannel)),
            )


class Command(BaseCommand):
    help = "Serve Truce over HTTP with waitress (static files are served by WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")
        parser.add_argument(
            "--grouping",
            choices=GROUPING_CHOICES,
            default="background",
            help="group observations into incidents in a process of their own (default), "
            "or inline in each ingest",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help=f"processes sharing the port (default: one per core, at most "
            f"{MAX_DEFAULT_WORKERS}; here {default_workers()})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        serve(
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            workers=options["workers"],
            grouping=options["grouping"],
            stdout=self.stdout,
        )
