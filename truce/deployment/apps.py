from django.apps import AppConfig


class DeploymentConfig(AppConfig):
    name = "truce.deployment"
    label = "deployment"
    verbose_name = "Mission deployment and airlift"
