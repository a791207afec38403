from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The migration that creates the map features (truce/monitoring/map_features.py).
MAP_FEATURE_MIGRATION = ("monitoring", "0004_incident_map_feature")


def _keep_map_features(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every migrate: put back the map-feature triggers a table rebuild dropped."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from truce.monitoring import map_features

    connection = connections[using]
    if MAP_FEATURE_MIGRATION in MigrationRecorder(connection).applied_migrations():
        map_features.ensure_installed(connection)


class MonitoringConfig(AppConfig):
    name = "truce.monitoring"
    label = "monitoring"
    verbose_name = "Ceasefire monitoring"

    def ready(self) -> None:
        post_migrate.connect(_keep_map_features, sender=self)
