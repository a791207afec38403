"""`truce serve --workers N`: N processes share the port; one that dies is replaced."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from tests.core.test_cli import clean_env, run, truce_command
from truce.core.management.commands.serve import check_address

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need fork")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _wait(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(  # noqa: S310 (our own server on loopback)
            f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5
        ) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_workers_share_the_port_and_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    env = {"TRUCE_MODE": "demo", "TRUCE_DATA_DIR": str(tmp_path)}
    assert run(["migrate", "--verbosity", "0"], tmp_path, **env).returncode == 0
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (our own entry point)
        [*truce_command(), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        cwd=tmp_path,
        env=clean_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait(lambda: _answers(port)), "the server never answered"
        assert _wait(lambda: len(_children(server.pid)) == 2)
        first = _children(server.pid)

        os.kill(min(first), signal.SIGKILL)
        assert _wait(lambda: len(_children(server.pid)) == 2 and _children(server.pid) != first)
        assert all(_answers(port) for _ in range(10))
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "2 workers x 2 threads" in output
    assert "exited (signal 9); starting another" in output
    assert not _answers(port)


def test_workers_must_be_at_least_one() -> None:
    with pytest.raises(CommandError, match="workers"):
        check_address("127.0.0.1", 8000, 4, 0)
