"""Under `truce serve`, a grouper process beside the workers forms the incidents."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_cli import clean_env, run, truce_command
from tests.core.test_serve_workers import _answers, _children, _free_port, _wait

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the grouper process needs fork")


def _call(port: int, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_an_observation_posted_to_the_server_is_grouped_by_its_grouper(tmp_path: Path) -> None:
    env = {"TRUCE_MODE": "demo", "TRUCE_DATA_DIR": str(tmp_path)}
    assert run(["demo", "--no-serve", "--data-dir", str(tmp_path)], tmp_path).returncode == 0
    made = run(["token", "create", "--user", "operator"], tmp_path, **env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (our own entry point)
        [*truce_command(), "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        cwd=tmp_path,
        env=clean_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait(lambda: _answers(port)), "the server never answered"
        assert len(_children(server.pid)) == 2  # one web worker, one grouper
        observed = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
        status, created = _call(
            port,
            token,
            "POST",
            "/api/v1/monitoring/observations",
            {
                "client_uuid": str(uuid.uuid4()),
                "observed_at": observed.isoformat(),
                "observer_kind": "op",
                "observer_post": "op-n01",
                "type": "explosion_impact",
                "bearing_deg": 90,
                "distance_m": 2000,
            },
        )
        assert status == 201
        path = f"/api/v1/monitoring/observations/{created['id']}"

        def grouped() -> bool:
            return _call(port, token, "GET", path)[1]["incident"] is not None

        started = time.monotonic()
        assert _wait(grouped, timeout=10), "the observation was never grouped"
        assert time.monotonic() - started < 10
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "a grouper" in output
