"""Make the ledger append-only in the database itself, not only by convention."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
    """CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update",
    "DROP TRIGGER IF EXISTS ledger_entry_no_delete",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'ledger entries are append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_ledgerentry",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(
        schema_editor.connection.vendor, []
    )
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(
        schema_editor.connection.vendor, []
    )
    for sql in statements:
        schema_editor.execute(sql)


def create_head(apps, schema_editor):
    LedgerHead = apps.get_model("ledger", "LedgerHead")
    LedgerHead.objects.get_or_create(id=1, defaults={"seq": 0, "entry_hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [
        migrations.RunPython(forward, backward),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
