"""Photos and videos: size and type limits, the hash in the ledger, who may attach."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.monitoring.conftest import Front, ObsFactory
from truce.core.errors import InvalidInput, NotFound, PermissionDenied
from truce.core.models import User
from truce.ledger.models import LedgerEntry
from truce.monitoring.models import Attachment, Observation
from truce.monitoring.services import attachment_add, observation_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hook_calls")]
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 1000


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def observation(front: Front, operator: User, make_obs: ObsFactory) -> Observation:
    return observation_record(actor=operator, data=make_obs(visibility=["side_a"])).observation


def test_a_photo_is_stored_under_its_hash_and_the_hash_is_in_the_ledger(
    observation: Observation, operator: User, tmp_path: Path
) -> None:
    upload = SimpleUploadedFile("crater 1.JPG", JPEG, content_type="image/jpeg")
    attachment = attachment_add(actor=operator, observation=observation, file=upload)
    digest = hashlib.sha256(JPEG).hexdigest()
    assert attachment.sha256 == digest
    assert attachment.size_bytes == len(JPEG)
    assert attachment.content_type == "image/jpeg"
    assert attachment.original_name == "crater 1.JPG"
    assert attachment.file.name.endswith(f"{digest}.jpg")
    assert (tmp_path / attachment.file.name).read_bytes() == JPEG
    assert attachment.visibility == observation.visibility
    entry = LedgerEntry.objects.get(record_id=str(attachment.public_id))
    payload = json.loads(entry.payload)
    assert payload["sha256"] == digest
    assert payload["file"] == attachment.file.name
    assert payload["observation"] == str(observation.public_id)


def test_the_size_limit_is_a_setting(observation: Observation, operator: User, settings) -> None:
    settings.TRUCE_MAX_ATTACHMENT_BYTES = 100
    upload = SimpleUploadedFile("big.mp4", b"x" * 101, content_type="video/mp4")
    with pytest.raises(InvalidInput) as caught:
        attachment_add(actor=operator, observation=observation, file=upload)
    assert caught.value.field == "file"
    assert "limit" in caught.value.message
    ok = SimpleUploadedFile("small.mp4", b"x" * 100, content_type="video/mp4")
    assert attachment_add(actor=operator, observation=observation, file=ok).size_bytes == 100


@pytest.mark.parametrize("content_type", ["application/pdf", "text/html", "", "imagex/png"])
def test_only_images_and_videos(
    observation: Observation, operator: User, content_type: str
) -> None:
    upload = SimpleUploadedFile("x.bin", b"data", content_type=content_type)
    with pytest.raises(InvalidInput) as caught:
        attachment_add(actor=operator, observation=observation, file=upload)
    assert caught.value.field == "file"
    assert Attachment.objects.count() == 0


def test_an_empty_file_is_refused(observation: Observation, operator: User) -> None:
    upload = SimpleUploadedFile("x.png", b"", content_type="image/png")
    with pytest.raises(InvalidInput):
        attachment_add(actor=operator, observation=observation, file=upload)


def test_who_may_attach(
    observation: Observation, side_a_user: User, side_b_user: User, mission_user: User
) -> None:
    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("p.png", b"\x89PNG", content_type="image/png")

    # Side A sees the mission's observation but did not report it.
    with pytest.raises(PermissionDenied):
        attachment_add(actor=side_a_user, observation=observation, file=upload())
    with pytest.raises(NotFound):
        attachment_add(actor=side_b_user, observation=observation, file=upload())
    assert attachment_add(actor=mission_user, observation=observation, file=upload())
