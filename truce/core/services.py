"""Writes to the core registries: parties, organisations, users, places, tokens.

Each service is keyword-only, atomic, and records its ledger entry through
truce.core.records. Views, the API, the admin, the scenario loader and the
CLI all come here, so a rule holds whichever way a write arrives.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from truce.core.errors import InvalidInput, NotFound, PermissionDenied
from truce.core.models import (
    AdminArea,
    ApiToken,
    Facility,
    FacilityKind,
    Organisation,
    Party,
    Record,
    Role,
    RoleCode,
    Settlement,
    User,
    Zone,
)
from truce.core.records import record_create, record_delete, record_update
from truce.core.sharing import Scope
from truce.ledger.services import ledger_append, ledger_lock
from truce.lib import geo
from truce.lib.time import utcnow

Fields = Mapping[str, Any]
Visibility = Iterable[str] | str | None


# --- who may write ---------------------------------------------------------------


def ensure_registry_editor(actor: User | None) -> None:
    """Registries are kept by mission administrators (None is the system loader)."""
    if actor is None:
        return
    if actor.party.scope != Scope.MISSION or not (
        actor.is_superuser or actor.has_role(RoleCode.ADMINISTRATOR)
    ):
        raise PermissionDenied("only mission administrators may change the registries")


# --- references by code ------------------------------------------------------------


def _resolve(fields: Fields, name: str, model: type[Record], key: str) -> dict[str, Any]:
    """Replace a reference given by code (e.g. admin_area="AZ-KH") with the row."""
    result = dict(fields)
    if name not in result:
        return result
    value = result[name]
    if value is None or isinstance(value, model):
        return result
    row = model.objects.filter(**{key: value}, is_deleted=False).first()  # type: ignore[attr-defined]
    if row is None:
        raise InvalidInput(f"unknown {name} {value!r}", field=name)
    result[name] = row
    return result


# --- parties and organisations ------------------------------------------------------


def party_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    scope: str,
    description: str = "",
    source: str = "",
) -> Party:
    ensure_registry_editor(actor)
    if scope not in {s.value for s in Scope}:
        raise InvalidInput(f"unknown scope {scope!r}", field="scope")
    return record_create(
        actor=actor,
        model=Party,
        fields={
            "code": code,
            "name": name,
            "scope": scope,
            "description": description,
            "source": source,
        },
        visibility=["public"],
    )


def party_update(
    *, actor: User | None, party: Party, expected_version: int | None, changes: Fields
) -> Party:
    """Rename or re-describe a party. Its code and scope stay: users and records hang on them."""
    ensure_registry_editor(actor)
    for name in ("code", "scope"):
        if name in changes and changes[name] != getattr(party, name):
            raise InvalidInput(f"a party's {name} cannot change", field=name)
    return record_update(
        actor=actor, record=party, expected_version=expected_version, changes=changes
    )


def organisation_create(
    *, actor: User | None, fields: Fields, visibility: Visibility = ("public",)
) -> Organisation:
    ensure_registry_editor(actor)
    resolved = _resolve(fields, "party", Party, "code")
    return record_create(actor=actor, model=Organisation, fields=resolved, visibility=visibility)


def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> Organisation:
    ensure_registry_editor(actor)
    return record_update(
        actor=actor,
        record=organisation,
        expected_version=expected_version,
        changes=_resolve(changes, "party", Party, "code"),
        visibility=visibility,
    )


# --- places ---------------------------------------------------------------------------


def _check_admin_parent(fields: Fields) -> None:
    parent = fields.get("parent")
    level = fields.get("level")
    if isinstance(parent, AdminArea) and level is not None and parent.level >= int(level):
        raise InvalidInput(
            f"parent {parent.pcode} is level {parent.level}; a child must have a higher level",
            field="parent",
        )


def admin_area_create(
    *, actor: User | None, fields: Fields, visibility: Visibility = ("public",)
) -> AdminArea:
    ensure_registry_editor(actor)
    resolved = _resolve(fields, "parent", AdminArea, "pcode")
    _check_admin_parent(resolved)
    return record_create(
        actor=actor,
        model=AdminArea,
        fields=resolved,
        visibility=visibility,
        geometry_types=geo.AREA_TYPES,
    )


def admin_area_update(
    *,
    actor: User | None,
    area: AdminArea,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> AdminArea:
    ensure_registry_editor(actor)
    resolved = _resolve(changes, "parent", AdminArea, "pcode")
    _check_admin_parent({"level": area.level, **resolved})
    return record_update(
        actor=actor,
        record=area,
        expected_version=expected_version,
        changes=resolved,
        visibility=visibility,
        geometry_types=geo.AREA_TYPES,
    )


def settlement_create(
    *, actor: User | None, fields: Fields, visibility: Visibility = ("public",)
) -> Settlement:
    """A settlement with its P-code, names, point and baseline population."""
    ensure_registry_editor(actor)
    if not fields.get("geometry"):
        raise InvalidInput("a settlement needs a point", field="geometry")
    resolved = _resolve(fields, "admin_area", AdminArea, "pcode")
    return record_create(
        actor=actor,
        model=Settlement,
        fields=resolved,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


def settlement_update(
    *,
    actor: User | None,
    settlement: Settlement,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> Settlement:
    ensure_registry_editor(actor)
    if "geometry" in changes and not changes["geometry"]:
        raise InvalidInput("a settlement needs a point", field="geometry")
    return record_update(
        actor=actor,
        record=settlement,
        expected_version=expected_version,
        changes=_resolve(changes, "admin_area", AdminArea, "pcode"),
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


def zone_create(*, actor: User | None, fields: Fields, visibility: Visibility = None) -> Zone:
    ensure_registry_editor(actor)
    if not fields.get("geometry"):
        raise InvalidInput("a zone needs a polygon", field="geometry")
    return record_create(
        actor=actor,
        model=Zone,
        fields=fields,
        visibility=visibility,
        geometry_types=geo.AREA_TYPES,
    )


def zone_update(
    *,
    actor: User | None,
    zone: Zone,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> Zone:
    ensure_registry_editor(actor)
    if "geometry" in changes and not changes["geometry"]:
        raise InvalidInput("a zone needs a polygon", field="geometry")
    return record_update(
        actor=actor,
        record=zone,
        expected_version=expected_version,
        changes=changes,
        visibility=visibility,
        geometry_types=geo.AREA_TYPES,
    )


def _facility_refs(fields: Fields) -> dict[str, Any]:
    resolved = _resolve(fields, "zone", Zone, "code")
    resolved = _resolve(resolved, "settlement", Settlement, "pcode")
    return _resolve(resolved, "operator", Organisation, "code")


def _check_facility(values: Fields) -> None:
    if values.get("kind") == FacilityKind.OBSERVATION_POST:
        if not values.get("battalion"):
            raise InvalidInput("an observation post needs its battalion", field="battalion")
        if not values.get("zone"):
            raise InvalidInput("an observation post needs its zone", field="zone")
        if not values.get("op_role"):
            raise InvalidInput("an observation post needs its role", field="op_role")
    elif values.get("op_role"):
        raise InvalidInput("only observation posts have an OP role", field="op_role")


def facility_create(
    *, actor: User | None, fields: Fields, visibility: Visibility = None
) -> Facility:
    """A command post, OP, checkpoint, warehouse, shelter or heritage site."""
    ensure_registry_editor(actor)
    if not fields.get("geometry"):
        raise InvalidInput("a facility needs a point", field="geometry")
    resolved = _facility_refs(fields)
    _check_facility(resolved)
    return record_create(
        actor=actor,
        model=Facility,
        fields=resolved,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


def facility_update(
    *,
    actor: User | None,
    facility: Facility,
    expected_version: int | None,
    changes: Fields,
    visibility: Visibility = None,
) -> Facility:
    ensure_registry_editor(actor)
    resolved = _facility_refs(changes)
    current = {
        "kind": facility.kind,
        "battalion": facility.battalion,
        "zone": facility.zone,
        "op_role": facility.op_role,
    }
    _check_facility({**current, **resolved})
    return record_update(
        actor=actor,
        record=facility,
        expected_version=expected_version,
        changes=resolved,
        visibility=visibility,
        geometry_types=geo.POINT_TYPES,
    )


def registry_delete(
    *, actor: User | None, record: Record, expected_version: int | None, reason: str = ""
) -> Record:
    """Tombstone a registry record (it stays in history and in the ledger)."""
    ensure_registry_editor(actor)
    return record_delete(
        actor=actor, record=record, expected_version=expected_version, reason=reason
    )


# --- users -------------------------------------------------------------------------------


def _user_payload(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "party": user.party.code,
        "organisation": user.organisation.code if user.organisation else None,
        "roles": sorted(user.role_codes()),
        "is_active": user.is_active,
        "email": user.email,
    }


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    party: Party | str | None,
    roles: Iterable[str] = (),
    password: str | None = None,
    email: str = "",
    organisation: Organisation | str | None = None,
    full_name: str = "",
    check_password: bool = True,
) -> User:
    """An account with exactly one party and any number of roles.

    Administrators of the mission get access to the Django admin.
    """
    ensure_registry_editor(actor)
    if not username:
        raise InvalidInput("a username is required", field="username")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"user {username!r} already exists", field="username")
    if party is None or party == "":
        raise InvalidInput("every user belongs to exactly one party", field="party")
    if isinstance(party, str):
        found = Party.objects.filter(code=party, is_deleted=False).first()
        if found is None:
            raise InvalidInput(f"unknown party {party!r}", field="party")
        party = found
    organisation = _organisation_of_party(organisation, party.pk)
    role_codes = _checked_roles(roles)
    first, _, last = full_name.partition(" ")
    user = User(
        username=username,
        party=party,
        organisation=organisation,
        email=email,
        first_name=first,
        last_name=last,
        is_staff=RoleCode.ADMINISTRATOR in role_codes and party.scope == Scope.MISSION,
    )
    if password:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    # get_or_create: the role rows are a fixed vocabulary seeded by a migration,
    # but a database emptied and reused (as test runners do) must still work.
    user.roles.set([Role.objects.get_or_create(code=code)[0] for code in sorted(role_codes)])
    user._role_codes = role_codes
    ledger_append(
        actor=actor,
        action="create",
        record_type="core.user",
        record_id=user.username,
        record_version=1,
        payload=_user_payload(user),
    )
    return user


def _next_user_version(user: User) -> int:
    from truce.ledger.models import LedgerEntry

    return LedgerEntry.objects.filter(record_type="core.user", record_id=user.username).count() + 1


@transaction.atomic
def user_update(
    *,
    actor: User | None,
    user: User,
    roles: Iterable[str] | None = None,
    organisation: Organisation | str | Literal["unchanged"] | None = "unchanged",
    is_active: bool | None = None,
    email: str | None = None,
    full_name: str | None = None,
) -> User:
    """Change an account's roles, organisation, status or contact details.

    The party never changes: someone who moves to another party gets a new
    account, so what each account saw stays attributable to one party.
    Deactivating also stops the account's API tokens (auth checks is_active).
    """
    ensure_registry_editor(actor)
    ledger_lock()  # the one lock order: ledger head first, then rows
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join.
    user = (
        User.objects.select_for_update(of=("self",))
        .select_related("party", "organisation")
        .get(pk=user.pk)
    )
    if organisation != "unchanged":
        user.organisation = _organisation_of_party(organisation, user.party_id)
    if roles is not None:
        role_codes = _checked_roles(roles)
        user.roles.set([Role.objects.get_or_create(code=c)[0] for c in sorted(role_codes)])
        user._role_codes = role_codes
        user.is_staff = RoleCode.ADMINISTRATOR in role_codes and user.party.scope == Scope.MISSION
    if is_active is not None:
        if actor is not None and actor.pk == user.pk and not is_active:
            raise InvalidInput("you cannot deactivate your own account", field="is_active")
        user.is_active = is_active
    if email is not None:
        user.email = email
    if full_name is not None:
        user.first_name, _, user.last_name = full_name.partition(" ")
    user.save()
    ledger_append(
        actor=actor,
        action="update",
        record_type="core.user",
        record_id=user.username,
        record_version=_next_user_version(user),
        payload=_user_payload(user),
    )
    return user


def _organisation_of_party(
    organisation: Organisation | str | None, party_id: int
) -> Organisation | None:
    """The organisation (by row or code), which must belong to the user's party."""
    if isinstance(organisation, str):
        found = Organisation.objects.filter(code=organisation, is_deleted=False).first()
        if found is None:
            raise InvalidInput(f"unknown organisation {organisation!r}", field="organisation")
        organisation = found
    if organisation is not None and organisation.party_id != party_id:
        raise InvalidInput(
            f"organisation {organisation.code} belongs to another party", field="organisation"
        )
    return organisation


def _checked_roles(roles: Iterable[str]) -> set[str]:
    role_codes = set(roles)
    unknown = role_codes - set(RoleCode.values)
    if unknown:
        raise InvalidInput(
            f"unknown role(s) {', '.join(sorted(unknown))}; use {', '.join(RoleCode.values)}",
            field="roles",
        )
    return role_codes


# --- API tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "truce_"  # noqa: S105 - a label, not a secret


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough to make a leaked
    # table useless; a slow KDF would only slow every API call.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(
    *, actor: User | None, user: User | str, name: str = "cli"
) -> tuple[ApiToken, str]:
    """Create a bearer token for a user; returns the row and the secret, shown only once."""
    if isinstance(user, str):
        found = User.objects.filter(username=user).first()
        if found is None:
            raise NotFound(f"no user {user!r}", field="user")
        user = found
    if actor is not None and actor.pk != user.pk:
        ensure_registry_editor(actor)
    if not user.is_active:
        raise InvalidInput(f"user {user.username!r} is not active", field="user")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_token(secret),
        created_at=utcnow(),
    )
    ledger_append(
        actor=actor,
        action="token_create",
        record_type="core.apitoken",
        record_id=str(token.pk),
        record_version=1,
        payload={"user": user.username, "name": name, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        ensure_registry_editor(actor)
    token.revoked_at = utcnow()
    token.save(update_fields=["revoked_at"])
    ledger_append(
        actor=actor,
        action="token_revoke",
        record_type="core.apitoken",
        record_id=str(token.pk),
        record_version=2,
        payload={"user": token.user.username, "name": token.name, "prefix": token.prefix},
    )
    return token
