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
        with urllib.request.urlopen(
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
        [
            *truce_command(),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
            "--grouping",
            "inline",
        ],
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


def _tcp_sockets(pid: int) -> int:
    """Established TCP connections a process holds (its listening socket excluded)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    established = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                established += 1
    return established


def test_two_keep_alive_clients_are_served_by_two_workers(tmp_path: Path) -> None:
    import http.client

    env = {"TRUCE_MODE": "demo", "TRUCE_DATA_DIR": str(tmp_path)}
    assert run(["migrate", "--verbosity", "0"], tmp_path, **env).returncode == 0
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 (our own entry point)
        [
            *truce_command(),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
            "--grouping",
            "inline",
        ],
        cwd=tmp_path,
        env=clean_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(2)]
    try:
        assert _wait(lambda: _answers(port) and len(_children(server.pid)) == 2)
        for client in clients:
            client.request("GET", "/api/v1/openapi.json")
            assert client.getresponse().read()
        workers = _children(server.pid)
        assert _wait(lambda: sorted(_tcp_sockets(w) for w in workers) == [1, 1])
    finally:
        for client in clients:
            client.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_the_least_busy_worker_accepts_the_next_connection() -> None:
    from truce.lib.prefork import Balancer

    class Listener:
        def readable(self) -> bool:
            return True

    balancer = Balancer(2)
    open_connections = [0, 0]
    listeners = [Listener(), Listener()]
    for slot, listener in enumerate(listeners):
        balancer.attach(listener, slot, lambda slot=slot: open_connections[slot])

    def loop_once() -> list[bool]:
        # Each worker's event loop asks in turn; a count is published when asked.
        for listener in listeners:
            listener.readable()
        return [listener.readable() for listener in listeners]

    assert loop_once() == [True, True]
    open_connections[0] = 1
    assert loop_once() == [False, True]
    open_connections[1] = 3
    assert loop_once() == [True, False]


def test_workers_must_be_at_least_one() -> None:
    with pytest.raises(CommandError, match="workers"):
        check_address("127.0.0.1", 8000, 4, 0)
