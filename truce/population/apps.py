from django.apps import AppConfig


class PopulationConfig(AppConfig):
    name = "truce.population"
    label = "population"
    verbose_name = "Displacement and returns"
