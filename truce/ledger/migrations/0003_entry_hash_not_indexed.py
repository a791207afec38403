"""entry_hash loses its unique index (see LedgerEntry).

On SQLite the change rebuilds the table, which drops its triggers: they are
lifted first and installed again afterwards, so the ledger stays append-only.
"""

from django.db import migrations, models

from truce.ledger import triggers


def lift(apps, schema_editor):
    triggers.remove(schema_editor.connection)


def reinstall(apps, schema_editor):
    triggers.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only")]
    operations = [
        migrations.RunPython(lift, reinstall),
        migrations.AlterField(
            model_name="ledgerentry",
            name="entry_hash",
            field=models.CharField(max_length=64),
        ),
        migrations.RunPython(reinstall, lift),
    ]
