"""`truce ledger verify`: exit 0 and the head on a good chain; exit 1 naming the first
altered entry."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.conftest import Places
from truce.ledger.models import LedgerEntry


def disable_append_only_triggers() -> None:
    # Only a test may do this, inside its own transaction (rolled back afterwards).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE ledger_ledgerentry DISABLE TRIGGER ledger_entry_append_only"
            )
        else:
            cursor.execute("DROP TRIGGER ledger_entry_no_update")


def test_verify_prints_entries_and_head_on_a_good_chain(places: Places) -> None:
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    last = LedgerEntry.objects.order_by("-seq").first()
    assert last is not None
    count = LedgerEntry.objects.count()
    assert out.getvalue().strip() == f"Ledger intact: {count} entries; head {last.entry_hash}"


@pytest.mark.django_db
def test_verify_of_an_empty_ledger() -> None:
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    assert out.getvalue().startswith("Ledger intact: 0 entries; head 0000")


def test_the_append_only_trigger_refuses_an_update(places: Places) -> None:
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(seq=2).update(payload="{}")


def test_verify_names_the_first_altered_entry_and_exits_1(places: Places) -> None:
    disable_append_only_triggers()
    altered = LedgerEntry.objects.filter(seq=4).update(payload='{"forged":true}')
    assert altered == 1
    with pytest.raises(CommandError) as caught:
        call_command("ledger", "verify", stdout=StringIO())
    assert caught.value.returncode == 1
    message = str(caught.value)
    assert message.startswith("ledger broken at entry seq 4: entry_hash does not match")
    assert "3 entries verified before it" in message


def test_verify_from_the_shell_exit_status_and_stderr(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("truce")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "truce.cli"]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TRUCE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    # Production mode: the scenario's users get no password there, which skips the slow
    # password hashing (and shows the command works in a real deployment's settings).
    env.update(TRUCE_MODE="production", TRUCE_SECRET_KEY="s" * 50, TRUCE_DATA_DIR=str(tmp_path))

    def truce(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
            [*command, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert truce("migrate", "--verbosity", "0").returncode == 0
    loaded = truce("scenario", "load", "briefings-2020")
    assert loaded.returncode == 0, loaded.stderr
    good = truce("ledger", "verify")
    # The foundation's 249 entries, plus whatever the issue-4 sections of the scenario add.
    intact = re.match(r"Ledger intact: (\d+) entries; head ", good.stdout)
    assert good.returncode == 0 and intact is not None and int(intact[1]) >= 249

    database = sqlite3.connect(tmp_path / "truce.sqlite3")
    with database:
        database.execute("DROP TRIGGER ledger_entry_no_update")
        database.execute("UPDATE ledger_ledgerentry SET actor = 'mallory' WHERE seq = 57")
    database.close()
    bad = truce("ledger", "verify")
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "CommandError: ledger broken at entry seq 57: entry_hash does not match the entry's "
        "content (altered after writing) (56 entries verified before it)"
    ]
