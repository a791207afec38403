"""Writes of displacement and returns records (each through truce.core.records)."""

from truce.population.services.households import (
    household_register,
    household_share,
    household_update,
)
from truce.population.services.movements import (
    FlowResult,
    baseline_create,
    baseline_update,
    flow_count_record,
    is_monitoring_point,
    monitoring_point,
    return_movement_create,
    return_movement_update,
)

__all__ = [
    "FlowResult",
    "baseline_create",
    "baseline_update",
    "flow_count_record",
    "household_register",
    "household_share",
    "household_update",
    "is_monitoring_point",
    "monitoring_point",
    "return_movement_create",
    "return_movement_update",
]
