"""The queue in a real browser: an alert appears within about a second of its
observation's commit, and a keyboard alone acknowledges it. Screenshots go to
artefacts/browser/.

The browser runs in a thread of its own: Playwright's sync API refuses to
start where another session (tests/browser's) already runs an event loop.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction

from tests.browser.conftest import ARTEFACTS, CHROMIUM
from tests.scenario_sections import MONITORING
from truce.alerts import hooks, services
from truce.alerts.models import Alert, AlertStatus
from truce.core.models import Facility, Party, User
from truce.core.records import record_create
from truce.core.scenario.loader import load_scenario
from truce.lib import geo
from truce.lib.time import utcnow, window_of
from truce.monitoring.models import Observation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "ceasefire-2020-demo"
RULE = "Any casualty (browser test)"
SEEN_WATCH = """rule => {
  window.__alertSeen = null;
  const queue = document.getElementById("alert-queue");
  new MutationObserver((changes, observer) => {
    if (queue.innerText.includes(rule)) {
      window.__alertSeen = Date.now();
      observer.disconnect();
    }
  }).observe(queue, {childList: true, subtree: true});
}"""


@pytest.fixture
def demo(live_server: Any) -> Any:
    load_scenario("briefings-2020", only=MONITORING)
    services.alert_rule_create(
        actor=None,
        fields={
            "name": RULE,
            "kind": "casualty",
            "severity": "critical",
            "escalation": [["duty_officer", 10], ["administrator", 20]],
        },
    )
    return live_server


def _report_casualty() -> float:
    """Write an observation with casualties as the ingest would; returns the commit time (ms)."""
    post = Facility.objects.filter(kind="observation_post", is_deleted=False).first()
    assert post is not None and post.lon is not None and post.lat is not None
    reporter = User.objects.filter(party__scope="mission").first()
    now = utcnow()
    with transaction.atomic():
        observation = record_create(
            actor=reporter,
            model=Observation,
            fields={
                "client_uuid": uuid.uuid4(),
                "content_sha256": hashlib.sha256(b"browser").hexdigest(),
                "observed_at": now,
                "window": window_of(now),
                "observer_kind": "op",
                "observer_post": post,
                "reporter": reporter,
                "reporting_party": Party.objects.get(scope="mission"),
                "type": "explosion_impact",
                "zone": post.zone,
                "killed_civilian": 1,
                "geometry": geo.point(post.lon + 0.01, post.lat),
            },
            geometry_types=geo.POINT_TYPES,
        )
        hooks.observations_recorded([observation], actor=reporter)
    return time.time() * 1000.0


def _in_own_thread(job: Callable[[Any], None]) -> None:
    """Run `job(page)` with a fresh Chromium in a thread of its own; re-raise its failure."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    failures: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                context = browser.new_context(viewport={"width": 1280, "height": 860})
                page = context.new_page()
                page.set_default_timeout(15000)
                try:
                    job(page)
                finally:
                    # The job's own database connection (Django keeps one per
                    # context, and Playwright runs the job in a greenlet of its own).
                    connections.close_all()
                    browser.close()
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=run, name="alerts-browser")
    worker.start()
    worker.join(timeout=120)
    if worker.is_alive():
        pytest.fail("the browser test did not finish in 120 s")
    if failures:
        raise failures[0]


def _shot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"))


def test_an_alert_reaches_the_open_queue_and_is_acknowledged_by_keyboard(demo: Any) -> None:
    _in_own_thread(lambda page: _scenario(page, demo.url))


def _scenario(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile("user ?name", re.I)).fill("duty")
    page.get_by_label(re.compile("password", re.I)).fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name=re.compile("^Alerts")).click()
    page.wait_for_url(f"{base}/alerts/")
    page.locator("#queue-state").wait_for(state="attached")

    # The browser notes the moment the row is in the page (Playwright's own
    # waiting polls with back-off and would add up to half a second).
    page.evaluate(SEEN_WATCH, RULE)
    committed = _report_casualty()
    alert = Alert.objects.get(rule__name=RULE)
    page.locator(f"tr#alert-{alert.public_id}.status-open").wait_for(timeout=5000)
    latency = (page.evaluate("window.__alertSeen") - committed) / 1000.0
    # Polled twice a second: in the page within half a second plus one request.
    assert 0 < latency < 1.5, latency
    open_alerts = Alert.objects.filter(status=AlertStatus.OPEN).count()
    assert page.locator("#nav-alert-count").inner_text() == str(open_alerts)
    _shot(page, "alerts-01-queue")

    button = page.locator(f"#ack-{alert.public_id}")
    for _ in range(60):
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("the Acknowledge button is not reachable with the keyboard")
    page.keyboard.press("Enter")
    page.locator(f"span#ack-{alert.public_id}").wait_for()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    # Focus stays on the row that was answered.
    assert page.evaluate("document.activeElement.id") == f"ack-{alert.public_id}"
    _shot(page, "alerts-02-acknowledged")
