"""Vehicle profiles: which road classes a vehicle may use and how fast it goes on each.

A segment's travel speed is the least of its signed limit (maxspeed), the
profile's cap for its class and the profile's cap for its surface. A class
missing from a profile's table is closed to it (a lorry on a footway). The
lorry's weight comes per query (`weight_t`); a segment whose weight limit is
below it is closed to that query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from truce.core.errors import InvalidInput

# km/h by OSM highway value, for a car on a good surface.
_CAR = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 80.0,
    "primary_link": 45.0,
    "secondary": 70.0,
    "secondary_link": 40.0,
    "tertiary": 60.0,
    "tertiary_link": 35.0,
    "unclassified": 50.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 40.0,
    "track": 15.0,
}
# Unpaved surfaces cap the speed whatever the class.
_UNPAVED = {
    "unpaved": 40.0,
    "gravel": 40.0,
    "fine_gravel": 40.0,
    "compacted": 50.0,
    "dirt": 25.0,
    "earth": 25.0,
    "ground": 25.0,
    "grass": 15.0,
    "mud": 10.0,
    "sand": 15.0,
}
# The speed used for classes a profile excludes, when explaining which
# blockers lie on the route that would exist without the profile's limits.
EXPLAIN_SPEED_KMH = 5.0


@dataclass(frozen=True)
class Profile:
    name: str
    class_speed_kmh: dict[str, float]
    surface_speed_kmh: dict[str, float] = field(default_factory=dict)
    max_kmh: float = 130.0
    takes_weight: bool = False
    default_weight_t: float | None = None

    def speed_kmh(self, road_class: str, surface: str, max_speed: float | None) -> float:
        """0 when the class is closed to the profile."""
        speed = self.class_speed_kmh.get(road_class, 0.0)
        if speed <= 0:
            return 0.0
        if surface in self.surface_speed_kmh:
            speed = min(speed, self.surface_speed_kmh[surface])
        if max_speed is not None and max_speed > 0:
            speed = min(speed, max_speed)
        return min(speed, self.max_kmh)


PROFILES: dict[str, Profile] = {
    "car": Profile("car", _CAR, _UNPAVED),
    # A lorry: slower, capped at 80 km/h, no tracks; 20 t unless the query says.
    "lorry": Profile(
        "lorry",
        {
            k: min(v, 80.0) * (0.85 if k not in ("motorway", "trunk") else 1.0)
            for k, v in _CAR.items()
            if k not in ("track", "living_street")
        },
        {k: v * 0.8 for k, v in _UNPAVED.items()},
        max_kmh=80.0,
        takes_weight=True,
        default_weight_t=20.0,
    ),
    # A 4x4 takes tracks at speed and cares less for surface; it may drive on
    # a path only where nothing else goes (at walking pace).
    "4x4": Profile(
        "4x4",
        {**_CAR, "track": 30.0, "path": 5.0},
        {k: max(v, 30.0) for k, v in _UNPAVED.items()},
        max_kmh=110.0,
        takes_weight=True,
        default_weight_t=3.0,
    ),
}


def get_profile(name: str | None) -> Profile:
    profile = PROFILES.get(name or "lorry")
    if profile is None:
        raise InvalidInput(
            f"unknown profile {name!r}; use one of {', '.join(sorted(PROFILES))}", field="profile"
        )
    return profile


def vehicle_weight(profile: Profile, weight_t: float | None) -> float | None:
    """The weight that counts against weight limits (None: limits do not apply)."""
    if weight_t is None:
        return profile.default_weight_t
    if weight_t <= 0 or weight_t != weight_t:
        raise InvalidInput("weight_t must be a positive number of tonnes", field="weight_t")
    return float(weight_t)
