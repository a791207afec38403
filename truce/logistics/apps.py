from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "truce.logistics"
    label = "logistics"
    verbose_name = "Aid logistics: items, stock, consignments"
