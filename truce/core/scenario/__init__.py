"""Scenarios: data folders loaded through the services, so a demo fills the ledger too.

Public entry points: `load_scenario`, `list_scenarios`, and for domain apps adding
their own data, `register_section` with `SectionType`, `Item`, `Section`, `LoadContext`
(see truce/core/scenario/base.py for how an app plugs in).
"""

from truce.core.scenario import sections as _core_sections  # noqa: F401  (registers them)
from truce.core.scenario.base import (
    Item,
    LoadContext,
    Outcome,
    ScenarioError,
    Section,
    SectionResult,
    SectionType,
    register_section,
    section_types,
)
from truce.core.scenario.files import Raw, check_geometry, csv_rows, geojson_features, yaml_entries
from truce.core.scenario.loader import (
    LoadReport,
    ScenarioInfo,
    demo_passwords_allowed,
    list_scenarios,
    load_scenario,
    read_manifest,
    resolve,
)
from truce.core.scenario.sync import register_natural_key, sync_record

__all__ = [
    "Item",
    "LoadContext",
    "LoadReport",
    "Outcome",
    "Raw",
    "ScenarioError",
    "ScenarioInfo",
    "Section",
    "SectionResult",
    "SectionType",
    "check_geometry",
    "csv_rows",
    "demo_passwords_allowed",
    "geojson_features",
    "list_scenarios",
    "load_scenario",
    "read_manifest",
    "register_natural_key",
    "register_section",
    "resolve",
    "section_types",
    "sync_record",
    "yaml_entries",
]
