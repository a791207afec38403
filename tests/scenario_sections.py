"""Which sections of the demo scenario a test loads.

Loading the whole briefings scenario takes tens of seconds; a domain's scenario
tests need only the registries and the domain's own sections (every section is
still checked, see load_scenario's `only`). The whole load stays covered by
tests/core/test_scenario_load.py and the CLI test.
"""

from __future__ import annotations

from truce.core.scenario.loader import read_manifest, resolve

SCENARIO = "briefings-2020"
REGISTRIES = (
    "parties",
    "organisations",
    "admin_areas",
    "settlements",
    "zones",
    "facilities",
    "users",
)


def briefings_sections(*domains: str) -> tuple[str, ...]:
    """The registries and every section of the given domains ("winter" -> winter.*)."""
    listed = [str(entry["type"]) for entry in read_manifest(resolve(SCENARIO)).sections]
    chosen = [t for t in listed if any(t.startswith(f"{d}.") for d in domains)]
    if not chosen:
        raise ValueError(f"the scenario has no sections of {domains}")
    return (*REGISTRIES, *chosen)


# The ceasefire monitoring of the demo day (its sections predate the app prefixes).
MONITORING = (*REGISTRIES, "observations", "check_ins", "alert_rules")
