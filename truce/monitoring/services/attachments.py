"""Photos and videos of an observation, stored by truce.lib.uploads under their SHA-256.

The ledger entry holds the hash, so the file can be checked against it later.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from truce.core.errors import NotFound, PermissionDenied
from truce.core.models import User
from truce.core.sharing import can_see, parse_visibility, share_columns_for, viewer_scope
from truce.ledger.services import ledger_append, ledger_lock
from truce.lib.time import utcnow
from truce.lib.uploads import max_upload_bytes, store_upload
from truce.monitoring.models import Attachment, Observation

ALLOWED_PREFIXES = ("image/", "video/")
# The limit every upload shares (TRUCE_MAX_ATTACHMENT_BYTES).
max_attachment_bytes = max_upload_bytes


@transaction.atomic
def attachment_add(*, actor: User, observation: Observation, file: UploadedFile) -> Attachment:
    """Attach a photo or video to an observation the actor's party reported (or the mission)."""
    current = Observation.objects.filter(pk=observation.pk).first()
    if current is None or not can_see(current, actor):
        raise NotFound("no such observation", field="observation")
    if viewer_scope(actor).value != "mission" and current.reporting_party_id != actor.party_id:
        raise PermissionDenied("only the mission or the reporting party may add attachments")
    stored = store_upload(
        file,
        folder="observations",
        allowed=ALLOWED_PREFIXES,
        what="photos (image/*) and videos (video/*)",
    )
    ledger_lock()
    now = utcnow()
    attachment = Attachment(
        observation=current,
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
