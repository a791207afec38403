from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "truce.alerts"
    label = "alerts"
    verbose_name = "Prompt response: alerts"
