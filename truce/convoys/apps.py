from django.apps import AppConfig


class ConvoysConfig(AppConfig):
    name = "truce.convoys"
    label = "convoys"
    verbose_name = "Convoys and deliveries"
