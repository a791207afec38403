"""What the planner and the route sheet show of a planned route: pure presentation.

plan_route (truce.routing.services) answers with the route contract; this module
turns it into what a page needs: the segment rows with cumulative kilometres, the
route cut into one line per segment (to colour each by its status), the warnings a
convoy leader must read, and a server-rendered SVG sketch of the route with the
hazard areas near it. Nothing here reads the database.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from truce.lib.geo import geodesic_length_m

Coords = list[list[float]]
STATUS_COLOURS = {
    "verified_clear": "#15803d",
    "open": "#2563eb",
    "not_verified": "#d97706",
    "closed": "#b91c1c",
}
HAZARD_COLOUR = "#b91c1c"
# A snapped endpoint farther than this from the place asked is worth a warning.
SNAP_WARNING_M = 300.0
# The route sheet draws the hazard areas within about 5 km of the route's box.
NEAR_MARGIN_DEG = 0.05


def as_contract(result: Any) -> dict[str, Any]:
    """The route as the JSON contract's dict, whatever object plan_route returns."""
    if isinstance(result, dict):
        return result
    for name in ("as_dict", "to_dict", "as_json"):
        method = getattr(result, name, None)
        if callable(method):
            return dict(method())
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    raise TypeError(f"cannot read a route from {type(result).__name__}")


def _leg_m(a: Sequence[float], b: Sequence[float]) -> float:
    from shapely.geometry import LineString

    return geodesic_length_m(LineString([a, b]))


def split_by_lengths(coords: Coords, lengths: Sequence[float]) -> list[Coords]:
    """Cut a line into consecutive pieces of the given lengths (metres).

    The route's geometry is its segments' geometries end to end, so cutting it by
    their lengths gives each segment's piece; the last piece takes what is left.
    """
    if not coords or not lengths:
        return []
    pieces: list[Coords] = []
    current: Coords = [list(coords[0])]
    target = lengths[0]
    walked = 0.0
    index = 0
    for a, b in itertools.pairwise(coords):
        leg = _leg_m(a, b)
        start = walked
        while index < len(lengths) - 1 and target <= start + leg:
            t = (target - start) / leg if leg else 0.0
            cut = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
            current.append(cut)
            pieces.append(current)
            current = [cut]
            index += 1
            target += lengths[index]
        current.append(list(b))
        walked = start + leg
    pieces.append(current)
    while len(pieces) < len(lengths):
        pieces.append([current[-1], current[-1]])
    return pieces


@dataclass
class SegmentRow:
    number: int
    segment: dict[str, Any]
    km_from: float
    km_to: float


@dataclass
class RouteView:
    """The route prepared for a page."""

    route: dict[str, Any]
    rows: list[SegmentRow] = field(default_factory=list)
    pieces: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.route.get("found"))

    @property
    def length_km(self) -> float:
        return float(self.route.get("length_m") or 0.0) / 1000.0

    @property
    def duration_min(self) -> int:
        return round(float(self.route.get("duration_s") or 0.0) / 60.0)

    @property
    def corridors(self) -> list[str]:
        names = [
            str(s.get("corridor")) for s in self.route.get("segments") or [] if s.get("corridor")
        ]
        return list(dict.fromkeys(names))


def prepare(result: Any) -> RouteView:
    route = as_contract(result)
    segments = list(route.get("segments") or [])
    view = RouteView(route=route)
    km = 0.0
    for number, segment in enumerate(segments, start=1):
        start = km
        km += float(segment.get("length_m") or 0.0) / 1000.0
        view.rows.append(SegmentRow(number, segment, start, km))
    coords = ((route.get("geometry") or {}).get("coordinates")) or []
    if segments and coords:
        pieces = split_by_lengths(coords, [float(s.get("length_m") or 0.0) for s in segments])
        view.pieces = [
            {
                "key": s.get("key"),
                "status": s.get("status"),
                "name": s.get("name"),
                "coordinates": p,
            }
            for s, p in zip(segments, pieces, strict=False)
        ]
    view.warnings = warnings(route)
    return view


def warnings(route: dict[str, Any]) -> list[str]:
    """What a convoy leader must know before setting off."""
    out: list[str] = []
    if not route.get("found"):
        out.append(_("No safe route: see what blocks it."))
        return out
    segments = route.get("segments") or []
    unverified = [s for s in segments if s.get("status") == "not_verified"]
    if unverified:
        km = sum(float(s.get("length_m") or 0.0) for s in unverified) / 1000.0
        out.append(
            ngettext(
                "%(km).1f km of this route (%(n)d segment) are not verified clear of mines.",
                "%(km).1f km of this route (%(n)d segments) are not verified clear of mines.",
                len(unverified),
            )
            % {"km": km, "n": len(unverified)}
        )
    open_only = [s for s in segments if s.get("status") == "open"]
    if open_only:
        km = sum(float(s.get("length_m") or 0.0) for s in open_only) / 1000.0
        out.append(
            _("%(km).1f km are reported open but not surveyed for explosive ordnance.") % {"km": km}
        )
    limited = [s for s in segments if s.get("max_weight_t") is not None]
    for s in limited:
        out.append(
            _("Weight limit %(t)s t on %(name)s.")
            % {"t": f"{float(s['max_weight_t']):g}", "name": s.get("name") or s.get("key")}
        )
    far = {
        "from": _("The start is %(m)d m from the nearest road."),
        "to": _("The destination is %(m)d m from the nearest road."),
    }
    for end, message in far.items():
        snap = (route.get(end) or {}).get("snap_distance_m")
        if snap is not None and float(snap) > SNAP_WARNING_M:
            out.append(message % {"m": round(float(snap))})
    restricted = [a for a in route.get("avoided") or [] if a.get("restricted")]
    if restricted:
        out.append(
            ngettext(
                "The route also avoids %(n)d hazard area not shared with your party.",
                "The route also avoids %(n)d hazard areas not shared with your party.",
                len(restricted),
            )
            % {"n": len(restricted)}
        )
    return out


# --- the SVG sketch ----------------------------------------------------------------------


@dataclass
class _Frame:
    """An equirectangular frame around a box, fitted into a width x height picture."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    width: int
    height: int
    pad: int = 24

    def __post_init__(self) -> None:
        self.kx = math.cos(math.radians((self.min_lat + self.max_lat) / 2))
        span_x = max((self.max_lon - self.min_lon) * self.kx, 1e-6)
        span_y = max(self.max_lat - self.min_lat, 1e-6)
        self.scale = min(
            (self.width - 2 * self.pad) / span_x, (self.height - 2 * self.pad) / span_y
        )
        self.ox = (self.width - span_x * self.scale) / 2
        self.oy = (self.height - span_y * self.scale) / 2

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.ox + (lon - self.min_lon) * self.kx * self.scale
        y = self.height - (self.oy + (lat - self.min_lat) * self.scale)
        return round(x, 1), round(y, 1)

    def path(self, coords: Iterable[Sequence[float]]) -> str:
        return " ".join(f"{x},{y}" for x, y in (self.xy(c[0], c[1]) for c in coords))

    def metres_per_px(self) -> float:
        return 111_320.0 / self.scale


def _rings(geometry: dict[str, Any]) -> list[Coords]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coords[0]] if coords else []
    if kind == "MultiPolygon":
        return [polygon[0] for polygon in coords if polygon]
    return []


def _nice_km(km: float) -> float:
    for step in (0.5, 1, 2, 5, 10, 20, 50, 100):
        if step >= km:
            return float(step)
    return 100.0


def route_svg(
    view: RouteView,
    hazards: Sequence[dict[str, Any]],
    *,
    width: int = 640,
    height: int = 420,
) -> str:
    """An SVG sketch: the route by status, the hazard areas near it, the ends, a scale.

    `hazards` are {"reference", "name", "geometry"} the reader may see; names are
    data, so every text is escaped.
    """
    route = view.route
    coords = ((route.get("geometry") or {}).get("coordinates")) or []
    points = list(coords)
    for end in ("from", "to"):
        p = (route.get(end) or {}).get("point")
        if p:
            points.append(p)
    for blocker in route.get("blockers") or []:
        for ring in _rings(blocker.get("geometry") or {}):
            points.extend(ring)
    if not points:
        return ""
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    frame = _Frame(min(lons), min(lats), max(lons), max(lats), width, height)
    title = _("Sketch of the route")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="route-sketch" role="img" aria-labelledby="route-sketch-title">',
        f'<title id="route-sketch-title">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff" stroke="#9ca3af"/>',
    ]
    drawn = {**{h.get("reference"): h for h in hazards}}
    for blocker in route.get("blockers") or []:
        if blocker.get("geometry") and blocker.get("reference") not in drawn:
            drawn[blocker.get("reference")] = blocker
    for hazard in drawn.values():
        for ring in _rings(hazard.get("geometry") or {}):
            parts.append(
                f'<polygon points="{frame.path(ring)}" fill="{HAZARD_COLOUR}" fill-opacity="0.25" '
                f'stroke="{HAZARD_COLOUR}" stroke-width="1.5" stroke-dasharray="4 2">'
                f"<title>{escape(hazard.get('reference') or '')} {escape(hazard.get('name') or '')}"
                "</title></polygon>"
            )
            x, y = frame.xy(ring[0][0], ring[0][1])
            parts.append(
                f'<text x="{x + 4}" y="{y - 4}" font-size="11" fill="{HAZARD_COLOUR}">'
                f"{escape(hazard.get('reference') or '')}</text>"
            )
    pieces = view.pieces or ([{"status": "open", "coordinates": coords}] if coords else [])
    for piece in pieces:
        colour = STATUS_COLOURS.get(str(piece.get("status")), "#374151")
        dash = ' stroke-dasharray="6 4"' if piece.get("status") == "not_verified" else ""
        parts.append(
            f'<polyline points="{frame.path(piece["coordinates"])}" fill="none" '
            f'stroke="{colour}" stroke-width="4" stroke-linejoin="round"{dash}/>'
        )
    # Each segment's number (as in the table) by its middle, and a tick where it ends.
    for number, piece in enumerate(view.pieces, start=1):
        line = piece["coordinates"]
        if len(line) < 2:
            continue
        mx, my = frame.xy(*line[len(line) // 2][:2])
        parts.append(
            f'<circle cx="{mx}" cy="{my}" r="7" fill="#ffffff" stroke="#111827" stroke-width="1"/>'
            f'<text x="{mx}" y="{my + 3.5}" font-size="9" text-anchor="middle">{number}</text>'
        )
        if number < len(view.pieces):
            ex, ey = frame.xy(*line[-1][:2])
            parts.append(f'<circle cx="{ex}" cy="{ey}" r="2.5" fill="#111827"/>')
    for end, letter in (("from", "A"), ("to", "B")):
        info = route.get(end) or {}
        p = info.get("snapped") or info.get("point")
        if not p:
            continue
        x, y = frame.xy(p[0], p[1])
        parts.append(f'<circle cx="{x}" cy="{y}" r="7" fill="#111827"/>')
        parts.append(
            f'<text x="{x}" y="{y + 4}" font-size="10" fill="#ffffff" text-anchor="middle">'
            f"{letter}</text>"
        )
        parts.append(
            f'<text x="{x + 10}" y="{y - 8}" font-size="12" fill="#111827">'
            f"{escape(info.get('name') or info.get('query') or '')}</text>"
        )
    km = _nice_km(frame.metres_per_px() * 120 / 1000.0)
    bar = km * 1000.0 / frame.metres_per_px()
    y0 = height - 12
    parts.append(
        f'<line x1="12" y1="{y0}" x2="{12 + bar:.1f}" y2="{y0}" stroke="#111827" stroke-width="3"/>'
    )
    parts.append(f'<text x="12" y="{y0 - 6}" font-size="11">{km:g} km</text>')
    parts.append(
        f'<text x="{width - 18}" y="22" font-size="14" text-anchor="middle">N</text>'
        f'<line x1="{width - 18}" y1="44" x2="{width - 18}" y2="27" stroke="#111827" '
        'stroke-width="2"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def route_bbox(route: dict[str, Any]) -> list[float] | None:
    coords = list(((route.get("geometry") or {}).get("coordinates")) or [])
    for end in ("from", "to"):
        p = (route.get(end) or {}).get("point")
        if p:
            coords.append(p)
    if not coords:
        return None
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return [min(lons), min(lats), max(lons), max(lats)]


__all__ = ["RouteView", "as_contract", "prepare", "route_svg", "split_by_lengths", "warnings"]
