"""Storing an uploaded file under its SHA-256, checked on the way in.

The file is hashed while it is read in chunks (never whole in memory) and
stored under its hash, so a resent file is stored once and a rolled-back
transaction leaves at worst an unreferenced file, never a row without one.
Callers keep the hash in their ledger entry, so the file can be checked
against it later.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from truce.core.errors import InvalidInput
from truce.lib.time import utcnow

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_SAFE_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def max_upload_bytes() -> int:
    return int(getattr(settings, "TRUCE_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES))


def safe_extension(name: str) -> str:
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot >= 0 else ""
    return ext if _SAFE_EXTENSION.match(ext) else ""


@dataclass(frozen=True)
class StoredFile:
    path: str
    content_type: str
    size_bytes: int
    sha256: str
    original_name: str


def store_upload(
    file: UploadedFile, *, folder: str, allowed: tuple[str, ...], what: str
) -> StoredFile:
    """Check type and size (field "file"), hash, and store under folder/YYYY/MM/<sha256>.

    `allowed` are content-type prefixes ("image/"); `what` names them in the
    error ("photos (image/*)").
    """
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if not content_type.startswith(allowed):
        raise InvalidInput(f"only {what} can be attached", field="file")
    limit = max_upload_bytes()
    too_large = f"the file is larger than the limit of {limit} bytes"
    if file.size is not None and file.size > limit:
        raise InvalidInput(too_large, field="file")
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    for chunk in file.chunks():
        size += len(chunk)
        if size > limit:
            raise InvalidInput(too_large, field="file")
        digest.update(chunk)
    if size == 0:
        raise InvalidInput("the file is empty", field="file")
    sha256 = digest.hexdigest()
    name = file.name or ""
    path = f"{folder}/{utcnow():%Y/%m}/{sha256}{safe_extension(name)}"
    if not default_storage.exists(path):
        file.seek(0)
        path = default_storage.save(path, file)
    return StoredFile(path, content_type, size, sha256, name[:255])
