"""Two dispatches at once, from two threads with their own connections: never below zero."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.logistics.conftest import WHEN
from truce.core.errors import InvalidInput
from truce.logistics import services
from truce.logistics.models import StockLevel, StockMovement


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dispatches_cannot_take_more_than_the_stock(depot):
    services.stock_receive(
        actor=None, warehouse="wh-a", item="cement", quantity=10, occurred_at=WHEN
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def dispatch(tag: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.stock_dispatch(
                actor=None,
                warehouse="wh-a",
                item="cement",
                quantity=7,
                occurred_at=WHEN,
                reference=tag,
            )
            outcomes.append("sent")
        except InvalidInput as exc:
            assert exc.field == "quantity"
            outcomes.append("refused")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch, args=(t,)) for t in ("c1", "c2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes) == ["refused", "sent"]
    assert StockLevel.objects.get().quantity == 3
    assert StockMovement.objects.filter(reason="dispatched").count() == 1
