"""Each incident's map feature kept as text by triggers (truce/monitoring/map_features.py)."""

from django.db import migrations

from truce.monitoring import map_features


def forward(apps, schema_editor):
    map_features.install(schema_editor.connection)


def backward(apps, schema_editor):
    map_features.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_observation_fewer_indexes")]
    operations = [migrations.RunPython(forward, backward)]
