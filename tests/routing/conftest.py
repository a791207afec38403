"""Routing fixtures: a small road grid as GeoJSON, imported through the service.

The grid is GRID x GRID junctions 0.01 degrees apart (about 1.1 km by 0.85 km
at 40 N) around (46.0, 40.0): feature h-<r>-<c> runs east from junction
(r, c), v-<r>-<c> runs north. Row 0 is a primary road, the rest residential.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from truce.core import services as core_services
from truce.core.models import Party, User
from truce.routing import planning, services
from truce.routing.models import RoadNetwork

GRID = 5
STEP = 0.01
LON0, LAT0 = 46.0, 40.0


def at(r: int, c: int) -> list[float]:
    return [round(LON0 + c * STEP, 7), round(LAT0 + r * STEP, 7)]


def grid_features(**overrides: dict[str, Any]) -> list[dict[str, Any]]:
    features = []
    for r in range(GRID):
        for c in range(GRID):
            if c + 1 < GRID:
                key = f"h-{r}-{c}"
                props = {"name": f"East {r}", "highway": "primary" if r == 0 else "residential"}
                props.update(overrides.get(key, {}))
                features.append(_feature(key, [at(r, c), at(r, c + 1)], props))
            if r + 1 < GRID:
                key = f"v-{r}-{c}"
                props = {"name": f"North {c}", "highway": "residential"}
                props.update(overrides.get(key, {}))
                features.append(_feature(key, [at(r, c), at(r + 1, c)], props))
    return features


def _feature(key: str, coords: list[list[float]], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": key,
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": props,
    }


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture(autouse=True)
def _fresh_graphs() -> Any:
    planning.forget_graphs()
    yield
    planning.forget_graphs()


@pytest.fixture
def grid_file(tmp_path: Path) -> Path:
    return write_geojson(tmp_path / "grid.geojson", grid_features())


@pytest.fixture
def grid(parties: dict[str, Party], grid_file: Path) -> RoadNetwork:
    return services.network_import(actor=None, path=grid_file, slug="grid", name="Test grid")


@pytest.fixture
def mission_only_grid(parties: dict[str, Party], grid_file: Path) -> RoadNetwork:
    return services.network_import(
        actor=None, path=grid_file, slug="secret", name="Mission grid", visibility=["mission"]
    )


@pytest.fixture
def analyst(parties: dict[str, Party]) -> User:
    return core_services.user_create(
        actor=None,
        username="analyst",
        party=parties["mission"],
        roles=["analyst"],
        password=PASSWORD,
    )


def square(lon: float, lat: float, half: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - half, lat - half],
                [lon + half, lat - half],
                [lon + half, lat + half],
                [lon - half, lat + half],
                [lon - half, lat - half],
            ]
        ],
    }
