"""Photos of structures: stored under their hash, limited like attachments, shown by visibility."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.core.api_client import Api
from truce.core.errors import InvalidInput, PermissionDenied
from truce.core.models import User
from truce.damage import services

from .helpers import assess

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"roof" * 500


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _jpeg() -> SimpleUploadedFile:
    return SimpleUploadedFile("roof.jpg", JPEG, content_type="image/jpeg")


def test_a_photo_is_stored_under_its_hash(
    places: object, mission_user: User, tmp_path: Path
) -> None:
    s = assess(mission_user, visibility=["side_a"])
    photo = services.photo_add(actor=mission_user, structure=s, file=_jpeg())
    assert photo.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert (tmp_path / photo.file.name).read_bytes() == JPEG
    assert photo.visibility == ["mission", "side_a"]


def test_only_photos_within_the_limit_are_taken(
    places: object, mission_user: User, settings
) -> None:
    s = assess(mission_user)
    text = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
    with pytest.raises(InvalidInput) as caught:
        services.photo_add(actor=mission_user, structure=s, file=text)
    assert caught.value.field == "file"
    settings.TRUCE_MAX_ATTACHMENT_BYTES = 100
    with pytest.raises(InvalidInput):
        services.photo_add(actor=mission_user, structure=s, file=_jpeg())


def test_a_party_may_not_add_photos(places: object, mission_user: User, side_a_user: User) -> None:
    s = assess(mission_user, visibility=["side_a"])
    with pytest.raises(PermissionDenied):
        services.photo_add(actor=side_a_user, structure=s, file=_jpeg())


def test_the_download_applies_visibility(
    places: object, mission_user: User, side_a_user: User, side_b_user: User
) -> None:
    s = assess(mission_user, visibility=["side_a"])
    photo = services.photo_add(actor=mission_user, structure=s, file=_jpeg())
    url = reverse("damage:photo-download", kwargs={"public_id": photo.public_id})
    a, b = Client(), Client()
    a.force_login(side_a_user)
    b.force_login(side_b_user)
    response = a.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert b.get(url).status_code == 404
    detail = Api(side_a_user).get(f"/damage/structures/{s.public_id}").json()
    assert [p["sha256"] for p in detail["photos"]] == [photo.sha256]


def test_photos_upload_through_the_api_and_the_page(places: object, mission_user: User) -> None:
    s = assess(mission_user)
    response = Api(mission_user).client.post(
        f"/api/v1/damage/structures/{s.public_id}/photos", {"file": _jpeg()}
    )
    assert response.status_code == 201, response.content
    client = Client()
    client.force_login(mission_user)
    page = client.post(
        reverse("damage:photo-upload", kwargs={"public_id": s.public_id}),
        {"file": SimpleUploadedFile("b.jpg", JPEG + b"2", content_type="image/jpeg")},
    )
    assert page.status_code == 302
    assert s.photos.count() == 2
