"""Readers of every kind and a small world of lists, cases and one exchange.

Side A holds a person and a set of remains of side B's (list "A-L1"); side B
holds a person of side A's ("B-L1") and has a list of its own it keeps to
itself and the ICRC ("B-L2", one case never exchanged). References are random
codes; `World.refs` gives each its name here. The ICRC is the
intermediary of all of them; UNHCR of none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from truce.core import services as core_services
from truce.core.models import Organisation, Party, User
from truce.detainees import services
from truce.detainees.models import Case, Exchange, SideList, Transfer

PASSWORD = "correct-horse-battery-staple"
DAY = dt.date(2020, 11, 20)


@pytest.fixture
def orgs(parties: dict[str, Party]) -> dict[str, Organisation]:
    def org(code: str, party: str) -> Organisation:
        return core_services.organisation_create(
            actor=None,
            fields={"code": code, "name": code.upper(), "acronym": code.upper(), "party": party},
        )

    return {"icrc": org("icrc", "agencies"), "unhcr": org("unhcr", "agencies")}


def _user(
    parties: dict[str, Party], name: str, scope: str, role: str, org: Organisation | None = None
) -> User:
    return core_services.user_create(
        actor=None,
        username=name,
        party=parties[scope],
        roles=[role],
        password=PASSWORD,
        organisation=org,
    )


@dataclass
class Readers:
    analyst: User
    duty: User
    operator: User
    icrc: User
    unhcr: User
    side_a: User
    side_b: User
    viewer: User


@pytest.fixture
def readers(
    parties: dict[str, Party],
    orgs: dict[str, Organisation],
    mission_user: User,
    side_a_user: User,
    side_b_user: User,
) -> Readers:
    return Readers(
        analyst=_user(parties, "analyst", "mission", "analyst"),
        duty=mission_user,
        operator=_user(parties, "operator", "mission", "op_operator"),
        icrc=_user(parties, "icrc", "agencies", "agency_staff", orgs["icrc"]),
        unhcr=_user(parties, "unhcr", "agencies", "agency_staff", orgs["unhcr"]),
        side_a=side_a_user,
        side_b=side_b_user,
        viewer=_user(parties, "viewer", "public", "viewer"),
    )


@dataclass
class World:
    list_a: SideList
    list_b: SideList
    list_b_private: SideList
    person_a: Case
    remains_a: Case
    person_b: Case
    kept_b: Case
    exchange: Exchange

    def refs(self) -> dict[str, str]:
        """The records' references by the names the tests use for them."""
        return {
            "A-L1": self.list_a.reference,
            "B-L1": self.list_b.reference,
            "B-L2": self.list_b_private.reference,
            "A-0001": self.person_a.reference,
            "A-0002": self.remains_a.reference,
            "B-0001": self.person_b.reference,
            "B-0002": self.kept_b.reference,
            "EX-001": self.exchange.reference,
        }

    def transfers(self) -> list[Transfer]:
        return list(Transfer.objects.filter(exchange=self.exchange).order_by("number"))


def _verified(icrc: User, case: Case) -> Case:
    return services.case_verify(actor=icrc, case=case, expected_version=case.version)


@pytest.fixture
def lists(readers: Readers) -> tuple[SideList, SideList, SideList]:
    def side_list(user: User, side: str, kind: str, title: str) -> SideList:
        return services.list_create(
            actor=user,
            side=side,
            kind=kind,
            intermediary="icrc",
            title=title,
            submitted_on=DAY,
        )

    return (
        side_list(readers.side_a, "side-a", "held", "Held by A"),
        side_list(readers.side_b, "side-b", "held", "Held by B"),
        side_list(readers.side_b, "side-b", "sought", "Sought by B"),
    )


@pytest.fixture
def world(readers: Readers, lists: tuple[SideList, SideList, SideList]) -> World:
    list_a, list_b, list_b_private = lists
    a = readers.side_a
    b = readers.side_b
    person_a = services.case_create(
        actor=a,
        side_list=list_a,
        kind="person",
        full_name="Ivo Testperson",
        category="military",
        birth_year=1999,
        unit="Unit 1 (fictional)",
        event_place="Hill 7 (fictional)",
        event_date=dt.date(2020, 11, 2),
        notes="A's own note",
    )
    remains_a = services.case_create(
        actor=a, side_list=list_a, kind="remains", full_name="Remo Exampleson", category="military"
    )
    person_b = services.case_create(
        actor=b,
        side_list=list_b,
        kind="person",
        full_name="Bela Sampleova",
        category="civilian",
        birth_year=1960,
        notes="B's own note",
    )
    kept_b = services.case_create(
        actor=b, side_list=list_b_private, kind="person", full_name="Secret Soughtname"
    )
    cases = [_verified(readers.icrc, c) for c in (person_a, remains_a, person_b)]
    exchange = services.exchange_create(
        actor=readers.icrc,
        planned_on=DAY,
        crossing_point="Crossing point (fictional)",
        intermediary="icrc",
        cases=cases,
    )
    return World(
        list_a=list_a,
        list_b=list_b,
        list_b_private=list_b_private,
        person_a=Case.objects.get(pk=person_a.pk),
        remains_a=Case.objects.get(pk=remains_a.pk),
        person_b=Case.objects.get(pk=person_b.pk),
        kept_b=Case.objects.get(pk=kept_b.pk),
        exchange=exchange,
    )


def complete(world: World, readers: Readers) -> None:
    """Hand over and confirm every transfer of the world's exchange, both sides."""
    for transfer in world.transfers():
        transfer = services.transfer_hand_over(
            actor=readers.icrc, transfer=transfer, expected_version=transfer.version
        )
        for user, side in ((readers.side_a, "side-a"), (readers.side_b, "side-b")):
            transfer = services.transfer_confirm(
                actor=user, transfer=transfer, side=side, expected_version=transfer.version
            )
