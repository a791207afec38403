"""Photos and videos of an observation.

The file is hashed while it is read in chunks (never whole in memory) and
stored under its SHA-256, so a resent file is stored once and a rolled-back
transaction leaves at worst an unreferenced file, never a row without one.
The ledger entry holds the hash, so the file can be checked against it later.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from truce.core.errors import InvalidInput, NotFound, PermissionDenied
from truce.core.models import User
from truce.core.sharing import can_see, parse_visibility, share_columns_for, viewer_scope
from truce.ledger.services import ledger_append, ledger_lock
from truce.lib.time import utcnow
from truce.monitoring.models import Attachment, Observation

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
ALLOWED_PREFIXES = ("image/", "video/")
_SAFE_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def max_attachment_bytes() -> int:
    return int(getattr(settings, "TRUCE_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES))


def _extension(name: str) -> str:
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot >= 0 else ""
    return ext if _SAFE_EXTENSION.match(ext) else ""


@transaction.atomic
def attachment_add(*, actor: User, observation: Observation, file: UploadedFile) -> Attachment:
    """Attach a photo or video to an observation the actor's party reported (or the mission)."""
    current = Observation.objects.filter(pk=observation.pk).first()
    if current is None or not can_see(current, actor):
        raise NotFound("no such observation", field="observation")
    if viewer_scope(actor).value != "mission" and current.reporting_party_id != actor.party_id:
        raise PermissionDenied("only the mission or the reporting party may add attachments")
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if not content_type.startswith(ALLOWED_PREFIXES):
        raise InvalidInput(
            "only photos (image/*) and videos (video/*) can be attached", field="file"
        )
    limit = max_attachment_bytes()
    if file.size is not None and file.size > limit:
        raise InvalidInput(f"the file is larger than the limit of {limit} bytes", field="file")
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    for chunk in file.chunks():
        size += len(chunk)
        if size > limit:
            raise InvalidInput(f"the file is larger than the limit of {limit} bytes", field="file")
        digest.update(chunk)
    if size == 0:
        raise InvalidInput("the file is empty", field="file")
    sha256 = digest.hexdigest()
    name = file.name or ""
    path = f"observations/{utcnow():%Y/%m}/{sha256}{_extension(name)}"
    if not default_storage.exists(path):
        file.seek(0)
        path = default_storage.save(path, file)
    ledger_lock()
    now = utcnow()
    attachment = Attachment(
        observation=current,
        file=path,
        content_type=content_type,
        size_bytes=size,
        sha256=sha256,
        original_name=name[:255],
        created_at=now,
        updated_at=now,
        created_by=actor,
        updated_by=actor,
        **share_columns_for(parse_visibility(current.visibility)),
    )
    attachment.save()
    payload = attachment.ledger_payload()
    # A stored file is named by its path; its content is vouched for by sha256.
    payload["file"] = attachment.file.name
    ledger_append(
        actor=actor,
        action="create",
        record_type=Attachment.ledger_type(),
        record_id=str(attachment.public_id),
        record_version=1,
        payload=payload,
    )
    return attachment
