"""Single observations at a fixed offered rate through the HTTP API, and alert latency.

Load: the simulator's OP reports, one a request, POSTed to
/api/v1/monitoring/observations at a fixed offered rate (default 200/s for
30 s). The schedule is open-loop: request i is due at t0 + i/rate, and a
pool of client threads (each with its own keep-alive connection) sends each
request at its due time, so a slow answer does not lower the offered rate.
Latency is counted from the due time (it includes any wait for a free client
thread, so a server that falls behind cannot hide it) and, separately, from
the moment the request was sent.

Alerts: during the load a prober POSTs an OP report with a civilian injured
every half second (each its own event, so each raises its own alert under
the demo's "Any casualty" rule), and a poller GETs
/api/v1/alerts/?status=open&kind=casualty&since=... as the duty officer's
client would, every 500 ms (the interval the queue page polls at; --poll-ms
50 measures the latency finer, at 20 reads a second), asking for what was
raised since 5 s before the newest alert it has seen (a client that asked
for everything since the start would read a growing list every time).
Alert latency is from the prober's 201 (the commit) to the first poll answer
holding the alert. Beside it, the duty officer's web queue is watched
as a browser would: signed in through the login form, its fragment polled at
the interval the page's template sets (hx-trigger="every ..."), sending back
the state digest the last fragment carried.

Before the load, the same endpoint is timed with one client back to back
(the server's capacity for this request). --no-alerts runs the load alone.

Targets: 200 requests/s sustained with p99 under 50 ms; alert visible within
1 s of the commit (p99), in the API list and in the web queue.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import re
import threading
import time
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

from bench.common import (
    REPO,
    Http,
    PySpy,
    Result,
    Server,
    benchmark_args,
    close_django,
    finish,
    fmt_ms,
    fresh_database,
    log,
    setup_django,
    sim_observations,
    summarise_stacks,
    summary_ms,
    token_for,
)

SINGLE_PATH = "/api/v1/monitoring/observations"
ALERTS_PATH = "/api/v1/alerts/"
QUEUE_TEMPLATE = REPO / "truce" / "alerts" / "templates" / "alerts" / "queue.html"
WARM_UP = 40
# Probes are placed on a day of their own, 20 minutes apart: each is its own incident.
PROBE_DAY = dt.datetime(2021, 3, 1, 0, 0, tzinfo=dt.UTC)
PROBE_POSTS = ("op-n03", "op-s05", "op-n08", "op-s10")
# How far before the newest alert seen the poller asks again.
POLL_MARGIN = dt.timedelta(seconds=5)
# Request handlers whose share of the server's samples says what the load costs.
FOCUS = (
    "observations_create",
    "alerts_list",
    "queue_fragment",
    "queue",
    "_queue_context",
    "render",
    "commit",
    "collect",
)


def queue_poll_interval() -> str:
    """The web queue's polling interval as its template sets it (hx-trigger="every ...")."""
    try:
        text = QUEUE_TEMPLATE.read_text(encoding="utf-8")
    except OSError:
        return "unknown (template not found)"
    found = re.search(r'hx-trigger="[^"]*every\s+([0-9.]+\s*m?s)', text)
    return found.group(1).replace(" ", "") if found else "unknown (no hx-trigger every)"


def probe_item(k: int) -> dict[str, Any]:
    at = PROBE_DAY + dt.timedelta(minutes=20 * k)
    return {
        "client_uuid": str(uuid.uuid4()),
        "observed_at": at.isoformat().replace("+00:00", "Z"),
        "observer_kind": "op",
        "observer_post": PROBE_POSTS[k % len(PROBE_POSTS)],
        "type": "civilian_harm",
        "count": 1,
        "bearing_deg": float((37 * k) % 360),
        "distance_m": 1500.0,
        "injured_civilian": 1,
        "text": "bench.single_ingest alert probe",
        "visibility": ["side_a", "side_b", "agencies"],
        "source": "bench.single_ingest (not a real observation)",
    }


class Load:
    """Open-loop sender: request i is due at t0 + i / rate; threads take the next due one."""

    def __init__(self, port: int, token: str, bodies: list[bytes], rate: float, clients: int):
        self.port, self.token, self.bodies, self.rate = port, token, bodies, rate
        self.clients = clients
        self.lock = threading.Lock()
        self.next = 0
        self.records: list[tuple[float, float, float, int]] = []  # due, sent, done, status
        self.errors: list[str] = []
        self.t0 = 0.0
        self.deadline = 0.0

    def _take(self) -> int | None:
        with self.lock:
            if self.next >= len(self.bodies) or time.perf_counter() > self.deadline:
                return None
            self.next += 1
            return self.next - 1

    def _worker(self) -> None:
        http = Http(self.port, self.token, timeout=30)
        try:
            while (i := self._take()) is not None:
                due = self.t0 + i / self.rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent = time.perf_counter()
                try:
                    status, _ = http.request("POST", SINGLE_PATH, self.bodies[i])
                except OSError as exc:
                    status = 0
                    self.errors.append(repr(exc))
                    http.close()
                done = time.perf_counter()
                with self.lock:
                    self.records.append((due, sent, done, status))
        finally:
            http.close()

    def start(self, t0: float, deadline: float) -> list[threading.Thread]:
        self.t0, self.deadline = t0, deadline
        threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        return threads


class AlertWatch:
    """Prober (casualty reports) and poller (the alert list every poll_s), on their own threads."""

    def __init__(
        self, port: int, reporter: str, duty: str, probes: int, every_s: float, poll_s: float
    ):
        self.port, self.reporter, self.duty = port, reporter, duty
        self.probes, self.every_s, self.poll_s = probes, every_s, poll_s
        self.committed: dict[str, float] = {}  # observation id -> 201 received
        self.seen: dict[str, float] = {}  # observation id -> first poll answer holding its alert
        self.alert_of: dict[str, str] = {}  # observation id -> alert id
        self.poll_ms: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.since = ""

    def _probe(self, t0: float) -> None:
        http = Http(self.port, self.reporter, timeout=30)
        try:
            for k in range(self.probes):
                due = t0 + 0.25 + k * self.every_s
                delay = due - time.perf_counter()
                if delay > 0 and self.stop.wait(delay):
                    return
                body = json.dumps(probe_item(k)).encode("utf-8")
                status, data = http.request("POST", SINGLE_PATH, body)
                done = time.perf_counter()
                if status != 201:
                    self.errors.append(f"probe {k}: {status} {data[:200]!r}")
                    continue
                with self.lock:
                    self.committed[json.loads(data)["id"]] = done
        finally:
            http.close()

    def _poll(self, deadline: float) -> None:
        # As the API's documentation advises a poller: ask for what was raised
        # since shortly before the newest alert seen (the margin covers an alert
        # raised earlier but committed later), not everything since the start.
        http = Http(self.port, self.duty, timeout=30)
        since = dt.datetime.fromisoformat(self.since)
        tick = time.perf_counter()
        try:
            while not self.stop.is_set() and time.perf_counter() < deadline:
                query = {"status": "open", "kind": "casualty", "since": since.isoformat()}
                path = f"{ALERTS_PATH}?{urlencode({**query, 'limit': 500})}"
                sent = time.perf_counter()
                status, data = http.request("GET", path)
                got = time.perf_counter()
                self.poll_ms.append((got - sent) * 1000)
                if status == 200:
                    for item in json.loads(data)["items"]:
                        observation = item.get("observation") or {}
                        key = observation.get("id")
                        if key and key not in self.seen:
                            self.seen[key] = got
                            self.alert_of[key] = item["id"]
                        raised = dt.datetime.fromisoformat(item["raised_at"].replace("Z", "+00:00"))
                        since = max(since, raised - POLL_MARGIN)
                else:
                    self.errors.append(f"poll: {status} {data[:200]!r}")
                with self.lock:
                    if len(self.committed) == self.probes and set(self.committed) <= set(self.seen):
                        return
                tick += self.poll_s
                delay = tick - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    tick = time.perf_counter()
        finally:
            http.close()

    def start(self, t0: float, deadline: float) -> list[threading.Thread]:
        self.since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)).isoformat()
        threads = [
            threading.Thread(target=self._probe, args=(t0,), daemon=True),
            threading.Thread(target=self._poll, args=(deadline,), daemon=True),
        ]
        for thread in threads:
            thread.start()
        return threads

    def latencies(self) -> list[float]:
        # A poll can answer before the prober's thread has read its 201: that is 0, not less.
        return [max(0.0, self.seen[k] - t) for k, t in self.committed.items() if k in self.seen]


DEMO_PASSWORD = "ceasefire-2020-demo"  # published for demo mode (scenario users.yaml)


def session_cookie(port: int, username: str) -> str:
    """Sign in through the login form as a browser would; returns the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        page = response.read().decode("utf-8")
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise RuntimeError("login form without a CSRF token")
    form = {
        "username": username,
        "password": DEMO_PASSWORD,
        "csrfmiddlewaretoken": found.group(1),
        "next": "/alerts/",
    }
    opener.open(f"{base}/accounts/login/", data=urlencode(form).encode(), timeout=30).close()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"login as {username} failed")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


class QueueWatch:
    """The duty officer's web queue: its fragment polled at the page's own interval."""

    STATE = re.compile(r'id="queue-state" name="state" value="([^"]*)"')
    ALERT = re.compile(r'href="/alerts/([0-9a-f-]{36})/"')

    def __init__(self, port: int, cookie: str, every_s: float) -> None:
        self.port, self.every_s = port, every_s
        self.http = Http(port, timeout=30)
        self.http.headers.update({"Cookie": cookie, "HX-Request": "true", "Accept": "text/html"})
        self.seen: dict[str, float] = {}  # alert id -> first fragment showing it
        self.polls = 0
        self.poll_s: list[float] = []
        self.errors: list[str] = []

    def run(self, stop: threading.Event, deadline: float) -> None:
        state = ""
        tick = time.perf_counter()
        try:
            while not stop.is_set() and time.perf_counter() < deadline:
                sent = time.perf_counter()
                status, data = self.http.request(
                    "GET", f"/alerts/queue/?{urlencode({'state': state})}"
                )
                got = time.perf_counter()
                self.polls += 1
                self.poll_s.append(got - sent)
                if status == 200:
                    html = data.decode("utf-8")
                    found = self.STATE.search(html)
                    state = found.group(1) if found else ""
                    for alert_id in self.ALERT.findall(html):
                        self.seen.setdefault(alert_id, got)
                elif status != 204:
                    self.errors.append(f"queue: {status}")
                tick += self.every_s
                stop.wait(max(0.0, tick - time.perf_counter()))
        finally:
            self.http.close()


def _seconds(interval: str) -> float | None:
    found = re.fullmatch(r"([0-9.]+)(ms|s)", interval)
    if not found:
        return None
    return float(found.group(1)) / (1000 if found.group(2) == "ms" else 1)


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_args(__doc__ or "")
    parser.add_argument("--rate", type=float, help="offered requests/s (default 200; quick 40)")
    parser.add_argument("--duration", type=float, help="seconds (default 30; quick 2)")
    parser.add_argument("--clients", type=int, default=32, help="client threads")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--probe-every", type=float, default=0.5, help="seconds between probes")
    parser.add_argument(
        "--poll-ms", type=float, default=500.0, help="API poll interval (the page's: 500)"
    )
    parser.add_argument(
        "--sequential", type=int, help="back-to-back requests first (default 300; quick 20)"
    )
    parser.add_argument(
        "--no-alerts", action="store_true", help="the load alone: no probes, no alert pollers"
    )
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy")
    args = parser.parse_args(argv)
    rate = args.rate or (40.0 if args.quick else 200.0)
    duration = args.duration or (2.0 if args.quick else 30.0)
    total = int(rate * duration)
    probes = 0 if args.no_alerts else max(1, int(duration / args.probe_every))
    sequential = args.sequential if args.sequential is not None else (20 if args.quick else 300)

    data_dir = fresh_database(args.template, args.work, "single")
    setup_django(data_dir)
    need = total + WARM_UP + sequential
    sims = sim_observations(need, scale=20 if args.quick else 250, seed=11)
    items = [o.data for o in sims][:need]
    reporter, duty = token_for("operator"), token_for("duty")
    close_django()
    bodies = [json.dumps(item).encode("utf-8") for item in items]
    warm, bodies = bodies[:WARM_UP], bodies[WARM_UP:]
    one_by_one, bodies = bodies[:sequential], bodies[sequential:]
    log(f"single_ingest: {total:,} requests at {rate:g}/s for {duration:g} s, {probes} probes")

    with Server(data_dir, threads=args.threads, workers=args.workers) as server:
        http = Http(server.port, reporter)
        for body in warm:
            status, data = http.request("POST", SINGLE_PATH, body)
            if status != 201:
                raise RuntimeError(f"warm-up: {status} {data[:300]!r}")
        # Service time with nothing else going on: one client, back to back.
        alone: list[float] = []
        for body in one_by_one:
            sent = time.perf_counter()
            status, data = http.request("POST", SINGLE_PATH, body)
            alone.append(time.perf_counter() - sent)
            if status != 201:
                raise RuntimeError(f"sequential: {status} {data[:300]!r}")
        http.close()
        Http(server.port, duty).request("GET", ALERTS_PATH + "?limit=1")
        load = Load(server.port, reporter, bodies, rate, args.clients)
        watch = AlertWatch(
            server.port, reporter, duty, probes, args.probe_every, args.poll_ms / 1000
        )
        interval_s = _seconds(queue_poll_interval()) or 1.0
        queue = QueueWatch(server.port, session_cookie(server.port, "duty"), interval_s)
        spy = PySpy(server.pid, args.work / "single_ingest.pyspy.txt") if args.profile else None
        t0 = time.perf_counter() + 0.2
        deadline = t0 + duration + 30  # nothing new is sent after this; bounded run
        threads = load.start(t0, deadline)
        if probes:
            threads += watch.start(t0, deadline)
        queue_stop = threading.Event()
        web = threading.Thread(target=queue.run, args=(queue_stop, deadline), daemon=True)
        if probes:
            web.start()
        for thread in threads[: args.clients]:
            thread.join(timeout=max(0.0, deadline - time.perf_counter()) + 30)
        for thread in threads[args.clients :]:
            thread.join(timeout=max(0.0, t0 + duration + 10 - time.perf_counter()))
        watch.stop.set()
        # The page polls less often than the API poller: give it a few rounds to catch up.
        wanted = set(watch.alert_of.values())
        limit = time.perf_counter() + 10 * interval_s + 5
        while time.perf_counter() < limit and not wanted <= set(queue.seen):
            time.sleep(0.05)
        queue_stop.set()
        for thread in [*threads, web] if probes else threads:
            thread.join(timeout=30)
        stacks = spy.stop() if spy is not None else None

    records = sorted(load.records)
    ok = [r for r in records if r[3] == 201]
    from_due = [done - due for due, _, done, _ in ok]
    from_sent = [done - sent for _, sent, done, _ in ok]
    lag = [sent - due for due, sent, _, _ in records]
    span = (max(r[2] for r in ok) - t0) if ok else float("nan")
    achieved = len(ok) / span if ok else 0.0
    due_ms, sent_ms, lag_ms = summary_ms(from_due), summary_ms(from_sent), summary_ms(lag)
    alert = summary_ms(watch.latencies())
    web_latency = [
        max(0.0, queue.seen[watch.alert_of[k]] - t)
        for k, t in watch.committed.items()
        if k in watch.alert_of and watch.alert_of[k] in queue.seen
    ]
    web = summary_ms(web_latency)
    polls = summary_ms([ms / 1000 for ms in watch.poll_ms])
    interval = queue_poll_interval()

    result = Result(
        "single_ingest", "Single observations at a fixed rate; alert latency", args.quick
    )
    result.sizes = {
        "offered rate": f"{rate:g}/s",
        "duration": f"{duration:g} s",
        "requests": total,
        "client threads": args.clients,
        "server": f"truce serve, waitress, {args.threads} threads",
        "alert probes": f"{probes}, one every {args.probe_every:g} s, on top of the load",
        "alert poll": f"every {args.poll_ms:g} ms",
    }
    service = summary_ms(alone)
    if alone:
        result.figure(
            "one client, back to back",
            f"{len(alone) / sum(alone):,.1f}/s; p50 {fmt_ms(service['p50'])}, "
            f"p99 {fmt_ms(service['p99'])} ({len(alone)} requests)",
        )
    result.figure(
        "answered 201",
        f"{len(ok):,} of {total:,} ({len(records) - len(ok)} failed, "
        f"{total - len(records)} never sent)",
    )
    result.figure("achieved rate", f"{achieved:,.1f}/s over {span:.2f} s")
    result.figure(
        "latency from due time",
        f"p50 {fmt_ms(due_ms['p50'])}, p95 {fmt_ms(due_ms['p95'])}, "
        f"p99 {fmt_ms(due_ms['p99'])}, max {fmt_ms(due_ms['max'])}",
    )
    result.figure(
        "latency from send",
        f"p50 {fmt_ms(sent_ms['p50'])}, p95 {fmt_ms(sent_ms['p95'])}, p99 {fmt_ms(sent_ms['p99'])}",
    )
    result.figure(
        "send lag behind schedule", f"p99 {fmt_ms(lag_ms['p99'])}, max {fmt_ms(lag_ms['max'])}"
    )
    result.figure(
        "alert latency (201 -> in the API list)",
        f"p50 {fmt_ms(alert['p50'])}, p99 {fmt_ms(alert['p99'])}, max {fmt_ms(alert['max'])} "
        f"({len(watch.latencies())} of {probes} seen)",
    )
    result.figure("alert poll request", f"p50 {fmt_ms(polls['p50'])}, p99 {fmt_ms(polls['p99'])}")
    result.figure(
        f"alert latency (201 -> in the web queue, polled every {interval} as the page does)",
        f"p50 {fmt_ms(web['p50'])}, p99 {fmt_ms(web['p99'])}, max {fmt_ms(web['max'])} "
        f"({len(web_latency)} of {probes} seen, {queue.polls} polls)",
    )
    fragment = summary_ms(queue.poll_s)
    result.figure(
        "web queue poll request (fragment, 204 when unchanged)",
        f"p50 {fmt_ms(fragment['p50'])}, p99 {fmt_ms(fragment['p99'])}",
    )
    result.figure("web queue polls every", interval)
    sustained = len(ok) == total and achieved >= 0.98 * rate
    result.target(
        f"{rate:g}/s sustained", f"{achieved:,.1f}/s, {len(ok):,}/{total:,} ok", sustained
    )
    result.target("p99 < 50 ms (from due time)", fmt_ms(due_ms["p99"]), due_ms["p99"] < 50)
    seen_all = len(watch.latencies()) == probes
    result.target(
        "alert visible within 1 s of commit (p99)",
        fmt_ms(alert["p99"]) + ("" if seen_all else " (some never seen)"),
        (seen_all and alert["p99"] < 1000) if probes else None,
    )
    web_all = len(web_latency) == probes
    result.target(
        "alert visible in the web queue within 1 s of commit (p99)",
        fmt_ms(web["p99"]) + ("" if web_all else " (some never seen)"),
        (web_all and web["p99"] < 1000) if probes else None,
    )
    if not probes:
        result.notes.append("--no-alerts: the load alone, alert latency not measured.")
    elif probes < 100:
        result.notes.append(f"p99 of {probes} alert probes is close to their maximum.")
    result.checks = {
        "requests": total,
        "ok": len(ok),
        "errors": (load.errors + watch.errors + queue.errors)[:10],
        "probes": probes,
        "alerts_seen": len(watch.latencies()),
        "alerts_seen_in_web_queue": len(web_latency),
    }
    result.raw = {
        "achieved_per_s": achieved,
        "sequential_ms": service,
        "sequential_per_s": len(alone) / sum(alone) if alone else None,
        "from_due_ms": due_ms,
        "from_sent_ms": sent_ms,
        "lag_ms": lag_ms,
        "alert_ms": alert,
        "web_queue_ms": web,
        "poll_ms": polls,
        "queue_interval": interval,
    }
    if stacks is not None:
        profile = summarise_stacks(stacks, FOCUS, top=12)
        shares = ", ".join(f"{k} {v}%" for k, v in profile["inclusive_pct"].items() if v)
        result.notes.append(f"py-spy, {profile['samples']} samples, inclusive: {shares}")
        hottest = ", ".join(f"{frame} {pct}%" for frame, pct in profile["own_pct"])
        result.notes.append(f"py-spy, hottest own frames: {hottest}")
    finish(result, args.out)


if __name__ == "__main__":
    main()
