"""What the mission's commands share: one clear line for every error, naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from truce.core.errors import DomainError
from truce.core.scenario.base import ScenarioError


def command_error(exc: DomainError | ScenarioError) -> CommandError:
    if isinstance(exc, ScenarioError):
        return CommandError(str(exc))
    return CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn domain and scenario errors into a CommandError: one line on stderr, status 1."""
    try:
        yield
    except (DomainError, ScenarioError) as exc:
        raise command_error(exc) from exc


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"
