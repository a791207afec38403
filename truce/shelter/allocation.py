"""The allocation run: registered households to free shelter places (issue 4, deliverable 4).

Gathers the inputs (households expected to need a place, open shelters' free places as
of a day, positions), hands them to the pure solver (truce.shelter.solver) and, unless
it is a dry run, writes the outcome: a new AllocationRun whose placements are records
(one per household, placed or left over, each with its reason). The run before it and
its placements become new versions with status "superseded": nothing is overwritten,
and the ledger holds every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import RoleCode, User
from truce.core.records import record_create, record_update
from truce.core.sharing import Scope, viewer_scope, visible
from truce.population.models import Household, Intention
from truce.shelter import solver
from truce.shelter.models import AllocationRun, Placement, RunStatus, Shelter, ShelterStatus
from truce.shelter.occupancy import free_places_by_shelter

ALLOCATOR_ROLES = (RoleCode.ADMINISTRATOR, RoleCode.DUTY_OFFICER)
# Households that move and so need a place: returning or relocating.
MOVING = (Intention.RETURN, Intention.RELOCATE)
DEFAULT_HORIZON_DAYS = 30
RUN_VISIBILITY = (Scope.MISSION.value, Scope.AGENCIES.value)


def may_allocate(user: User | None) -> bool:
    """Mission staff holding an administrator's or duty officer's role."""
    if user is None or not user.is_authenticated:
        return False
    if viewer_scope(user) != Scope.MISSION:
        return False
    return bool(user.is_superuser or user.has_role(*ALLOCATOR_ROLES))


@dataclass
class RunOutcome:
    result: solver.AllocationResult
    run: AllocationRun | None
    households: dict[str, Household]
    shelters: dict[str, Shelter]
    no_position: list[Household] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.run is None


def households_needing_places(
    actor: User | None, as_of: dt.date, horizon_days: int
) -> list[Household]:
    """Households returning or relocating, expected by as_of + horizon (or undated)."""
    until = as_of + dt.timedelta(days=horizon_days)
    rows: QuerySet[Household] = Household.objects.filter(intention__in=MOVING).select_related(
        "origin_settlement"
    )
    rows = visible(rows, actor) if actor is not None else rows.filter(is_deleted=False)
    return list(rows.exclude(expected_on__gt=until).order_by("registered_on", "code"))


def reason_text(
    *,
    code: str,
    people: int,
    vulnerable: bool,
    rank: int | None = None,
    distance_km: float | None = None,
    candidates: int = 0,
    stage: str = "",
) -> str:
    """Why a household is where it is, in the active language (one rule, stored and shown)."""
    first = _("Vulnerable household, placed first.") + " " if vulnerable else ""
    whole = ngettext("{n} person", "{n} people", people).format(n=people)
    km = f"{distance_km:.1f}" if distance_km is not None else "?"
    if code == "nearest":
        text = _(
            "The nearest open shelter to its origin ({km} km) has room for the whole "
            "household ({whole})."
        ).format(km=km, whole=whole)
    elif code == "nearer_full":
        assert rank is not None
        text = ngettext(
            "Shelter {rank} by distance from its origin ({km} km): the nearer one has no "
            "room for the whole household ({whole}).",
            "Shelter {rank} by distance from its origin ({km} km): the {nearer} nearer ones "
            "have no room for the whole household ({whole}).",
            rank - 1,
        ).format(rank=rank, km=km, nearer=rank - 1, whole=whole)
    elif code == "no_room":
        text = _(
            "Not placed: none of the {k} open shelters nearest to its origin has room for "
            "the whole household ({whole})."
        ).format(k=candidates, whole=whole)
    elif code == "no_position":
        text = _("Not placed: its origin settlement has no position to measure distances.")
    else:
        text = _("Not placed: no open shelter has free places.")
    if stage == "priority":
        text += " " + _("Non-vulnerable households were moved to make room.")
    return first + text


def _english_reason(**params: Any) -> str:
    with translation.override("en"):
        return reason_text(**params)


def _inputs(
    households: Iterable[Household], shelters: Iterable[Shelter], free: dict[int, int]
) -> tuple[
    list[solver.HouseholdIn], list[solver.OriginIn], list[solver.ShelterIn], list[Household]
]:
    origins: dict[str, solver.OriginIn] = {}
    rows: list[solver.HouseholdIn] = []
    no_position: list[Household] = []
    for household in households:
        settlement = household.origin_settlement
        if settlement.min_lon is None or settlement.min_lat is None:
            no_position.append(household)
            continue
        origins.setdefault(
            settlement.pcode,
            solver.OriginIn(settlement.pcode, settlement.min_lon, settlement.min_lat),
        )
        rows.append(
            solver.HouseholdIn(
                household.code, household.size, household.is_vulnerable, settlement.pcode
            )
        )
    places = [
        solver.ShelterIn(s.code, free.get(s.pk, 0), s.min_lon, s.min_lat)
        for s in shelters
        if s.min_lon is not None and s.min_lat is not None and free.get(s.pk, 0) > 0
    ]
    return rows, list(origins.values()), places, no_position


def result_fingerprint(outcome: RunOutcome) -> str:
    """Who goes where, as a digest: equal for two runs with the same outcome."""
    digest = hashlib.sha256()
    for placed in sorted(outcome.result.placed, key=lambda p: p.household):
        digest.update(f"{placed.household}>{placed.shelter};".encode())
    for left in sorted(outcome.result.unplaced, key=lambda u: u.household):
        digest.update(f"{left.household}>-;".encode())
    for household in outcome.no_position:
        digest.update(f"{household.code}>?;".encode())
    return digest.hexdigest()


def ensure_allocator(actor: User | None) -> None:
    if actor is not None and not may_allocate(actor):
        raise PermissionDenied("only mission administrators and duty officers run the allocation")


def allocation_run(
    *,
    actor: User | None,
    as_of: dt.date,
    dry_run: bool = False,
    candidates: int = solver.DEFAULT_CANDIDATES,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> RunOutcome:
    """Allocate the households needing places to the free places of as_of.

    A dry run computes and returns the result and writes nothing. Otherwise the new
    run and its placements are written in one transaction, and the previous current
    run (with its placements) is superseded.
    """
    ensure_allocator(actor)
    if candidates < 1:
        raise InvalidInput("must be at least 1", field="candidates")
    if horizon_days < 0:
        raise InvalidInput("cannot be negative", field="horizon_days")
    with transaction.atomic():
        households = households_needing_places(actor, as_of, horizon_days)
        shelters = list(
            Shelter.objects.filter(is_deleted=False, status=ShelterStatus.OPEN).select_related(
                "settlement"
            )
        )
        # Places the previous run handed out are free again: this run replaces it.
        free = free_places_by_shelter(shelters, as_of, include_allocated=False)
        rows, origins, places, no_position = _inputs(households, shelters, free)
        result = solver.allocate(rows, origins, places, candidates=candidates)
        outcome = RunOutcome(
            result=result,
            run=None,
            households={h.code: h for h in households},
            shelters={s.code: s for s in shelters},
            no_position=no_position,
        )
        if dry_run:
            return outcome
        outcome.run = _write(
            actor, as_of, outcome, candidates=candidates, horizon_days=horizon_days, free=free
        )
        return outcome


def _supersede(actor: User | None) -> AllocationRun | None:
    previous = (
        AllocationRun.objects.select_for_update()
        .filter(status=RunStatus.CURRENT, is_deleted=False)
        .order_by("-created_at", "-id")
    )
    last = None
    for run in previous:
        last = last or run
        for placement in Placement.objects.filter(run=run, status=RunStatus.CURRENT):
            record_update(
                actor=actor,
                record=placement,
                expected_version=placement.version,
                changes={"status": RunStatus.SUPERSEDED},
                action="supersede",
            )
        record_update(
            actor=actor,
            record=run,
            expected_version=run.version,
            changes={"status": RunStatus.SUPERSEDED},
            action="supersede",
        )
    return last


def _write(
    actor: User | None,
    as_of: dt.date,
    outcome: RunOutcome,
    *,
    candidates: int,
    horizon_days: int,
    free: dict[int, int],
) -> AllocationRun:
    result = outcome.result
    previous = _supersede(actor)
    households = outcome.households
    unplaced_vulnerable = sum(u.people for u in result.unplaced if u.vulnerable) + sum(
        h.size for h in outcome.no_position if h.is_vulnerable
    )
    run = record_create(
        actor=actor,
        model=AllocationRun,
        fields={
            "as_of": as_of,
            "supersedes": previous,
            "households": len(households),
            "people": sum(h.size for h in households.values()),
            "placed_households": len(result.placed),
            "placed_people": result.people_placed,
            "unplaced_people": result.people_unplaced + sum(h.size for h in outcome.no_position),
            "unplaced_vulnerable_people": unplaced_vulnerable,
            "free_places": sum(free.values()),
            "shelters": len(outcome.shelters),
            "objective": result.objective,
            "lp_bound": result.lp_bound,
            "seconds": result.seconds,
            "parameters": {
                "candidates": candidates,
                "horizon_days": horizon_days,
                "groups": result.groups,
                "fingerprint": result_fingerprint(outcome),
            },
        },
        visibility=RUN_VISIBILITY,
    )
    for placed in result.placed:
        household = households[placed.household]
        code = "nearest" if placed.rank == 1 else "nearer_full"
        params = {
            "code": code,
            "people": placed.people,
            "vulnerable": placed.vulnerable,
            "rank": placed.rank,
            "distance_km": placed.distance_km,
            "stage": placed.stage,
        }
        _placement(actor, run, household, outcome.shelters[placed.shelter], placed, params)
    for unplaced in result.unplaced:
        params = {
            "code": unplaced.reason,
            "people": unplaced.people,
            "vulnerable": unplaced.vulnerable,
            "candidates": result.candidates,
        }
        _placement(actor, run, households[unplaced.household], None, None, params)
    for household in outcome.no_position:
        params = {
            "code": "no_position",
            "people": household.size,
            "vulnerable": household.is_vulnerable,
        }
        _placement(actor, run, household, None, None, params)
    return run


def _placement(
    actor: User | None,
    run: AllocationRun,
    household: Household,
    shelter: Shelter | None,
    placed: solver.Placed | None,
    params: dict[str, Any],
) -> Placement:
    # A placement is seen by exactly those who see its household.
    return record_create(
        actor=actor,
        model=Placement,
        fields={
            "run": run,
            "household": household,
            "shelter": shelter,
            "people": household.size,
            "vulnerable": household.is_vulnerable,
            "distance_km": placed.distance_km if placed else None,
            "rank": placed.rank if placed else None,
            "stage": placed.stage if placed else "",
            "reason_code": params["code"],
            "reason": _english_reason(**params),
        },
        visibility=household.visibility,
    )
