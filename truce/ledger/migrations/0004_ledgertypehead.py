from django.db import migrations, models


def fill(apps, schema_editor):
    LedgerEntry = apps.get_model("ledger", "LedgerEntry")
    LedgerTypeHead = apps.get_model("ledger", "LedgerTypeHead")
    heads = LedgerEntry.objects.values("record_type").annotate(last=models.Max("seq"))
    hashes = dict(
        LedgerEntry.objects.filter(seq__in=[h["last"] for h in heads]).values_list(
            "seq", "entry_hash"
        )
    )
    LedgerTypeHead.objects.bulk_create(
        [
            LedgerTypeHead(record_type=h["record_type"], seq=h["last"], entry_hash=hashes[h["last"]])
            for h in heads
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_entry_hash_not_indexed")]
    operations = [
        migrations.CreateModel(
            name="LedgerTypeHead",
            fields=[
                (
                    "record_type",
                    models.CharField(max_length=80, primary_key=True, serialize=False),
                ),
                ("seq", models.PositiveBigIntegerField()),
                ("entry_hash", models.CharField(max_length=64)),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
