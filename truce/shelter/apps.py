from django.apps import AppConfig


class ShelterConfig(AppConfig):
    name = "truce.shelter"
    label = "shelter"
    verbose_name = "Shelter"
