"""`truce mineaction import` (one transaction per file) and `truce mineaction totals`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.mineaction.conftest import MineAction, line, square
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.mineaction.models import HazardArea, RoadCheck

pytestmark = pytest.mark.django_db


def _collection(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _hazard(ref: str, geometry: object) -> dict[str, object]:
    props = {"reference": ref, "name": ref, "kind": "suspected", "reported_on": "2020-11-20"}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def test_import_hazards_all_or_nothing(ma: MineAction, tmp_path: Path) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[46, 39], [46.1, 39.1], [46.1, 39], [46, 39.1], [46, 39]]],
    }
    bad = _collection(
        tmp_path / "bad.geojson", [_hazard("HA-C1", square(46.9, 39.9)), _hazard("HA-C2", bowtie)]
    )
    before = LedgerEntry.objects.count()
    with pytest.raises(CommandError, match=r"row 2.*geometry"):
        call_command("mineaction", "import", str(bad))
    assert LedgerEntry.objects.count() == before
    good = _collection(tmp_path / "good.geojson", [_hazard("HA-C1", square(46.9, 39.9))])
    out = io.StringIO()
    call_command("mineaction", "import", str(good), "--visibility", "public", stdout=out)
    assert "Imported 1 hazards" in out.getvalue()
    assert HazardArea.objects.get(reference="HA-C1").share_public


def test_import_road_checks(ma: MineAction, tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "properties": {
            "reference": "RC-C1",
            "name": "r",
            "organisation": "eng",
            "checked_on": "2020-11-20",
            "result": "clear",
        },
        "geometry": line(46.5, 39.5),
    }
    path = _collection(tmp_path / "roads.geojson", [feature])
    call_command("mineaction", "import", str(path), "--kind", "road_checks", stdout=io.StringIO())
    assert RoadCheck.objects.get(reference="RC-C1").length_m > 8000


def test_totals_as_a_user_sees_them(ma: MineAction, side_a_user: User, admin_user: User) -> None:
    side_a, mission = io.StringIO(), io.StringIO()
    call_command("mineaction", "totals", "--user", side_a_user.username, stdout=side_a)
    call_command("mineaction", "totals", "--user", admin_user.username, stdout=mission)
    assert "Land cleared: 5.00 ha" in side_a.getvalue()
    assert "Land cleared: 7.00 ha" in mission.getvalue()
    with pytest.raises(CommandError, match="--to"):
        call_command("mineaction", "totals", "--user", "admin", "--to", "soon")
