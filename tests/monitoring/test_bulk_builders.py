"""The hot path's builders give exactly what the ORM's own constructors give."""

from __future__ import annotations

import pytest

from truce.alerts.models import Alert
from truce.monitoring.models import Incident, Observation
from truce.monitoring.services.bulk import Maker


@pytest.mark.parametrize("model", [Observation, Incident, Alert])
def test_maker_starts_every_field_at_the_models_default(model: type) -> None:
    make = Maker(model)
    first, _second, reference = make({}), make({}), model()
    for field in model._meta.concrete_fields:
        if field.name == "public_id":
            continue
        assert getattr(first, field.attname) == getattr(reference, field.attname), field.name


@pytest.mark.parametrize("model", [Observation, Incident, Alert])
def test_maker_gives_each_instance_its_own_id_and_mutable_defaults(model: type) -> None:
    make = Maker(model)
    first, second = make({}), make({})
    assert first.public_id != second.public_id
    for field in model._meta.concrete_fields:
        value = getattr(first, field.attname)
        if isinstance(value, dict | list):
            assert value is not getattr(second, field.attname), field.name


def test_maker_takes_given_values_over_defaults() -> None:
    make = Maker(Observation)
    observation = make({"count": 7, "text": "seen"})
    assert (observation.count, observation.text, observation.version) == (7, "seen", 1)
    assert observation._state.adding
