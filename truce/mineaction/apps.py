from django.apps import AppConfig


class MineActionConfig(AppConfig):
    name = "truce.mineaction"
    label = "mineaction"
    verbose_name = "Mine action"
