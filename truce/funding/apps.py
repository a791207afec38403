from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "truce.funding"
    label = "funding"
    verbose_name = "Funding"
