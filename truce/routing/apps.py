from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "truce.routing"
    label = "routing"
    verbose_name = "Roads and safe routing"
