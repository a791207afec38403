from django.apps import AppConfig


class DetaineesConfig(AppConfig):
    name = "truce.detainees"
    label = "detainees"
    verbose_name = "Exchanges of detainees and remains"
