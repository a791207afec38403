"""Single reports that arrive together are written together (group commit).

Under load, single observations reach a web process faster than one write
transaction at a time can take them: each pays a fixed price (the write
lock, the ledger head, a commit with its fsync) that dwarfs its own rows.
Here a report joins a queue; the first to find no one writing becomes the
leader, takes every report queued by then, checks them (each on its own),
writes the valid ones in one transaction, gives every report its own answer,
and passes the lead to a report that queued meanwhile. With nothing else
arriving a report is its own group, written at once: no waiting is added.

Each report still gets exactly what observation_record would give it alone:
its own error for a bad field or a clashing client UUID (the others are
written regardless), the first observation for a resend, 201 or 200.
Used where grouping is done in the background (`truce serve`), where an
ingest writes only the observations, their ledger entries and their counts.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from truce.core.errors import Conflict, InvalidInput
from truce.core.models import User
from truce.ledger.services import ledger_lock

# A group is what one transaction writes; more than this waits for the next.
MAX_GROUP = 200


@dataclass(eq=False)
class _Report:
    actor: User
    data: Mapping[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    result: Any = None
    error: BaseException | None = None


class GroupCommitter:
    """One per process: see the module's notes."""

    def __init__(self, max_group: int = MAX_GROUP) -> None:
        self.max_group = max_group
        self._lock = threading.Lock()
        self._queue: list[_Report] = []
        self._leading = False

    def record(self, actor: User, data: Mapping[str, Any]) -> Any:
        """observation_record's answer for this report, written with those beside it."""
        report = _Report(actor, data)
        with self._lock:
            self._queue.append(report)
            if not self._leading:
                self._leading = report.lead = True
        while True:
            if report.lead:
                self._lead()
            report.done.wait()
            if report.result is not None or report.error is not None:
                break
            # Woken to lead, not answered yet: take the queue.
            report.done.clear()
        if report.error is not None:
            raise report.error
        return report.result

    def _lead(self) -> None:
        with self._lock:
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
        try:
            _write_group(group)
        except BaseException as exc:
            for report in group:
                if report.result is None and report.error is None:
                    report.error = exc
        finally:
            with self._lock:
                if self._queue:
                    nxt = self._queue[0]
                    nxt.lead = True
                    nxt.done.set()  # it leads, then waits for its own answer again
                else:
                    self._leading = False
            for report in group:
                report.lead = False
                report.done.set()


def _error_for(problems: Sequence[dict[str, Any]]) -> BaseException:
    """The exception a lone single report would have raised for its first problem."""
    from truce.monitoring.services import ingest

    first = problems[0]
    if ingest.is_clash(first):
        return Conflict(first["message"], field="client_uuid")
    field_name = None if first["field"] == "item" else first["field"]
    return InvalidInput(first["message"], field=field_name)


def _batches(group: list[_Report]) -> list[list[_Report]]:
    """The group as batches of one reporter each, none naming a client UUID twice.

    A batch judges repeated UUIDs against each other, but reports sent apart
    are judged one after the other: a resend finds the first one stored. So
    a repeat goes to a later batch of the same transaction, which sees what
    the earlier ones wrote, exactly as if it had arrived after them.
    """
    batches: list[list[_Report]] = []
    seen: list[tuple[int, set[Any]]] = []  # per batch: its reporter and UUIDs
    for report in group:
        key = report.data.get("client_uuid") if isinstance(report.data, Mapping) else None
        for batch, (actor_id, keys) in zip(batches, seen, strict=True):
            if actor_id == report.actor.pk and (key is None or key not in keys):
                batch.append(report)
                keys.add(key)
                break
        else:
            batches.append([report])
            seen.append((report.actor.pk, {key}))
    return batches


def _write_group(group: list[_Report]) -> None:
    from truce.monitoring.services import ingest

    prepared: list[tuple[User, list[_Report], Any]] = []
    for reports in _batches(group):
        live, plan = _prepared(reports)
        if live:
            prepared.append((reports[0].actor, live, plan))
    if not prepared:
        return
    with transaction.atomic():
        head = ledger_lock()
        for actor, reports, plan in prepared:
            _commit(ingest, actor, reports, plan, head)


def _prepared(reports: list[_Report]) -> tuple[list[_Report], Any]:
    """The reports that pass every check made before the lock, and their prepared batch."""
    from truce.monitoring.services import ingest

    live = list(reports)
    while live:
        try:
            return live, ingest.prepare_reports(live[0].actor, [r.data for r in live])
        except ingest.BatchInvalid as exc:
            live = _drop_refused(live, exc.errors)
        except (InvalidInput, Conflict) as exc:  # one that concerns them all (e.g. the actor)
            for report in live:
                report.error = exc
            return [], None
    return [], None


def _drop_refused(reports: list[_Report], errors: Sequence[dict[str, Any]]) -> list[_Report]:
    by_index: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for error in errors:
        by_index[error["index"]].append(error)
    for index, problems in by_index.items():
        reports[index].error = _error_for(problems)
    return [r for i, r in enumerate(reports) if i not in by_index]


def _commit(ingest: Any, actor: User, reports: list[_Report], plan: Any, head: Any) -> None:
    """Write one reporter's reports in a savepoint; a clash found under the lock drops its own."""
    while reports:
        try:
            with transaction.atomic():
                results = ingest.commit_reports(actor, plan, head)
        except ingest.BatchInvalid as exc:
            reports = _drop_refused(reports, exc.errors)
            reports, plan = _prepared(reports)
            head = ledger_lock()  # as it is after the savepoint's rollback
            continue
        for report, result in zip(reports, results, strict=True):
            report.result = result
        return
