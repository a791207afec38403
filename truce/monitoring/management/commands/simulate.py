"""`truce simulate`: a simulated day (or days) of observations and OP check-ins.

    truce simulate [--start 2020-11-21T14:00:00Z] [--days 1] [--seed 7]
                   [--profile quiet|tense|mixed] [--batch 500] [--scale 1]
                   [--reporter operator] [--side-a-reporter liaison-a]
                   [--side-b-reporter liaison-b] [--tick]
    truce simulate ... --out FILE.jsonl
    truce simulate ... --via-api http://127.0.0.1:8000 --token T
                       [--token-side-a T] [--token-side-b T]

By default the stream is recorded in the configured database through the services
(`observations_record_batch` as the mission's reporter, the sides' complaints as their
liaison officers, `check_in_record` for the check-ins), so it is grouped, fixed, counted
and alerted on exactly as live reports are; then the command prints, through the
selectors, each mission day's counts, the incidents with position fixes and the alerts
raised. `--out` writes the stream as JSON lines instead (one object a line:
{"record": "observation", "party", "event", "data"} or {"record": "check_in", "data"};
`data` is what the ingest or check-in service takes). `--via-api` posts it to a running
Truce's API with bearer tokens.

The default start is the evening (18:00 mission time) after the demo scenario's day,
so a simulated day never changes the figures of 20 November 2020. The posts and zones
come from the database (or, for --out and --via-api with an empty database, from the
demo scenario's files). Every simulated record says so in its source and text.
Running the same command twice writes nothing new: client UUIDs derive from the seed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max

from truce.alerts.models import Alert
from truce.alerts.selectors import alerts_visible_to
from truce.alerts.services import alerts_tick
from truce.core.management.commands._common import clear_errors
from truce.core.models import Facility, FacilityKind, User, Zone
from truce.core.scenario import resolve
from truce.lib.time import iso_utc, mission_zone, utcnow, window_bounds, window_of
from truce.monitoring import selectors
from truce.monitoring.services import (
    MAX_BATCH,
    BatchInvalid,
    check_in_record,
    observations_record_batch,
)
from truce.monitoring.simulate import (
    MISSION,
    PROFILES,
    Layout,
    Post,
    SimCheckIn,
    SimDay,
    SimObservation,
    Simulator,
)

DEFAULT_START = "2020-11-21T14:00:00Z"
DEMO_SCENARIO = "briefings-2020"
SHOWN = 10  # incidents and alerts listed by name in the summary
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Progress:
    """`label: n of N (rate/s)` every `every` items and at the end, so a log shows how it went."""

    def __init__(self, write: Callable[[str], Any], label: str, total: int, every: int) -> None:
        self.write, self.label, self.total, self.every = write, label, total, every
        self.done = 0
        self.next = every
        self.started = time.perf_counter()

    def add(self, n: int) -> None:
        self.done += n
        if self.done < self.next and self.done != self.total:
            return
        self.next = (self.done // self.every + 1) * self.every
        seconds = max(time.perf_counter() - self.started, 1e-6)
        self.write(
            f"  {self.label}: {self.done:,} of {self.total:,} ({self.done / seconds:,.0f}/s)"
        )


class Command(BaseCommand):
    help = "Simulate observations and check-ins (recorded, written to JSONL, or posted to an API)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", default=DEFAULT_START, help="ISO 8601 with offset")
        parser.add_argument("--days", type=int, default=1)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--profile", choices=sorted(PROFILES), default="mixed")
        parser.add_argument("--batch", type=int, default=500, help=f"1 to {MAX_BATCH}")
        parser.add_argument("--scale", type=float, default=1.0, help="multiply activity")
        parser.add_argument("--out", help="write JSON lines to this file instead")
        parser.add_argument("--via-api", metavar="URL", help="post to a Truce API instead")
        parser.add_argument("--token", help="bearer token of the mission's reporter (API)")
        parser.add_argument("--token-side-a", help="side A liaison officer's token (API)")
        parser.add_argument("--token-side-b", help="side B liaison officer's token (API)")
        parser.add_argument("--reporter", default="operator", help="mission user (database)")
        parser.add_argument("--side-a-reporter", default="liaison-a")
        parser.add_argument("--side-b-reporter", default="liaison-b")
        parser.add_argument(
            "--tick",
            action="store_true",
            help="then run the alerts tick as of the end of the simulated days",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = _start(options["start"])
        days, batch, scale = options["days"], options["batch"], options["scale"]
        if not 1 <= days <= 366:
            raise CommandError("days: from 1 to 366")
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"batch: from 1 to {MAX_BATCH}")
        if not 0 < scale <= 10_000:
            raise CommandError("scale: above 0 and at most 10000")
        end = start + dt.timedelta(days=days)
        if start < settings.TRUCE_CEASEFIRE_START:
            raise CommandError(
                f"start: before the ceasefire's start ({iso_utc(settings.TRUCE_CEASEFIRE_START)})"
            )
        if end > utcnow():
            raise CommandError(
                f"start: the simulated days end at {iso_utc(end)}, in the future, "
                "and observations from the future are refused"
            )
        if options["out"] and options["via_api"]:
            raise CommandError("out: give --out or --via-api, not both")
        if options["via_api"] and not options["token"]:
            raise CommandError("token: --via-api needs the mission reporter's --token")
        layout = _layout(required=not (options["out"] or options["via_api"]))
        simulator = Simulator(
            layout,
            start=start,
            days=days,
            seed=options["seed"],
            profile=options["profile"],
            scale=scale,
            time_zone=mission_zone().key,
        )
        generated = time.perf_counter()
        sim_days = list(simulator.run())
        observations = [o for d in sim_days for o in d.observations]
        check_ins = [c for d in sim_days for c in d.check_ins]
        events = sum(len(d.events) for d in sim_days)
        self.stdout.write(
            f"Simulated {days} day(s) from {iso_utc(start)} (profile {options['profile']}, "
            f"seed {options['seed']}): {events:,} events, {len(observations):,} observations, "
            f"{len(check_ins):,} check-ins in {time.perf_counter() - generated:.2f} s"
        )
        if options["out"]:
            self._write_jsonl(Path(options["out"]), sim_days)
        elif options["via_api"]:
            self._post(options, observations, check_ins, batch)
        else:
            with clear_errors():
                self._record(options, observations, check_ins, batch, start, end)
        tick_ran = bool(options["tick"]) and not (options["out"] or options["via_api"])
        self._silences(sim_days, end, tick_ran=tick_ran)

    # --- modes ---------------------------------------------------------------------------

    def _write_jsonl(self, path: Path, days: Sequence[SimDay]) -> None:
        lines = 0
        try:
            with path.open("w", encoding="utf-8") as out:
                for day in days:
                    for obs in day.observations:
                        row = {"record": "observation", "party": obs.party, "event": obs.event}
                        out.write(json.dumps({**row, "data": obs.data}) + "\n")
                        lines += 1
                    for check_in in day.check_ins:
                        out.write(json.dumps({"record": "check_in", "data": check_in.data()}))
                        out.write("\n")
                        lines += 1
        except OSError as exc:
            raise CommandError(f"out: cannot write {path}: {exc.strerror}") from None
        self.stdout.write(f"Wrote {lines:,} lines to {path}")

    def _record(
        self,
        options: dict[str, Any],
        observations: Sequence[SimObservation],
        check_ins: Sequence[SimCheckIn],
        batch: int,
        start: dt.datetime,
        end: dt.datetime,
    ) -> None:
        # Alerts raised from here on are this run's (a tick dates its own to `end`).
        last_alert = Alert.objects.aggregate(last=Max("pk"))["last"] or 0
        mission = _user(options["reporter"], "reporter", "mission")
        if mission is None:
            raise CommandError(f"reporter: no user {options['reporter']!r} (load a scenario?)")
        actors: dict[str, User | None] = {
            MISSION: mission,
            "side_a": _user(options["side_a_reporter"], "side-a-reporter", "side_a"),
            "side_b": _user(options["side_b_reporter"], "side-b-reporter", "side_b"),
        }
        todo = self._by_party(observations, {p for p, a in actors.items() if a is not None})
        total = sum(map(len, todo.values()))
        progress = Progress(self.stdout.write, "observations", total, batch)
        created = 0
        for party, items in todo.items():
            actor = actors[party]
            assert actor is not None
            for chunk in _chunks(items, batch):
                try:
                    results = observations_record_batch(actor=actor, items=[o.data for o in chunk])
                except BatchInvalid as exc:
                    first = exc.errors[0]
                    raise CommandError(
                        f"{first['field']}: {first['message']} (simulated observation "
                        f"{chunk[first['index']].data['client_uuid']}; nothing of that batch "
                        "was written)"
                    ) from None
                created += sum(1 for r in results if r.created)
                progress.add(len(chunk))
        checks = Progress(self.stdout.write, "check-ins", len(check_ins), 500)
        new_checks = 0
        for check_in in check_ins:
            new_checks += check_in_record(actor=mission, **check_in.data()).created
            checks.add(1)
        self.stdout.write(
            f"Recorded {created:,} new observations ({progress.done - created:,} already there) "
            f"and {new_checks:,} new check-ins"
        )
        if options["tick"]:
            tick = alerts_tick(now=end)
            self.stdout.write(
                f"Alerts tick as of {iso_utc(end)}: {tick.raised} raised, "
                f"{tick.escalated} escalated, {tick.resolved} resolved"
            )
        self._summary(mission, observations, start, end, last_alert)

    def _by_party(
        self, observations: Sequence[SimObservation], parties: set[str]
    ) -> dict[str, list[SimObservation]]:
        todo: dict[str, list[SimObservation]] = {}
        skipped: Counter[str] = Counter()
        for obs in observations:
            if obs.party in parties:
                todo.setdefault(obs.party, []).append(obs)
            else:
                skipped[obs.party] += 1
        for party, n in sorted(skipped.items()):
            self.stdout.write(f"  skipped {n} report(s) of {party}: no user or token for it")
        return todo

    def _post(
        self,
        options: dict[str, Any],
        observations: Sequence[SimObservation],
        check_ins: Sequence[SimCheckIn],
        batch: int,
    ) -> None:
        url = options["via_api"]
        tokens = {
            MISSION: options["token"],
            "side_a": options["token_side_a"],
            "side_b": options["token_side_b"],
        }
        clients = {party: Api(url, token) for party, token in tokens.items() if token}
        todo = self._by_party(observations, set(clients))
        total = sum(map(len, todo.values()))
        progress = Progress(self.stdout.write, "observations", total, batch)
        created = 0
        for party, items in todo.items():
            for chunk in _chunks(items, batch):
                body = clients[party].post(
                    "/monitoring/observations/batch", {"items": [o.data for o in chunk]}
                )
                created += int(body.get("created", 0))
                progress.add(len(chunk))
        checks = Progress(self.stdout.write, "check-ins", len(check_ins), 500)
        for check_in in check_ins:
            clients[MISSION].post("/monitoring/check-ins", check_in.data())
            checks.add(1)
        self.stdout.write(f"Posted {progress.done:,} observations ({created:,} new) to {url}")
        windows = sorted({window_of(o.at) for o in observations})
        for window in windows:
            counts = clients[MISSION].get("/monitoring/counts", window=window, by="type")
            total = counts["total"]
            self.stdout.write(
                f"Mission day {window}: {total['observations']:,} observations, "
                f"{total['events']:,} events (previous day {total['previous_observations']:,})"
            )

    # --- what came of it -------------------------------------------------------------------

    def _summary(
        self,
        user: User,
        observations: Sequence[SimObservation],
        start: dt.datetime,
        end: dt.datetime,
        last_alert: int,
    ) -> None:
        write = self.stdout.write
        for window in sorted({window_of(o.at) for o in observations}):
            low, high = window_bounds(window)
            rows = selectors.counts_for(user, window=window, by="type")
            total = sum(r["observations"] for r in rows)
            events = sum(r["events"] for r in rows)
            before = sum(r["previous_observations"] for r in rows)
            write(
                f"Mission day {window} ({iso_utc(low)} to {iso_utc(high)}): {total:,} "
                f"observations, {events:,} events; previous day {before:,}"
            )
            for row in rows:
                write(
                    f"    {row['label']:<36} {row['observations']:>7,} obs {row['events']:>7,} "
                    f"events  ({row['change']:+,})"
                )
        incidents = selectors.incidents_visible_to(user, since=start, until=end)
        fixed = incidents.exclude(position_method="")
        methods = Counter(fixed.values_list("position_method", flat=True))
        shown = ", ".join(f"{n} {m.replace('_', ' ')}" for m, n in sorted(methods.items()))
        write(f"Incidents: {incidents.count():,}; with a position fix: {fixed.count():,} ({shown})")
        for incident in fixed.order_by("-observation_count", "reference")[:SHOWN]:
            near = incident.nearest_settlement
            where = (
                f", {incident.settlement_distance_m / 1000:.1f} km from {near.display_name}"
                if near is not None and incident.settlement_distance_m is not None
                else ""
            )
            uncertainty = (
                f" ±{incident.uncertainty_m:,.0f} m" if incident.uncertainty_m is not None else ""
            )
            write(
                f"    {incident.reference} {incident.type:<24} {incident.observation_count:>4} obs "
                f"{incident.position_method}{uncertainty}"
                f"{f', zone {incident.zone.code}' if incident.zone else ''}{where}"
            )
        alerts = alerts_visible_to(user).filter(pk__gt=last_alert)
        kinds = Counter(alerts.values_list("kind", flat=True))
        write(
            f"Alerts raised: {alerts.count():,}"
            + (f" ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})" if kinds else "")
        )
        for alert in alerts.order_by("raised_at", "pk")[:SHOWN]:
            write(f"    [{alert.severity}] {alert.title}")

    def _silences(self, days: Sequence[SimDay], end: dt.datetime, *, tick_ran: bool) -> None:
        last = days[-1].silent
        for day in days:
            if day.silent is not None:
                post, since = day.silent
                self.stdout.write(f"OP {post} silent from {iso_utc(since)} to the end of its day")
        if last is not None and not tick_ran:
            self.stdout.write(
                f"  `truce alerts tick --now {iso_utc(end)}` raises its op_silent alert"
            )


# --- helpers ----------------------------------------------------------------------------------


def _start(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"start: {value!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        raise CommandError("start: give the UTC offset, e.g. 2020-11-21T14:00:00Z")
    return parsed.astimezone(dt.UTC)


def _user(username: str, option: str, scope: str) -> User | None:
    """The named user, who must belong to a party of the scope; None if there is none."""
    user = User.objects.select_related("party").filter(username=username).first()
    if user is None:
        return None
    if user.party.scope != scope:
        raise CommandError(f"{option}: {username!r} is not a {scope} user")
    return user


def _layout(*, required: bool) -> Layout:
    """The posts and zones of the database; else the demo scenario's files."""
    posts = [
        Post(
            code=f.code,
            lon=float(f.geometry["coordinates"][0]),
            lat=float(f.geometry["coordinates"][1]),
            zone=f.zone.code if f.zone else None,
            role=f.op_role or "contact_line",
        )
        for f in Facility.objects.filter(
            kind=FacilityKind.OBSERVATION_POST, is_deleted=False
        ).select_related("zone")
        if f.geometry and f.geometry.get("type") == "Point"
    ]
    if posts:
        from shapely.geometry import shape

        zones = tuple(
            shape(z.geometry) for z in Zone.objects.filter(is_deleted=False) if z.geometry
        )
        return Layout(tuple(sorted(posts, key=lambda p: p.code)), zones)
    if required:
        raise CommandError(
            "no observation posts in the database: load a scenario first "
            f"(`truce scenario load {DEMO_SCENARIO}`)"
        )
    folder = resolve(DEMO_SCENARIO)
    return Layout.from_geojson(
        json.loads((folder / "facilities.geojson").read_text(encoding="utf-8")),
        json.loads((folder / "zones.geojson").read_text(encoding="utf-8")),
    )


class Api:
    """Just enough of an API client: JSON over HTTP(S) with a bearer token (urllib)."""

    def __init__(self, url: str, token: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise CommandError(f"via-api: {url!r} is not an http:// or https:// URL")
        base = url.rstrip("/")
        self.base = base if base.endswith("/api/v1") else f"{base}/api/v1"
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def _send(self, request: urllib.request.Request) -> Any:
        try:
            # The scheme is checked above: only http(s) is ever opened.
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                error = json.loads(exc.read()).get("error", {})
            except ValueError:
                error = {}
            items = error.get("items") or []
            first = f" (item {items[0]['index']}: {items[0]['message']})" if items else ""
            message = error.get("message") or exc.reason
            raise CommandError(
                f"via-api: {exc.code} from {request.full_url}: {message}{first}"
            ) from None
        except urllib.error.URLError as exc:
            raise CommandError(f"via-api: cannot reach {request.full_url}: {exc.reason}") from None

    def post(self, path: str, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.base + path, data=data, headers=self.headers, method="POST"
        )
        return self._send(request)

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode({k: str(v) for k, v in params.items()})
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            f"{self.base}{path}?{query}", headers=self.headers, method="GET"
        )
        return self._send(request)
