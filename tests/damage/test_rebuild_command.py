"""`truce damage rebuild-rollups` recounts the rollups to what the writes kept."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from truce.damage.models import DamageAreaCount, DamageCount

from .helpers import assess

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple[object, ...]]:
    settlement = DamageCount.objects.order_by("pk").values_list()
    area = DamageAreaCount.objects.order_by("pk").values_list()
    drop_pk = [row[1:] for row in [*settlement, *area]]
    return sorted(drop_pk, key=repr)


def test_a_rebuild_restores_the_rollups_the_writes_kept(places: object) -> None:
    for grade, visibility in (("destroyed", ["public"]), ("severe", ["side_a"]), ("light", None)):
        assess(None, grade=grade, visibility=visibility)
    assess(None, use="school", visibility=["side_a", "agencies"])
    kept = _rows()
    assert kept
    DamageCount.objects.all().delete()
    DamageAreaCount.objects.all().delete()
    out = StringIO()
    call_command("damage", "rebuild-rollups", stdout=out)
    assert _rows() == kept
    assert "rows written" in out.getvalue()


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(CommandError):
        call_command("damage")
