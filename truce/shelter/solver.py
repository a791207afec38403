"""Allocating registered households to free shelter places: the pure solver (no Django).

The problem. Households (a size, vulnerable or not, an origin place) go to shelters
(a number of free places, a position). A household is never split, no shelter takes
more people than it has free places, vulnerable households go first, and people stay
near their origin. Households left over (there are more people than places) are listed
with the reason.

Why this formulation. Placing whole households of different sizes into capacitated
shelters is a multiple-knapsack problem: the integrality of "one household, one
shelter" is what makes it hard, and a min-cost flow does not capture it (a flow would
split a family of five into 3 + 2 the moment it is cheaper). But households are
interchangeable within a group of the same origin, size and vulnerability, and
there are few such groups (about 50-100 origins x 1-12 people x 2, so a few hundred to
a couple of thousand) against thousands of households. So the model is aggregated:

    y[g, s] >= 0   households of group g placed in shelter s, for the K shelters
                   nearest to g's origin (people do not go across the map)
    sum_g size_g * y[g, s] <= free_s                       (capacity of every shelter)
    sum_s y[g, s]          <= n_g                          (each household at most once)
    minimise  sum size_g * w_g * dist(g, s) * y[g, s]
              + sum size_g * P_g * (n_g - sum_s y[g, s])

w_g weighs a vulnerable person's kilometre three times a plain one's, so given the
choice the nearer places go to vulnerable households. P_g is a penalty per person left
unplaced, larger than any candidate distance (so placing someone always beats keeping
them near home) and, for vulnerable groups, larger than a whole non-vulnerable
household's penalty (so a vulnerable person outranks any non-vulnerable household). The
LP relaxation is solved with HiGHS (a basic optimum has at most one fractional y per
constraint, a few thousand against tens of thousands of households, so rounding down
loses little); the integral part is kept and the rest repaired greedily:

1. place unplaced households, vulnerable first and larger first, in the nearest candidate
   shelter with room;
2. for a vulnerable household still unplaced, make room in the nearest candidate shelter
   where removing non-vulnerable households would let it in, and re-place those;
3. exchange a left-over household for a placed one of no higher priority (taken out,
   or moved to another of its shelters with room) when that lowers the objective;
4. move any household to a nearer candidate shelter that has room for it;

repeated until nothing changes (every step lowers the objective, so it ends). Then,
within a time box (3 s for the whole call), HiGHS' MIP is given the same integer model;
if it finds a better allocation in the time left (it solves a day's registrations, a few
hundred households, outright) that one is taken, repaired the same way. Each
step keeps the rules by construction, and the end state makes every reason true:
a household in its 3rd nearest shelter is there because the two nearer ones have no
room for it, a vulnerable household left over had no candidate shelter with room even
after every non-vulnerable household was taken out. The same integer model can be given
to a MIP solver (`mip_objective`) to measure how far from the optimum this lands.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

EARTH_RADIUS_KM = 6371.0088
DEFAULT_CANDIDATES = 30
# Time box of the MIP polish after the LP and repair, and of the whole call (see allocate).
DEFAULT_MIP_SECONDS = 1.5
TIME_BOX_S = 3.0
MIN_MIP_SECONDS = 0.25
# Penalty per person unplaced, in the objective's unit (person-km): more than any
# candidate distance in the area of operation (a few hundred km at most).
UNPLACED_PENALTY_KM = 1000.0
# A vulnerable person's kilometre weighs more: given the choice, the nearer places go to
# vulnerable households (an older person or a sick child travels worst).
VULNERABLE_DISTANCE_WEIGHT = 3.0


@dataclass(frozen=True)
class HouseholdIn:
    key: str
    size: int
    vulnerable: bool
    origin: str


@dataclass(frozen=True)
class OriginIn:
    key: str
    lon: float
    lat: float


@dataclass(frozen=True)
class ShelterIn:
    key: str
    free: int
    lon: float
    lat: float


@dataclass(frozen=True)
class Placed:
    household: str
    shelter: str
    people: int
    distance_km: float
    rank: int  # 1 = the nearest shelter to the household's origin
    vulnerable: bool
    stage: str  # "optimal" (kept from the LP), "repair", "priority" (room made for it)


@dataclass(frozen=True)
class Unplaced:
    household: str
    people: int
    vulnerable: bool
    reason: str  # "no_room" | "no_shelter_nearby" | "no_position"


@dataclass
class AllocationResult:
    placed: list[Placed]
    unplaced: list[Unplaced]
    objective: float
    lp_bound: float
    candidates: int
    groups: int
    seconds: float
    stats: dict[str, float] = field(default_factory=dict)
    method: str = "lp+repair"

    @property
    def people_placed(self) -> int:
        return sum(p.people for p in self.placed)

    @property
    def people_unplaced(self) -> int:
        return sum(u.people for u in self.unplaced)


class SolverError(ValueError):
    """Bad solver input (names the offending item)."""


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distances, broadcasting the two sets of points against each other."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def penalties(max_size: int) -> tuple[float, float]:
    """(non-vulnerable, vulnerable) penalty per person unplaced."""
    return UNPLACED_PENALTY_KM, UNPLACED_PENALTY_KM * (max_size + 1)


# --- the aggregated model -------------------------------------------------------------


@dataclass
class Model:
    """The aggregated LP/MIP: groups x candidate shelters, in matrix form."""

    group_keys: list[tuple[str, int, bool]]  # (origin, size, vulnerable)
    members: list[list[int]]  # household indexes of each group, in input order
    sizes: np.ndarray
    counts: np.ndarray
    penalty: np.ndarray  # per person, per group
    weight: np.ndarray  # distance weight per group
    var_group: np.ndarray  # per variable
    var_shelter: np.ndarray
    var_rank: np.ndarray
    var_dist: np.ndarray
    free: np.ndarray
    constant: float  # the objective with nobody placed

    @property
    def cost(self) -> np.ndarray:
        g = self.var_group
        return self.sizes[g] * (self.weight[g] * self.var_dist - self.penalty[g])

    def constraints(self) -> tuple[sparse.csr_matrix, np.ndarray]:
        n_vars = len(self.var_group)
        n_shelters = len(self.free)
        rows = np.concatenate([self.var_shelter, n_shelters + self.var_group])
        cols = np.concatenate([np.arange(n_vars), np.arange(n_vars)])
        vals = np.concatenate([self.sizes[self.var_group], np.ones(n_vars)])
        matrix = sparse.csr_matrix(
            (vals, (rows, cols)), shape=(n_shelters + len(self.group_keys), n_vars)
        )
        upper = np.concatenate([self.free.astype(float), self.counts.astype(float)])
        return matrix, upper


def build_model(
    households: Sequence[HouseholdIn],
    origins: Sequence[OriginIn],
    shelters: Sequence[ShelterIn],
    *,
    candidates: int = DEFAULT_CANDIDATES,
) -> tuple[Model, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Group the households and list each group's candidate shelters (nearest first)."""
    origin_index = {o.key: i for i, o in enumerate(origins)}
    for shelter in shelters:
        if shelter.free < 0:
            raise SolverError(f"shelter {shelter.key}: free places cannot be negative")
    groups: dict[tuple[str, int, bool], list[int]] = defaultdict(list)
    for index, household in enumerate(households):
        if household.size < 1:
            raise SolverError(f"household {household.key}: size must be at least 1")
        if household.origin not in origin_index:
            raise SolverError(f"household {household.key}: unknown origin {household.origin}")
        groups[(household.origin, household.size, household.vulnerable)].append(index)
    keys = list(groups)
    max_size = max((k[1] for k in keys), default=1)
    plain, vulnerable = penalties(max_size)
    k = min(candidates, len(shelters))
    # Nearest K shelters of every origin (each origin computed once).
    near: dict[str, np.ndarray] = {}
    near_dist: dict[str, np.ndarray] = {}
    if shelters:
        s_lon = np.array([s.lon for s in shelters])
        s_lat = np.array([s.lat for s in shelters])
        o_lon = np.array([o.lon for o in origins])
        o_lat = np.array([o.lat for o in origins])
        dist = haversine_km(o_lon[:, None], o_lat[:, None], s_lon[None, :], s_lat[None, :])
        for origin in origins:
            row = dist[origin_index[origin.key]]
            order = np.argsort(row, kind="stable")[:k]
            near[origin.key] = order
            near_dist[origin.key] = row[order]
    var_group, var_shelter, var_rank, var_dist = [], [], [], []
    for g, (origin_key, _size, _vuln) in enumerate(keys):
        order = near.get(origin_key, np.empty(0, dtype=int))
        var_group.append(np.full(len(order), g))
        var_shelter.append(order)
        var_rank.append(np.arange(1, len(order) + 1))
        var_dist.append(near_dist.get(origin_key, np.empty(0)))
    sizes = np.array([key[1] for key in keys], dtype=float)
    counts = np.array([len(groups[key]) for key in keys], dtype=float)
    penalty = np.array([vulnerable if key[2] else plain for key in keys])
    weight = np.array([VULNERABLE_DISTANCE_WEIGHT if key[2] else 1.0 for key in keys])
    model = Model(
        group_keys=keys,
        members=[groups[key] for key in keys],
        sizes=sizes,
        counts=counts,
        penalty=penalty,
        weight=weight,
        var_group=np.concatenate(var_group) if var_group else np.empty(0, dtype=int),
        var_shelter=np.concatenate(var_shelter) if var_shelter else np.empty(0, dtype=int),
        var_rank=np.concatenate(var_rank) if var_rank else np.empty(0, dtype=int),
        var_dist=np.concatenate(var_dist) if var_dist else np.empty(0),
        free=np.array([s.free for s in shelters], dtype=float),
        constant=float(np.sum(sizes * counts * penalty)),
    )
    return model, near, near_dist


def lp_solve(model: Model) -> tuple[np.ndarray, float]:
    """The LP relaxation's solution and its objective (a lower bound on any allocation)."""
    if len(model.var_group) == 0:
        return np.empty(0), model.constant
    matrix, upper = model.constraints()
    result = _lp(model.cost, matrix, upper)
    if result.status != 0:  # pragma: no cover - the model is always feasible (y = 0)
        raise SolverError(f"the LP solver failed: {result.message}")
    return np.asarray(result.x), float(result.fun) + model.constant


def mip_objective(
    model: Model, *, time_limit: float = 60.0, keep: bool = False
) -> tuple[Any, float, bool]:
    """HiGHS MIP on the same integer model: (best objective, best bound, proven optimal).

    With keep, the first item is (objective, solution) so the caller can use it.
    """
    if len(model.var_group) == 0:
        return (model.constant, np.empty(0)) if keep else model.constant, model.constant, True
    matrix, upper = model.constraints()
    result = milp(
        model.cost,
        constraints=LinearConstraint(matrix, -np.inf, upper),
        integrality=np.ones(len(model.cost)),
        bounds=Bounds(0, np.inf),
        options={"time_limit": time_limit, "disp": False},
    )
    best: Any = None
    if result.x is not None:
        value = float(result.fun) + model.constant
        best = (value, np.asarray(result.x)) if keep else value
    # HiGHS gives no dual bound when the time box ends before its first one.
    dual = getattr(result, "mip_dual_bound", None)
    bound = (float(dual) if dual is not None else math.nan) + model.constant
    return best, bound, result.status == 0


# --- rounding and repair --------------------------------------------------------------


class _State:
    """Where each household is, the room left in each shelter, and who is where."""

    def __init__(self, households: Sequence[HouseholdIn], free: np.ndarray) -> None:
        self.households = households
        self.room = free.astype(np.int64).copy()
        self.where: list[int] = [-1] * len(households)
        self.stage: list[str] = [""] * len(households)
        self.in_shelter: list[set[int]] = [set() for _ in range(len(free))]

    def place(self, h: int, s: int, stage: str) -> None:
        self.where[h] = s
        self.stage[h] = stage
        self.room[s] -= self.households[h].size
        self.in_shelter[s].add(h)

    def remove(self, h: int) -> None:
        s = self.where[h]
        self.room[s] += self.households[h].size
        self.in_shelter[s].discard(h)
        self.where[h] = -1


def _lp(cost: np.ndarray, matrix: sparse.csr_matrix, upper: np.ndarray) -> Any:
    return linprog(cost, A_ub=matrix, b_ub=upper, bounds=(0, None), method="highs")


def _keep_whole(model: Model, x: np.ndarray, state: _State, stage: str) -> None:
    """Place the whole households of an LP or MIP solution (group members in order)."""
    # Values within 1e-6 of an integer are that integer (HiGHS' tolerance), else floor.
    whole = np.floor(x + 1e-6).astype(np.int64)
    taken = [0] * len(model.group_keys)
    for v in np.nonzero(whole > 0)[0]:
        g, s = int(model.var_group[v]), int(model.var_shelter[v])
        members = model.members[g]
        for _ in range(int(whole[v])):
            if taken[g] >= len(members):
                break
            h = members[taken[g]]
            if state.room[s] < state.households[h].size:
                break
            state.place(h, s, stage)
            taken[g] += 1


def _repair(
    households: Sequence[HouseholdIn],
    near: dict[str, np.ndarray],
    near_dist: dict[str, np.ndarray],
    state: _State,
    max_rounds: int = 100,
) -> None:
    """Greedy repair and local search; every move lowers the objective, so it ends."""
    max_size = max((h.size for h in households), default=1)
    plain_penalty, vulnerable_penalty = penalties(max_size)
    dist_of = {
        origin: {int(s): float(d) for s, d in zip(order, near_dist[origin], strict=True)}
        for origin, order in near.items()
    }
    weight = [VULNERABLE_DISTANCE_WEIGHT if h.vulnerable else 1.0 for h in households]
    penalty = [vulnerable_penalty if h.vulnerable else plain_penalty for h in households]

    def candidates(h: int) -> np.ndarray:
        return near.get(households[h].origin, np.empty(0, dtype=int))

    def cost_at(h: int, s: int) -> float:
        # Change of the objective when h goes from unplaced to shelter s.
        size = households[h].size
        return size * (weight[h] * dist_of[households[h].origin][s] - penalty[h])

    def rank_of(h: int) -> int:
        cands = candidates(h)
        hits = np.nonzero(cands == state.where[h])[0]
        return int(hits[0]) if len(hits) else len(cands)

    def nearest_with_room(h: int, size: int, exclude: int) -> int:
        for s in candidates(h):
            if int(s) != exclude and state.room[s] >= size:
                return int(s)
        return -1

    order = sorted(
        range(len(households)),
        key=lambda h: (not households[h].vulnerable, -households[h].size, h),
    )
    for _ in range(max_rounds):
        changed = False
        # 1. place whoever is unplaced, vulnerable and larger first, nearest with room.
        for h in order:
            if state.where[h] != -1:
                continue
            s = nearest_with_room(h, households[h].size, -1)
            if s != -1:
                state.place(h, s, "repair")
                changed = True
        # 2. make room for vulnerable households still unplaced.
        for h in order:
            if not households[h].vulnerable:
                break
            if state.where[h] != -1:
                continue
            size = households[h].size
            for s in candidates(h):
                s = int(s)
                plain = [o for o in state.in_shelter[s] if not households[o].vulnerable]
                if state.room[s] + sum(households[o].size for o in plain) < size:
                    continue
                # Fewest people out: the smallest households that together make room.
                for o in sorted(plain, key=lambda o: (households[o].size, o)):
                    if state.room[s] >= size:
                        break
                    state.remove(o)
                state.place(h, s, "priority")
                changed = True
                break
        # 3. exchanges for a household left over: take out one placed household of no
        # higher priority (left over, or moved to another of its shelters with room)
        # when that lowers the objective (more people placed, or nearer).
        for h in order:
            if state.where[h] != -1:
                continue
            size, vulnerable = households[h].size, households[h].vulnerable
            best: tuple[float, int, int, int] | None = None  # (delta, shelter, out, moved to)
            for s in candidates(h):
                s = int(s)
                need = size - int(state.room[s])
                gain = cost_at(h, s)
                for o in state.in_shelter[s]:
                    o_size = households[o].size
                    if o_size < need or (households[o].vulnerable and not vulnerable):
                        continue
                    at_s = cost_at(o, s)
                    # Moving o elsewhere is worth looking for only where the shelter
                    # keeps a fragment of room (elsewhere o is simply taken out).
                    to = nearest_with_room(o, o_size, s) if need < size else -1
                    delta = gain - at_s + (cost_at(o, to) if to != -1 else 0.0)
                    if delta < -1e-9 and (best is None or delta < best[0]):
                        best = (delta, s, o, to)
            if best is not None:
                _, s, o, to = best
                stage = state.stage[o]
                state.remove(o)
                if to != -1:
                    state.place(o, to, stage if stage != "optimal" else "repair")
                state.place(h, s, "repair")
                changed = True
        # 4. move households to a nearer candidate shelter with room.
        for h in range(len(households)):
            if state.where[h] == -1:
                continue
            size = households[h].size
            for s in candidates(h)[: rank_of(h)]:
                if state.room[s] >= size:
                    stage = state.stage[h]
                    state.remove(h)
                    state.place(h, int(s), stage if stage != "optimal" else "repair")
                    changed = True
                    break
        if not changed:
            return


def _objective(
    households: Sequence[HouseholdIn],
    near_dist: dict[str, np.ndarray],
    near: dict[str, np.ndarray],
    state: _State,
) -> float:
    max_size = max((h.size for h in households), default=1)
    plain, vulnerable = penalties(max_size)
    total = 0.0
    for h, household in enumerate(households):
        s = state.where[h]
        if s == -1:
            total += household.size * (vulnerable if household.vulnerable else plain)
            continue
        rank = int(np.nonzero(near[household.origin] == s)[0][0])
        weight = VULNERABLE_DISTANCE_WEIGHT if household.vulnerable else 1.0
        total += household.size * weight * float(near_dist[household.origin][rank])
    return total


def allocate(
    households: Sequence[HouseholdIn],
    origins: Sequence[OriginIn],
    shelters: Sequence[ShelterIn],
    *,
    candidates: int = DEFAULT_CANDIDATES,
    mip_seconds: float = DEFAULT_MIP_SECONDS,
) -> AllocationResult:
    """Place households in shelters (see the module docstring for the method)."""
    started = time.perf_counter()
    model, near, near_dist = build_model(households, origins, shelters, candidates=candidates)
    built = time.perf_counter()
    x, bound = lp_solve(model)
    solved = time.perf_counter()
    state = _State(households, model.free)
    _keep_whole(model, x, state, "optimal")
    _repair(households, near, near_dist, state)
    repaired = time.perf_counter()
    best = _objective(households, near_dist, near, state)
    method = "lp+repair"
    # Polish: the MIP on the same model, for what is left of the time box. Small
    # instances (a day's registrations) it solves outright; large ones keep the repair.
    # The whole call stays within TIME_BOX_S: the MIP gets what the LP and repair left.
    budget = min(mip_seconds, TIME_BOX_S - (time.perf_counter() - started))
    if budget >= MIN_MIP_SECONDS and len(model.var_group):
        found, _bound, _optimal = mip_objective(model, time_limit=budget, keep=True)
        if found is not None and found[0] < best - 1e-6:
            trial = _State(households, model.free)
            _keep_whole(model, found[1], trial, "optimal")
            _repair(households, near, near_dist, trial)
            objective = _objective(households, near_dist, near, trial)
            if objective < best - 1e-6:
                state, best, method = trial, objective, "mip"
    polished = time.perf_counter()
    result = _result(households, shelters, near, near_dist, state, model, bound)
    result.seconds = time.perf_counter() - started
    result.stats = {
        "build_s": built - started,
        "lp_s": solved - built,
        "repair_s": repaired - solved,
        "mip_s": polished - repaired,
        "variables": float(len(model.var_group)),
    }
    result.method = method
    return result


def _result(
    households: Sequence[HouseholdIn],
    shelters: Sequence[ShelterIn],
    near: dict[str, np.ndarray],
    near_dist: dict[str, np.ndarray],
    state: _State,
    model: Model,
    bound: float,
) -> AllocationResult:
    placed: list[Placed] = []
    unplaced: list[Unplaced] = []
    max_size = max((h.size for h in households), default=1)
    plain, vulnerable = penalties(max_size)
    objective = 0.0
    for h, household in enumerate(households):
        s = state.where[h]
        if s == -1:
            cands = near.get(household.origin)
            reason = "no_room" if cands is not None and len(cands) else "no_shelter_nearby"
            unplaced.append(Unplaced(household.key, household.size, household.vulnerable, reason))
            objective += household.size * (vulnerable if household.vulnerable else plain)
            continue
        rank = int(np.nonzero(near[household.origin] == s)[0][0])
        distance = float(near_dist[household.origin][rank])
        weight = VULNERABLE_DISTANCE_WEIGHT if household.vulnerable else 1.0
        objective += household.size * weight * distance
        placed.append(
            Placed(
                household=household.key,
                shelter=shelters[s].key,
                people=household.size,
                distance_km=round(distance, 3),
                rank=rank + 1,
                vulnerable=household.vulnerable,
                stage=state.stage[h],
            )
        )
    return AllocationResult(
        placed=placed,
        unplaced=unplaced,
        objective=objective,
        lp_bound=bound,
        candidates=min(len(shelters), max((len(v) for v in near.values()), default=0)),
        groups=len(model.group_keys),
        seconds=0.0,
    )


def relative_gap(value: float, best: float) -> float:
    """How far above `best` the value lies, as a fraction of best (0 when equal)."""
    if best == 0:
        return 0.0 if value == 0 else math.inf
    return (value - best) / abs(best)
