"""Photos of a structure, stored by truce.lib.uploads under their SHA-256 with the
same limits as monitoring's attachments; the ledger entry holds the hash. A photo
takes its structure's visibility when it is added.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from truce.core.errors import NotFound
from truce.core.models import User
from truce.core.sharing import can_see, parse_visibility, share_columns_for
from truce.damage.models import Structure, StructurePhoto
from truce.damage.services.structures import _current, ensure_assessor
from truce.ledger.services import ledger_append, ledger_lock
from truce.lib.time import utcnow
from truce.lib.uploads import store_upload

ALLOWED_PREFIXES = ("image/",)


@transaction.atomic
def photo_add(*, actor: User, structure: Structure, file: UploadedFile) -> StructurePhoto:
    """Attach a photo to a structure the actor may change; the same limits as attachments."""
    ensure_assessor(actor)
    if not can_see(structure, actor):
        raise NotFound("no such structure", field="structure")
    current = _current(actor, structure)
    stored = store_upload(file, folder="damage", allowed=ALLOWED_PREFIXES, what="photos (image/*)")
    ledger_lock()
    now = utcnow()
    photo = StructurePhoto(
        structure=current,
        file=stored.path,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        original_name=stored.original_name,
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
