"""`truce serve`: the WSGI application under waitress, static files by WhiteNoise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from truce.core.management.commands._common import url_for


def check_address(host: str, port: int, threads: int) -> None:
    if not host:
        raise CommandError("host: give an address to listen on, e.g. 127.0.0.1")
    if not 1 <= port <= 65535:
        raise CommandError(f"port: {port} is not a TCP port (1-65535)")
    if threads < 1:
        raise CommandError(f"threads: {threads} must be at least 1")


def serve(*, host: str, port: int, threads: int, stdout: OutputWrapper) -> None:
    """Block serving HTTP until interrupted."""
    check_address(host, port, threads)
    # WhiteNoise serves from the finders (WHITENOISE_USE_FINDERS) but warns when
    # STATIC_ROOT is missing, as it is before any collectstatic: make it first.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from waitress.server import create_server

    from truce.wsgi import application

    if host in {"0.0.0.0", "::"}:  # noqa: S104
        stdout.write(
            "note: listening on every interface; only the names in TRUCE_ALLOWED_HOSTS are answered"
        )
    elif host not in settings.ALLOWED_HOSTS:
        stdout.write(f"note: {host} is not in TRUCE_ALLOWED_HOSTS; requests to it are refused")
    try:
        server = create_server(application, host=host, port=port, threads=threads, ident="truce")
    except OSError as exc:
        raise CommandError(f"port: cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    stdout.write(
        f"Serving Truce at {url_for(host, port)} (waitress, {threads} threads); "
        "press Ctrl+C to stop."
    )
    stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        stdout.write("Stopped.")
    finally:
        server.close()


class Command(BaseCommand):
    help = "Serve Truce over HTTP with waitress (static files are served by WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")

    def handle(self, *args: Any, **options: Any) -> None:
        serve(
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            stdout=self.stdout,
        )
