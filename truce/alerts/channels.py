"""Optional outbound channels: a signed webhook and e-mail.

Both are sent only after the alert's transaction commits (an alert that
rolled back was never raised), from a background thread with a short
timeout, and a failure is logged, never raised: a slow or dead receiver
must not hold up an observation's ingest or the duty officer's click.

Webhook: POST of the JSON body to TRUCE_ALERT_WEBHOOK_URL with the header
`X-Truce-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body bytes
under TRUCE_ALERT_WEBHOOK_SECRET. A receiver recomputes it over the raw body
and compares in constant time (see `signature` and README.md here).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from truce.lib.canonical import canonical_json
from truce.lib.env import ImproperEnvironment, env_str
from truce.lib.time import iso_utc, utcnow

if TYPE_CHECKING:
    from truce.alerts.models import Alert

logger = logging.getLogger("truce.alerts")

SIGNATURE_HEADER = "X-Truce-Signature"
EVENT_HEADER = "X-Truce-Event"
TIMEOUT_SECONDS = 5.0
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str


def webhook_config() -> WebhookConfig | None:
    """The webhook from settings or the environment; None when not configured.

    Raises ImproperEnvironment for a URL without a usable secret, so a
    half-configured deployment is refused by `truce check` instead of
    sending unsigned alerts.
    """
    url = getattr(settings, "TRUCE_ALERT_WEBHOOK_URL", None) or env_str("TRUCE_ALERT_WEBHOOK_URL")
    if not url:
        return None
    if not url.startswith(("https://", "http://")):
        raise ImproperEnvironment(f"TRUCE_ALERT_WEBHOOK_URL={url!r}: expected an http(s) URL")
    secret = getattr(settings, "TRUCE_ALERT_WEBHOOK_SECRET", None) or env_str(
        "TRUCE_ALERT_WEBHOOK_SECRET"
    )
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        raise ImproperEnvironment(
            f"TRUCE_ALERT_WEBHOOK_SECRET must be set (at least {MIN_SECRET_LENGTH} characters) "
            "when TRUCE_ALERT_WEBHOOK_URL is"
        )
    return WebhookConfig(url=url, secret=secret)


def signature(body: bytes, secret: str) -> str:
    """The X-Truce-Signature value of a body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(body: bytes, header: str, secret: str) -> bool:
    """What a receiver does: recompute over the raw body, compare in constant time."""
    return hmac.compare_digest(signature(body, secret), header)


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return int(response.status)


def _run_in_background(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="truce-alert-channel", daemon=True).start()


def _safely(name: str, job: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:
            logger.exception("alert channel %s failed", name)

    return run


def event_body(event: str, payload: dict[str, Any]) -> bytes:
    return canonical_json({"event": event, "sent_at": iso_utc(utcnow()), "alert": payload}).encode(
        "utf-8"
    )


def _send_webhook(config: WebhookConfig, event: str, body: bytes) -> None:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "truce-alerts/1",
        EVENT_HEADER: event,
        SIGNATURE_HEADER: signature(body, config.secret),
    }
    status = _http_post(config.url, body, headers)
    if status >= 300:
        logger.warning("alert webhook answered %s for %s", status, event)


def _send_email(recipients: list[str], subject: str, text: str) -> None:
    send_mail(subject, text, None, recipients, fail_silently=False)


def notify(alert: Alert, event: str) -> None:
    """Queue the channels for an alert event; they run once the transaction commits."""
    from truce.alerts.serializers import alert_payload

    try:
        config = webhook_config()
    except ImproperEnvironment:
        logger.exception("alert webhook is misconfigured; not sent")
        config = None
    recipients = list(alert.rule.recipients or [])
    if config is None and not recipients:
        return
    # The stored text (LANGUAGE_CODE), as chained: the webhook is a machine, and
    # a rule's recipients are bare addresses with no language of their own.
    payload = alert_payload(alert)
    step = " escalated to " + alert.current_role if event == "alert.escalated" else ""
    subject = f"[Truce {alert.get_severity_display()}{step}] {alert.title}"
    text = alert.message

    def dispatch() -> None:
        if config is not None:
            body = event_body(event, payload)
            _run_in_background(_safely("webhook", lambda: _send_webhook(config, event, body)))
        if recipients:
            _run_in_background(_safely("email", lambda: _send_email(recipients, subject, text)))

    transaction.on_commit(dispatch)
