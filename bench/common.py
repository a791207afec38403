"""What every benchmark shares: data folders, a served Truce, HTTP, timing, percentiles.

A benchmark runs in its own process (bench.run starts one per benchmark), so
each can point Django at its own SQLite file before the settings load. The
demo database is built once per run (`truce demo --no-serve`: migrations and
the briefings-2020 scenario through the services) and copied for each use.

All traffic goes to 127.0.0.1; every loop here is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = "truce.sqlite3"
SCENARIO = REPO / "scenarios" / "briefings-2020"
# The evening after the demo scenario's day (18:00 mission time), as `truce simulate`.
SIM_START = dt.datetime(2020, 11, 21, 14, 0, tzinfo=dt.UTC)
HOST = "127.0.0.1"


# --- the machine ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """nproc, CPU model, memory, Python and SQLite versions: where a figure was measured."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }


# --- numbers -------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), linear between the two nearest ranks; NaN if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99, max and mean of durations given in seconds, in milliseconds."""
    if not seconds:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan}
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 3),
        "p95": round(percentile(ms, 95), 3),
        "p99": round(percentile(ms, 99), 3),
        "max": round(max(ms), 3),
        "mean": round(sum(ms) / len(ms), 3),
    }


@contextlib.contextmanager
def timed() -> Iterator[Callable[[], float]]:
    """`with timed() as elapsed: ...; elapsed()` gives seconds (perf_counter), also after."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def log(message: str) -> None:
    print(message, flush=True)


# --- results -------------------------------------------------------------------------------


@dataclass
class Result:
    """What a benchmark reports: sizes, raw figures, comparisons, targets, correctness checks."""

    name: str
    title: str
    quick: bool
    sizes: dict[str, Any] = field(default_factory=dict)
    figures: list[tuple[str, str]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def figure(self, label: str, value: str) -> None:
        self.figures.append((label, value))

    def target(self, target: str, measured: str, met: bool | None) -> None:
        self.targets.append({"target": target, "measured": measured, "met": met})

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "quick": self.quick,
            "sizes": self.sizes,
            "figures": [list(f) for f in self.figures],
            "targets": self.targets,
            "checks": self.checks,
            "notes": self.notes,
            "raw": self.raw,
            "machine": machine(),
            "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }

    def print(self) -> None:
        log(f"\n== {self.name}: {self.title}")
        for key, value in self.sizes.items():
            log(f"  size  {key}: {value}")
        for label, value in self.figures:
            log(f"  {label}: {value}")
        for t in self.targets:
            state = {True: "MET", False: "MISSED", None: "n/a"}[t["met"]]
            log(f"  target {t['target']}: {t['measured']} -> {state}")
        for note in self.notes:
            log(f"  note: {note}")


def benchmark_args(description: str) -> argparse.ArgumentParser:
    """The options bench.run passes to every benchmark process."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--template", type=Path, help="folder holding a demo database to copy")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder of this run")
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON result")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to prove the code")
    return parser


def finish(result: Result, out: Path) -> None:
    result.print()
    out.write_text(json.dumps(result.as_dict(), indent=2, default=str), encoding="utf-8")


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}/s"


def fmt_ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


# --- databases -----------------------------------------------------------------------------


def truce_env(data_dir: Path, mode: str = "demo") -> dict[str, str]:
    """The environment of a Truce process on this data folder (its own SQLite file)."""
    env = dict(os.environ)
    env.pop("TRUCE_DATABASE_URL", None)
    env.update(
        {
            "TRUCE_MODE": mode,
            "TRUCE_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "truce.settings",
            "TRUCE_LOG_LEVEL": "ERROR",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        }
    )
    return env


def build_template(folder: Path) -> Path:
    """A migrated database with the demo scenario, made the way `truce demo` makes it."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [PYTHON, "-m", "truce.cli", "demo", "--data-dir", str(folder), "--no-serve"]
    done = subprocess.run(  # bounded: the command returns after loading
        command,
        env=truce_env(folder),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"truce demo failed:\n{done.stdout}\n{done.stderr}")
    checkpoint(folder / DB_NAME)
    return folder


def checkpoint(db: Path) -> None:
    """Fold the WAL into the main file, so copying the one file copies the database."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def fresh_database(template: Path | None, work: Path, name: str) -> Path:
    """A data folder holding a copy of the template's database (built here if not given)."""
    folder = work / name
    if folder.exists():
        shutil.rmtree(folder)
    if template is None:
        template = build_template(work / "template")
    folder.mkdir(parents=True)
    shutil.copy2(template / DB_NAME, folder / DB_NAME)
    return folder


def setup_django(data_dir: Path, mode: str = "demo") -> None:
    """Point this process's Django at the data folder, then set it up (once per process)."""
    os.environ.update(truce_env(data_dir, mode))
    import django

    django.setup()


def close_django() -> None:
    from django.db import connections

    connections.close_all()


def raw_connection(db: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with Truce's own PRAGMAs (WAL, synchronous=FULL, FKs on)."""
    from truce.lib.database import SQLITE_INIT

    con = sqlite3.connect(db, isolation_level=None, timeout=20)
    for pragma in SQLITE_INIT.split(";"):
        if pragma.strip():
            con.execute(pragma)
    return con


def columns_of(con: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in con.execute(f'PRAGMA table_info("{table}")')]


# --- tokens --------------------------------------------------------------------------------


def token_for(username: str) -> str:
    """A fresh API token for a demo user (Django must be set up on the server's database)."""
    from truce.core.services import token_create

    _, secret = token_create(actor=None, user=username, name="bench")
    return secret


# --- the simulator -------------------------------------------------------------------------


def sim_layout() -> Any:
    """The demo scenario's posts and zones, as `truce simulate` reads them from its files."""
    from truce.monitoring.simulate import Layout

    return Layout.from_geojson(
        json.loads((SCENARIO / "facilities.geojson").read_text(encoding="utf-8")),
        json.loads((SCENARIO / "zones.geojson").read_text(encoding="utf-8")),
    )


def sim_observations(
    at_least: int,
    *,
    scale: float,
    parties: Sequence[str] = ("mission",),
    seed: int = 7,
    profile: str = "mixed",
    start: dt.datetime = SIM_START,
    max_days: int = 60,
) -> list[Any]:
    """Simulated observations (SimObservation) of the given parties, whole days at a time."""
    from truce.monitoring.simulate import Simulator

    simulator = Simulator(
        sim_layout(), start=start, days=max_days, seed=seed, profile=profile, scale=scale
    )
    out: list[Any] = []
    for index in range(max_days):
        out += [o for o in simulator.day(index).observations if o.party in parties]
        if len(out) >= at_least:
            return out
    raise RuntimeError(f"{max_days} simulated days gave only {len(out)} observations")


# --- a served Truce ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """`truce serve` (waitress) on 127.0.0.1 as a child process, stopped by its own pid."""

    def __init__(
        self,
        data_dir: Path,
        *,
        threads: int = 8,
        workers: int = 1,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.threads = threads
        self.workers = workers
        self.port = free_port()
        self.log_path = log_path or data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> Server:
        command = [
            PYTHON,
            "-m",
            "truce.cli",
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--threads",
            str(self.threads),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                command, env=truce_env(self.data_dir), cwd=REPO, stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"truce serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                status, _ = Http(self.port).request("GET", "/api/v1/openapi.json")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"truce serve did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Http:
    """A keep-alive HTTP/1.1 connection to 127.0.0.1 speaking JSON with a bearer token."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 120.0) -> None:
        self.port = port
        self.timeout = timeout
        self.headers = {"Accept": "application/json", "Connection": "keep-alive"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        status, data = self.request(method, path, body)
        return status, json.loads(data) if data else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- profiling a live server ---------------------------------------------------------------


class PySpy:
    """py-spy sampling a running process (raw collapsed stacks), if py-spy is installed."""

    def __init__(self, pid: int, out: Path, rate: int = 200) -> None:
        self.out = out
        self.proc: subprocess.Popen[bytes] | None = None
        exe = shutil.which("py-spy") or str(Path(PYTHON).with_name("py-spy"))
        if not Path(exe).exists():
            return
        command = [exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw"]
        command += ["--subprocesses"]  # the server's workers are its children
        command += ["--output", str(out), "--duration", "600", "--nonblocking"]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self) -> Path | None:
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        return self.out if self.out.exists() else None


def summarise_stacks(path: Path, focus: Sequence[str], top: int = 15) -> dict[str, Any]:
    """Share of samples inside each focus function (inclusive) and the hottest own frames."""
    total = 0
    inclusive = dict.fromkeys(focus, 0)
    own: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for name in focus:
            if any(frame.startswith(name + " ") for frame in frames):
                inclusive[name] += count
        leaf = frames[-1]
        own[leaf] = own.get(leaf, 0) + count
    share = {k: round(100.0 * v / total, 1) if total else 0.0 for k, v in inclusive.items()}
    hottest = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    return {
        "samples": total,
        "inclusive_pct": share,
        "own_pct": [(frame, round(100.0 * n / total, 1)) for frame, n in hottest],
    }
