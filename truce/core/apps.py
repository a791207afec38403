from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "truce.core"
    label = "core"
    verbose_name = "Truce core registries"

    def ready(self) -> None:
        from truce.core import figures

        figures.discover()
