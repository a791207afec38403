from django.apps import AppConfig


class DamageConfig(AppConfig):
    name = "truce.damage"
    label = "damage"
    verbose_name = "Damage assessment"
