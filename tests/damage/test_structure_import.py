"""Importing assessment files (CSV and HXL-tagged CSV): one transaction, errors by row and field."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.core.api_client import write_counts
from truce.core.errors import InvalidInput
from truce.core.models import User
from truce.damage import imports, selectors, services
from truce.damage.models import Structure

pytestmark = pytest.mark.django_db

CSV = (
    "settlement,reference,use,grade,lon,lat,glazing_m2,roofing_m2,assessed_on,visibility\n"
    "T-PUB,I-1,housing,destroyed,46.1,39.5,10,80,2020-11-20,public\n"
    "T-PUB,I-2,school,severe,,,40,300,2020-11-19,\n"
    "T-A,I-3,health,light,46.2,39.5,,5.5,2020-11-18,side_a\n"
)
HXL = (
    "Area,Settlement,Id,Use,Grade,Lat,Lon,Glazing,Roofing,Date\n"
    "#adm1+code,#loc+code,#meta+id,#meta+use,#severity,#geo+lat,#geo+lon,"
    "#indicator+glazing_m2,#indicator+roofing_m2,#date\n"
    ",T-PUB,H-1,housing,destroyed,39.5,46.1,8,70,2020-11-20\n"
    ",T-PUB,H-2,housing,moderate,39.5,46.1,2,0,2020-11-20\n"
)


def test_a_csv_file_is_imported_whole_and_counted(places: object, mission_user: User) -> None:
    rows, hxl = imports.read_rows(CSV.encode())
    assert not hxl and [r.number for r in rows] == [2, 3, 4]
    created = services.structures_import(actor=mission_user, rows=rows)
    assert len(created) == 3
    by_ref = {s.reference: s for s in created}
    assert by_ref["I-1"].visibility == ["mission", "public"]
    assert by_ref["I-2"].visibility == ["mission"] and by_ref["I-2"].location_approximate
    assert by_ref["I-3"].need_roofing_m2 == 5.5
    assert selectors.rollup_totals(mission_user).total == 3


def test_an_hxl_file_is_read_by_its_hashtags(places: object, mission_user: User) -> None:
    rows, hxl = imports.read_rows(HXL.encode())
    assert hxl and [r.number for r in rows] == [3, 4]
    created = services.structures_import(actor=mission_user, rows=rows, visibility=["agencies"])
    assert [s.grade for s in created] == ["destroyed", "moderate"]
    assert created[0].geometry == {"type": "Point", "coordinates": [46.1, 39.5]}
    assert created[0].visibility == ["mission", "agencies"]


def test_an_unknown_hxl_tag_or_column_names_the_column() -> None:
    with pytest.raises(InvalidInput) as caught:
        imports.read_rows(b"a,b\n#loc+code,#weird\nT-PUB,x\n")
    assert caught.value.field == "#weird"
    with pytest.raises(InvalidInput) as caught:
        imports.read_rows(b"settlement,colour\nT-PUB,red\n")
    assert caught.value.field == "colour"


def test_bad_rows_are_named_by_row_and_field_and_nothing_is_written(
    places: object, mission_user: User
) -> None:
    text = (
        CSV
        + "T-PUB,I-4,housing,obliterated,,,,,2020-11-20,\nT-PUB,I-1,housing,light,,,,,2020-11-20,\n"
    )
    text += "T-PUB,I-6,housing,light,,,-2,,2020-11-20,\n"
    rows, _ = imports.read_rows(text.encode())
    before = write_counts()
    with pytest.raises(services.ImportInvalid) as caught:
        services.structures_import(actor=mission_user, rows=rows)
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (5, "grade"),
        (6, "reference"),
        (7, "needs.glazing_m2"),
    ]
    assert write_counts() == before
    assert not Structure.objects.exists()


def test_the_import_page_imports_and_reports_progress(places: object, mission_user: User) -> None:
    client = Client()
    client.force_login(mission_user)
    assert client.get(reverse("damage:structure-import")).status_code == 200
    upload = SimpleUploadedFile("s.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("damage:structure-import"), {"file": upload, "token": "t1"})
    assert response.status_code == 302
    assert Structure.objects.count() == 3
    progress = client.get(reverse("damage:import-progress", kwargs={"token": "t1"})).json()
    assert progress == {"done": 3, "total": 3, "phase": "done"}
    cache.clear()


def test_the_import_page_lists_the_rejected_rows(places: object, mission_user: User) -> None:
    client = Client()
    client.force_login(mission_user)
    bad = CSV.replace("destroyed", "gone")
    upload = SimpleUploadedFile("s.csv", bad.encode(), content_type="text/csv")
    response = client.post(reverse("damage:structure-import"), {"file": upload, "token": "t2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<td>2</td><td>grade</td>" in html
    assert not Structure.objects.exists()
