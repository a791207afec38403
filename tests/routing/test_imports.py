"""Imports: one transaction and one ledger entry per network version; bad files name the
field and write nothing; a re-import keeps the statuses of segments whose key persists."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from tests.core.api_client import write_counts
from tests.routing.conftest import grid_features, write_geojson
from truce.core.errors import DomainError, InvalidInput
from truce.core.models import Party
from truce.ledger.models import LedgerEntry
from truce.routing import services
from truce.routing.models import RoadNetwork, RoadSegment, SegmentStatus

pytestmark = pytest.mark.django_db


def test_import_writes_segments_and_one_ledger_entry(
    parties: dict[str, Party], grid_file: Path
) -> None:
    before = LedgerEntry.objects.count()
    seen: list[tuple[int, int, str]] = []
    network = services.network_import(
        actor=None, path=grid_file, slug="grid", progress=lambda d, t, p: seen.append((d, t, p))
    )
    assert network.segment_count == RoadSegment.objects.filter(network=network).count() == 40
    assert network.node_count == 25
    assert network.source_sha256 == hashlib.sha256(grid_file.read_bytes()).hexdigest()
    assert network.bbox == [46.0, 40.0, 46.04, 40.04]
    entries = list(LedgerEntry.objects.order_by("seq"))[before:]
    assert [(e.action, e.record_type) for e in entries] == [("import", "routing.roadnetwork")]
    payload = json.loads(entries[0].payload)
    assert payload["source_sha256"] == network.source_sha256
    assert payload["segment_count"] == 40
    assert seen[-1] == (40, 40, "done")
    segment = RoadSegment.objects.get(network=network, key="h-0-0")
    assert segment.status == "not_verified" and segment.road_class == "primary"
    assert segment.length_m == pytest.approx(853.0, rel=0.01)


def test_reimport_is_a_new_version_keeping_statuses(
    parties: dict[str, Party], grid_file: Path, tmp_path: Path
) -> None:
    network = services.network_import(actor=None, path=grid_file, slug="grid")
    services.segment_status_set(
        actor=None,
        network=network,
        key="h-1-1",
        fields={"status": "closed", "since": dt.date(2020, 11, 12)},
        expected_version=0,
    )
    features = [f for f in grid_features() if f["id"] != "h-2-2"]
    again = services.network_import(
        actor=None, path=write_geojson(tmp_path / "v2.geojson", features), slug="grid"
    )
    assert again.pk == network.pk and again.version == 2 and again.segment_count == 39
    kept = RoadSegment.objects.get(network=again, key="h-1-1")
    assert (kept.status, kept.status_version) == ("closed", 1)
    assert not RoadSegment.objects.filter(network=again, key="h-2-2").exists()
    assert SegmentStatus.objects.filter(network=again, segment_key="h-1-1").count() == 1


def test_statuses_from_the_file(parties: dict[str, Party], tmp_path: Path) -> None:
    features = grid_features(
        **{"h-0-0": {"status": "verified_clear", "status_since": "2020-11-20"}}
    )
    network = services.network_import(
        actor=None, path=write_geojson(tmp_path / "s.geojson", features), slug="s"
    )
    row = RoadSegment.objects.get(network=network, key="h-0-0")
    assert (row.status, row.status_since) == ("verified_clear", dt.date(2020, 11, 20))


def _bad(tmp_path: Path, content: bytes | str) -> Path:
    path = tmp_path / "bad.file"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"PK\x03\x04 a zip file, not a road network", "file"),
        ("{not json", "file"),
        (json.dumps({"type": "Feature"}), "file"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "file"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "p",
                            "geometry": {"type": "Point", "coordinates": [46, 40]},
                            "properties": {},
                        }
                    ],
                }
            ),
            "features[0].geometry",
        ),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "geometry": {
                                "type": "LineString",
                                "coordinates": [[46, 40], [46.1, 40]],
                            },
                            "properties": {},
                        }
                    ],
                }
            ),
            "features[0].id",
        ),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "a",
                            "geometry": {
                                "type": "LineString",
                                "coordinates": [[46, 40], [46.1, 40]],
                            },
                            "properties": {"status": "mined"},
                        }
                    ],
                }
            ),
            "features[0].properties.status",
        ),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "a",
                            "geometry": {
                                "type": "LineString",
                                "coordinates": [[46, 40], [46.1, 400]],
                            },
                            "properties": {},
                        }
                    ],
                }
            ),
            "features[0].geometry",
        ),
        (b"\x00\x00\x00\x0d\n\tOSMHeader\x18garbage-garbage", "file"),
    ],
)
def test_bad_files_name_the_field_and_write_nothing(
    parties: dict[str, Party], tmp_path: Path, content: bytes | str, field: str
) -> None:
    before = write_counts()
    with pytest.raises(InvalidInput) as caught:
        services.network_import(actor=None, path=_bad(tmp_path, content), slug="bad")
    assert caught.value.field == field
    assert write_counts() == before
    assert not RoadNetwork.objects.exists() and not RoadSegment.objects.exists()


def test_a_file_failing_mid_feature_list_writes_nothing(
    parties: dict[str, Party], tmp_path: Path
) -> None:
    features = grid_features()
    features[30]["geometry"] = {"type": "MultiLineString", "coordinates": []}
    with pytest.raises(InvalidInput, match="LineString"):
        services.network_import(
            actor=None, path=write_geojson(tmp_path / "x.geojson", features), slug="x"
        )
    assert not RoadSegment.objects.exists()


def test_status_updates_refuse_bad_input(grid: RoadNetwork) -> None:
    cases = [
        ("nope", {"status": "closed", "since": "2020-11-12"}, "segment"),
        ("h-0-0", {"status": "mined", "since": "2020-11-12"}, "status"),
        ("h-0-0", {"status": "closed", "since": "12/11/2020"}, "since"),
        ("h-0-0", {"status": "closed", "since": "2020-11-12", "colour": "red"}, "colour"),
    ]
    for key, fields, field in cases:
        with pytest.raises(InvalidInput) as caught:
            services.segment_status_set(
                actor=None, network=grid, key=key, fields=fields, expected_version=None
            )
        assert caught.value.field == field
    assert not SegmentStatus.objects.exists()
    assert RoadSegment.objects.get(network=grid, key="h-0-0").status_version == 0


def test_parties_may_not_import_or_set_statuses(
    grid: RoadNetwork, grid_file: Path, side_a_user: object, agency_user: object
) -> None:
    with pytest.raises(DomainError) as caught:
        services.network_import(actor=side_a_user, path=grid_file, slug="mine")  # type: ignore[arg-type]
    assert caught.value.status == 403
    with pytest.raises(DomainError):
        services.segment_status_set(
            actor=side_a_user,  # type: ignore[arg-type]
            network=grid,
            key="h-0-0",
            fields={"status": "closed", "since": "2020-11-12"},
            expected_version=0,
        )
    done = services.segment_status_set(
        actor=agency_user,  # type: ignore[arg-type]
        network=grid,
        key="h-0-0",
        fields={"status": "verified_clear", "since": "2020-11-12"},
        expected_version=0,
    )
    assert done.status == "verified_clear"


def test_the_cli_imports_with_progress(
    parties: dict[str, Party], grid_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command

    call_command("routing", "import", str(grid_file), "--network", "cli", "--name", "CLI grid")
    out = capsys.readouterr()
    assert "Network cli version 1: 40 segments" in out.out
    assert "done: 40 of 40" in out.err
    assert RoadNetwork.objects.get(slug="cli").name == "CLI grid"


def test_an_upload_page_can_poll_the_import_progress(
    parties: dict[str, Party], grid_file: Path, admin_user: object
) -> None:
    token = "abc123"
    assert services.import_progress(admin_user, token)["phase"] == "waiting"  # type: ignore[arg-type]
    key = services.import_progress_key(admin_user, token)  # type: ignore[arg-type]
    services.network_import(
        actor=admin_user,  # type: ignore[arg-type]
        path=grid_file,
        slug="up",
        progress=services.cache_progress(key),
    )
    assert services.import_progress(admin_user, token) == {  # type: ignore[arg-type]
        "done": 40,
        "total": 40,
        "phase": "done",
    }


def test_an_uploaded_file_is_imported_under_its_own_name(
    parties: dict[str, Party], grid_file: Path, admin_user: object
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roads.geojson", grid_file.read_bytes())
    network = services.network_import_upload(
        actor=admin_user,  # type: ignore[arg-type]
        upload=upload,
        slug="uploaded",
        name="Uploaded roads",
    )
    assert network.source_name == "roads.geojson" and network.segment_count == 40
    with pytest.raises(InvalidInput) as caught:
        services.network_import_upload(
            actor=admin_user,  # type: ignore[arg-type]
            upload=SimpleUploadedFile("x.txt", b"hello"),
            slug="bad",
        )
    assert caught.value.field == "file"
