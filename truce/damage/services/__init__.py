"""The write path of damage assessment: every change to a structure goes through here."""

from truce.damage.services.photos import photo_add
from truce.damage.services.rollups import rollups_adjust, rollups_rebuild
from truce.damage.services.structures import (
    ImportInvalid,
    ImportRow,
    RowError,
    can_assess,
    can_change,
    structure_create,
    structure_delete,
    structure_update,
    structures_import,
)

__all__ = [
    "ImportInvalid",
    "ImportRow",
    "RowError",
    "can_assess",
    "can_change",
    "photo_add",
    "rollups_adjust",
    "rollups_rebuild",
    "structure_create",
    "structure_delete",
    "structure_update",
    "structures_import",
]
