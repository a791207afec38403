"""`truce shelter allocate`: the allocation from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.shelter.conftest import DAY, World
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.shelter.models import AllocationRun, Placement


def allocate(*args: str) -> str:
    out = StringIO()
    call_command("shelter", "allocate", "--as-of", DAY.isoformat(), *args, stdout=out)
    return out.getvalue()


def test_the_command_runs_the_allocation_and_writes_the_run(world: World) -> None:
    output = allocate("--list")
    run = AllocationRun.objects.get()
    assert f"Run {run.public_id}" in output
    assert Placement.objects.filter(run=run).count() == 4
    assert "Vulnerable household, placed first." in output


def test_a_dry_run_prints_and_writes_nothing(world: World) -> None:
    before = LedgerEntry.objects.count()
    output = allocate("--dry-run", "--list")
    assert output.startswith("Dry run (nothing written): ")
    assert "hh-v" in output
    assert LedgerEntry.objects.count() == before


def test_a_user_without_the_role_is_refused(world: World, agency_user: User) -> None:
    with pytest.raises(CommandError, match="only mission administrators"):
        allocate("--user", agency_user.username)
    assert not AllocationRun.objects.exists()


def test_a_bad_day_is_refused_naming_it(world: World) -> None:
    with pytest.raises(CommandError, match="as-of"):
        call_command("shelter", "allocate", "--as-of", "20 Nov", stdout=StringIO())


def test_the_truce_command_reaches_it(tmp_path: Path) -> None:
    # In its own process: the command closes its database connection on the way out.
    done = subprocess.run(
        [sys.executable, "-m", "truce.cli", "shelter", "allocate", "--help"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "TRUCE_MODE": "test", "TRUCE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--as-of" in done.stdout and "--dry-run" in done.stdout
