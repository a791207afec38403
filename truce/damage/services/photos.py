"""Photos of a structure, stored and limited as monitoring stores its attachments.

The file is hashed while it is read in chunks and stored under its SHA-256
(so a resent photo is stored once, and a rolled-back transaction leaves at
worst an unreferenced file, never a row without one); the ledger entry holds
the hash. A photo takes its structure's visibility when it is added.
"""

from __future__ import annotations

import hashlib

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from truce.core.errors import InvalidInput, NotFound
from truce.core.models import User
from truce.core.sharing import can_see, parse_visibility, share_columns_for
from truce.damage.models import Structure, StructurePhoto
from truce.damage.services.structures import _current, ensure_assessor
from truce.ledger.services import ledger_append, ledger_lock
from truce.lib.time import utcnow
from truce.monitoring.services.attachments import _extension, max_attachment_bytes

ALLOWED_PREFIX = "image/"


@transaction.atomic
def photo_add(*, actor: User, structure: Structure, file: UploadedFile) -> StructurePhoto:
    """Attach a photo to a structure the actor may change; the same limits as attachments."""
    ensure_assessor(actor)
    if not can_see(structure, actor):
        raise NotFound("no such structure", field="structure")
    current = _current(actor, structure)
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if not content_type.startswith(ALLOWED_PREFIX):
        raise InvalidInput("only photos (image/*) can be attached", field="file")
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
    path = f"damage/{utcnow():%Y/%m}/{sha256}{_extension(name)}"
    if not default_storage.exists(path):
        file.seek(0)
        path = default_storage.save(path, file)
    ledger_lock()
    now = utcnow()
    photo = StructurePhoto(
        structure=current,
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
    photo.save()
    payload = photo.ledger_payload()
    payload["file"] = photo.file.name
    ledger_append(
        actor=actor,
        action="create",
        record_type=StructurePhoto.ledger_type(),
        record_id=str(photo.public_id),
        record_version=1,
        payload=payload,
    )
    return photo
