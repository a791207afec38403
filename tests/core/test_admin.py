"""The Django admin: administrators only, and every write through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from truce.core import services
from truce.core.models import Facility, Party, Settlement, User
from truce.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


def _form_data(response: Any) -> dict[str, Any]:
    """The change form's current values, as a browser would post them back."""
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.name] = "on"
            continue
        if isinstance(bound.field, forms.MultipleChoiceField):
            data[bound.name] = list(value or [])
            continue
        data[bound.name] = "" if value is None else value
    return data


def _change_url(record: Any) -> str:
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


def _entries(record: Any) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(record_id=str(record.public_id)).order_by("seq"))


def test_non_administrators_are_refused(
    client: Client, places: Places, mission_user: User, side_a_user: User
) -> None:
    # Even with staff status, a duty officer is not an administrator.
    User.objects.filter(pk=mission_user.pk).update(is_staff=True)
    settlement = places.public_settlement
    for user in (side_a_user, mission_user):
        client.force_login(user)
        for url in (
            reverse("admin:index"),
            reverse("admin:core_settlement_changelist"),
            _change_url(settlement),
            reverse("admin:ledger_ledgerentry_changelist"),
        ):
            response = client.get(url)
            assert response.status_code == 302, (user, url)
            assert response["Location"].startswith(reverse("admin:login")), (user, url)
        response = client.post(_change_url(settlement), {"display_name": "Hijacked"})
        assert response.status_code == 302
    settlement.refresh_from_db()
    assert settlement.display_name == "Publictown"
    assert settlement.version == 1


def test_administrators_get_in(client: Client, admin_user: User, places: Places) -> None:
    client.force_login(admin_user)
    html = client.get(reverse("admin:index")).content.decode()
    for model in ("party", "organisation", "adminarea", "settlement", "zone", "facility"):
        assert reverse(f"admin:core_{model}_changelist") in html
    assert reverse("admin:ledger_ledgerentry_changelist") in html
    assert reverse("admin:core_user_changelist") in html


def test_admin_save_writes_a_new_version_and_a_ledger_entry(
    client: Client, admin_user: User, places: Places
) -> None:
    settlement = places.public_settlement
    client.force_login(admin_user)
    response = client.get(_change_url(settlement))
    assert response.status_code == 200
    data = _form_data(response)
    assert data["expected_version"] == 1
    assert data["visibility"] == ["public"]
    data["display_name"] = "Publictown (renamed)"
    data["visibility"] = ["public", "side_b"]

    response = client.post(_change_url(settlement), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    settlement.refresh_from_db()
    assert settlement.version == 2
    assert settlement.display_name == "Publictown (renamed)"
    assert settlement.share_side_b and settlement.share_public and not settlement.share_side_a
    assert settlement.updated_by == admin_user
    last = _entries(settlement)[-1]
    assert (last.action, last.actor, last.record_version) == ("update", "admin", 2)
    assert '"Publictown (renamed)"' in last.payload


def test_admin_save_without_changes_writes_nothing(
    client: Client, admin_user: User, places: Places
) -> None:
    settlement = places.public_settlement
    client.force_login(admin_user)
    data = _form_data(client.get(_change_url(settlement)))
    assert client.post(_change_url(settlement), data).status_code == 302
    settlement.refresh_from_db()
    assert settlement.version == 1
    assert len(_entries(settlement)) == 1


def test_admin_save_refuses_a_stale_version(
    client: Client, admin_user: User, places: Places
) -> None:
    settlement = places.public_settlement
    client.force_login(admin_user)
    data = _form_data(client.get(_change_url(settlement)))
    # Someone else saves first.
    services.settlement_update(
        actor=admin_user,
        settlement=settlement,
        expected_version=1,
        changes={"baseline_population": 10},
    )
    data["display_name"] = "Lost update"
    response = client.post(_change_url(settlement), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("version 2" in str(error) for error in errors)
    settlement.refresh_from_db()
    assert settlement.display_name == "Publictown"
    assert settlement.version == 2


def test_domain_errors_show_on_their_field(
    client: Client, admin_user: User, places: Places
) -> None:
    client.force_login(admin_user)
    add_url = reverse("admin:core_facility_add")
    data = _form_data(client.get(add_url))
    data.update(
        code="op-x",
        name="OP X",
        kind="observation_post",
        op_role="contact_line",
        zone=places.mission_zone.pk,
        battalion="",
        geometry='{"type": "Point", "coordinates": [46.5, 39.5]}',
    )
    response = client.post(add_url, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["battalion"] == ["an observation post needs its battalion"]
    assert not Facility.objects.filter(code="op-x").exists()

    data.update(battalion="1st", geometry='{"type": "Point", "coordinates": [200, 39.5]}')
    response = client.post(add_url, data)
    assert "out of range" in str(response.context["adminform"].form.errors["geometry"])
    assert not Facility.objects.filter(code="op-x").exists()


def test_admin_add_goes_through_the_service(
    client: Client, admin_user: User, places: Places
) -> None:
    client.force_login(admin_user)
    add_url = reverse("admin:core_facility_add")
    data = _form_data(client.get(add_url))
    data.update(
        code="op-x",
        name="OP X",
        kind="observation_post",
        op_role="contact_line",
        zone=places.mission_zone.pk,
        battalion="1st battalion",
        visibility=["side_a"],
        geometry='{"type": "Point", "coordinates": [46.5, 39.5]}',
    )
    response = client.post(add_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    facility = Facility.objects.get(code="op-x")
    assert facility.version == 1
    assert facility.created_by == admin_user
    assert facility.share_side_a and not facility.share_side_b and not facility.share_public
    assert facility.min_lon == 46.5  # the service computed the bounding box
    assert [(e.action, e.actor) for e in _entries(facility)] == [("create", "admin")]


def test_admin_delete_is_a_tombstone(client: Client, admin_user: User, places: Places) -> None:
    settlement = places.side_a_settlement
    client.force_login(admin_user)
    url = reverse("admin:core_settlement_delete", args=[settlement.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    row = Settlement.objects.get(pk=settlement.pk)  # the row stays
    assert row.is_deleted
    assert row.deleted_at is not None
    assert row.version == 2
    last = _entries(settlement)[-1]
    assert (last.action, last.actor, last.record_version) == ("delete", "admin", 2)
    # A tombstone can be looked at, not edited or deleted again.
    assert client.post(_change_url(row), {"display_name": "Back"}).status_code == 403
    assert client.get(url).status_code == 403


def test_bulk_delete_tombstones_each_record(
    client: Client, admin_user: User, places: Places
) -> None:
    chosen = [places.public_settlement, places.side_b_settlement]
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:core_settlement_changelist"),
        {"action": "delete_selected", "_selected_action": [s.pk for s in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    for settlement in chosen:
        row = Settlement.objects.get(pk=settlement.pk)
        assert row.is_deleted and row.version == 2
        assert _entries(settlement)[-1].action == "delete"
    assert not Settlement.objects.get(pk=places.side_a_settlement.pk).is_deleted


def test_system_fields_are_read_only(client: Client, admin_user: User, places: Places) -> None:
    settlement = places.public_settlement
    client.force_login(admin_user)
    response = client.get(_change_url(settlement))
    form = response.context["adminform"].form
    for name in (
        "public_id",
        "version",
        "created_at",
        "updated_by",
        "is_deleted",
        "share_public",
        "min_lon",
    ):
        assert name not in form.fields, name
    html = response.content.decode()
    assert str(settlement.public_id) in html
    assert 'name="visibility"' in html and 'type="checkbox"' in html

    # Posting a system field changes nothing.
    data = _form_data(response)
    data.update(version=99, is_deleted="on", share_side_a="on", display_name="Renamed")
    assert client.post(_change_url(settlement), data).status_code == 302
    settlement.refresh_from_db()
    assert (settlement.version, settlement.is_deleted, settlement.share_side_a) == (2, False, False)


def test_party_scope_cannot_be_changed(
    client: Client, admin_user: User, parties: dict[str, Party]
) -> None:
    party = parties["side_a"]
    client.force_login(admin_user)
    response = client.get(_change_url(party))
    assert "scope" not in response.context["adminform"].form.fields
    data = _form_data(response)
    data.update(scope="mission", name="Side A (renamed)")
    assert client.post(_change_url(party), data).status_code == 302
    party.refresh_from_db()
    assert (party.scope, party.name, party.version) == ("side_a", "Side A (renamed)", 2)


def test_ledger_admin_is_read_only(client: Client, admin_user: User, places: Places) -> None:
    entry = LedgerEntry.objects.order_by("seq").first()
    assert entry is not None
    client.force_login(admin_user)
    assert client.get(reverse("admin:ledger_ledgerentry_changelist")).status_code == 200
    change = reverse("admin:ledger_ledgerentry_change", args=[entry.pk])
    response = client.get(change)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert client.post(change, {"actor": "forged"}).status_code == 403
    assert client.get(reverse("admin:ledger_ledgerentry_add")).status_code == 403
    delete = reverse("admin:ledger_ledgerentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.actor == "system"


def test_user_admin_shows_party_and_roles_and_adds_through_the_service(
    client: Client, admin_user: User, side_a_user: User
) -> None:
    client.force_login(admin_user)
    html = client.get(reverse("admin:core_user_changelist")).content.decode()
    assert "liaison_a" in html and "Side A" in html and "Liaison officer" in html

    add_url = reverse("admin:core_user_add")
    response = client.post(
        add_url,
        {
            "username": "new_duty",
            "full_name": "Nora Duty",
            "email": "",
            "party": side_a_user.party.pk,
            "roles": ["duty_officer"],
            "password1": "a-long-enough-passphrase-42",
            "password2": "a-long-enough-passphrase-42",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="new_duty")
    assert user.party == side_a_user.party
    assert user.role_codes() == {"duty_officer"}
    assert user.check_password("a-long-enough-passphrase-42")
    assert LedgerEntry.objects.filter(record_type="core.user", record_id="new_duty").exists()


def test_user_admin_changes_roles_and_status_through_the_service(
    client: Client, admin_user: User, side_a_user: User
) -> None:
    client.force_login(admin_user)
    change = reverse("admin:core_user_change", args=[side_a_user.pk])
    before = LedgerEntry.objects.filter(record_type="core.user", record_id="liaison_a").count()
    response = client.post(
        change,
        {
            "username": "renamed",  # read-only: ignored
            "full_name": "Ayla Liaison",
            "email": "a@example.org",
            "roles": ["viewer"],
            "is_active": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    side_a_user.refresh_from_db()
    assert side_a_user.username == "liaison_a"
    assert not side_a_user.is_active
    assert set(side_a_user.roles.values_list("code", flat=True)) == {"viewer"}
    assert side_a_user.get_full_name() == "Ayla Liaison"
    entries = LedgerEntry.objects.filter(record_type="core.user", record_id="liaison_a")
    assert entries.count() == before + 1
    assert '"is_active":false' in entries.order_by("-seq").first().payload  # type: ignore[union-attr]


def test_user_admin_refuses_an_organisation_of_another_party(
    client: Client, admin_user: User, side_a_user: User
) -> None:
    from truce.core import services

    icrc = services.organisation_create(
        actor=None, fields={"code": "icrc", "name": "ICRC", "party": "agencies"}
    )
    client.force_login(admin_user)
    change = reverse("admin:core_user_change", args=[side_a_user.pk])
    response = client.post(
        change,
        {
            "full_name": "",
            "email": "",
            "roles": ["liaison_officer"],
            "is_active": "on",
            "organisation": icrc.pk,
        },
    )
    assert response.status_code == 200
    assert "belongs to another party" in str(response.context["adminform"].form.errors)
    side_a_user.refresh_from_db()
    assert side_a_user.organisation is None
