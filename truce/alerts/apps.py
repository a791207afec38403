from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


class AlertsConfig(AppConfig):
    name = "truce.alerts"
    label = "alerts"
    verbose_name = "Prompt response: alerts"

    def ready(self) -> None:
        checks.register(check_webhook, checks.Tags.security)


def check_webhook(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A webhook URL without a usable secret stops `truce check` (and the server)."""
    from truce.alerts.channels import webhook_config
    from truce.lib.env import ImproperEnvironment

    try:
        webhook_config()
    except ImproperEnvironment as exc:
        return [checks.Error(str(exc), id="alerts.E001")]
    return []
