"""Several server processes on one listening socket, so a WSGI server uses every core.

Python runs one thread at a time per process, so a single waitress process
uses one core however many threads it has. Here the parent binds the socket,
forks the workers (each then builds its own server, threads and database
connections on the inherited socket, and the kernel hands each connection to
one of them) and supervises them: a worker that dies is replaced, Ctrl+C or
SIGTERM stops them all. POSIX only (fork).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import RawArray
from typing import Any

# A worker dying this often, this fast, is broken, not unlucky: stop instead of looping.
MAX_RESTARTS = 5
RESTART_WINDOW_S = 30.0


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A bound, listening TCP socket (IPv6 if the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class Balancer:
    """Spreads connections over the workers: the least busy one accepts the next.

    Workers share one listening socket, and an idle process accepts every
    connection that arrives while it waits, so two keep-alive clients could
    both end up on one worker (one core) while the other idles. Each worker
    publishes its number of open connections in shared memory; its listener
    asks to accept only while that number is the lowest (ties accept), so the
    next connection goes to the least busy worker.
    """

    def __init__(self, workers: int) -> None:
        self.counts: Any = RawArray("i", workers)

    def attach(self, listener: Any, slot: int, channels: Callable[[], int]) -> None:
        """Wrap a waitress listener's readable() for the worker in `slot`."""
        counts = self.counts
        counts[slot] = 0
        accepting = listener.readable

        def readable() -> bool:
            mine = channels()
            counts[slot] = mine
            return bool(accepting()) and mine <= min(counts)

        listener.readable = readable


@dataclass
class Supervisor:
    """Forks `workers` children that each call run(slot); keeps them running until stopped.

    `slot` is the worker's number (0 .. workers-1), kept by its replacement.
    """

    workers: int
    run: Callable[[int], None]
    log: Callable[[str], None] = field(default=lambda message: None)
    children: dict[int, int] = field(default_factory=dict)
    stopping: bool = False
    restarts: list[float] = field(default_factory=list)

    def _spawn(self, slot: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, _terminate)
                self.run(slot)
            except KeyboardInterrupt:
                pass
            except BaseException as exc:  # a worker must never return into the parent's loop
                print(f"worker {os.getpid()}: {exc!r}", file=sys.stderr, flush=True)
                code = 1
            finally:
                os._exit(code)
        self.children[pid] = slot

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def serve_forever(self) -> int:
        """Run until a signal stops the workers; returns the exit status for the parent."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for slot in range(self.workers):
                self._spawn(slot)
            status = 0
            while self.children:
                try:
                    pid, code = os.wait()
                except ChildProcessError:
                    break
                except InterruptedError:
                    continue
                slot = self.children.pop(pid, -1)
                if self.stopping or slot < 0:
                    continue
                self.log(f"worker {pid} exited ({_describe(code)}); starting another")
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW_S]
                self.restarts.append(now)
                if len(self.restarts) > MAX_RESTARTS:
                    self.log("workers keep dying; stopping")
                    self._stop(signal.SIGTERM, None)
                    status = 1
                    continue
                self._spawn(slot)
            return status
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _describe(code: int) -> str:
    if os.WIFSIGNALED(code):
        return f"signal {os.WTERMSIG(code)}"
    return f"status {os.WEXITSTATUS(code)}"
