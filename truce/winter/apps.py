from django.apps import AppConfig


class WinterConfig(AppConfig):
    name = "truce.winter"
    label = "winter"
    verbose_name = "Winter readiness"
