from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "truce.monitoring"
    label = "monitoring"
    verbose_name = "Ceasefire monitoring"
