"""Database triggers that make the ledger append-only (UPDATE and DELETE refused).

Kept in one place so the migration installs them and the test harness can lift
them for the moment a transactional test case empties the database.
"""

from __future__ import annotations

from typing import Any

_SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS ledger_entry_no_update BEFORE UPDATE ON ledger_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_entry_no_delete BEFORE DELETE ON ledger_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update",
    "DROP TRIGGER IF EXISTS ledger_entry_no_delete",
]
_POSTGRES_INSTALL = [
    """CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE TRIGGER ledger_entry_append_only
       BEFORE UPDATE OR DELETE ON ledger_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    # TRUNCATE bypasses row triggers; refuse it too.
    """CREATE OR REPLACE TRIGGER ledger_entry_no_truncate
       BEFORE TRUNCATE ON ledger_ledgerentry
       FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""",
]
_POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_ledgerentry",
    "DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_ledgerentry",
]

_STATEMENTS = {
    "sqlite": (_SQLITE_INSTALL, _SQLITE_REMOVE),
    "postgresql": (_POSTGRES_INSTALL, _POSTGRES_REMOVE),
}


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection: Any) -> None:
    install_sql, _ = _STATEMENTS.get(connection.vendor, ([], []))
    _run(connection, install_sql)


def remove(connection: Any) -> None:
    _, remove_sql = _STATEMENTS.get(connection.vendor, ([], []))
    _run(connection, remove_sql)
