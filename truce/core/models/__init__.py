from truce.core.models.accounts import Role, RoleCode, User
from truce.core.models.parties import Organisation, Party
from truce.core.models.places import (
    AdminArea,
    Facility,
    FacilityKind,
    GeoRecord,
    OpRole,
    Settlement,
    Zone,
    ZoneKind,
)
from truce.core.models.record import Confidence, Record
from truce.core.models.tokens import ApiToken, IdempotentRequest

__all__ = [
    "AdminArea",
    "ApiToken",
    "Confidence",
    "Facility",
    "FacilityKind",
    "GeoRecord",
    "IdempotentRequest",
    "OpRole",
    "Organisation",
    "Party",
    "Record",
    "Role",
    "RoleCode",
    "Settlement",
    "User",
    "Zone",
    "ZoneKind",
]
