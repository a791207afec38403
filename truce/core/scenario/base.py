"""What every scenario section shares: errors, items, the load context, the registry.

A section type is two functions. `parse` reads and validates one data file and returns
its items without writing anything; `write` sends one item through the services. The
loader parses every section before it writes the first item, so bad data stops the load
with nothing written, and the whole write runs in one transaction besides.

Domain apps add their own section types from a `scenario` module of their own
(`truce/<app>/scenario.py`), which the loader imports on start:

    from truce.core.scenario import Item, LoadContext, Section, SectionType, register_section

    def parse_hazards(ctx: LoadContext, section: Section) -> list[Item]: ...
    def write_hazard(ctx: LoadContext, item: Item) -> Outcome: ...

    register_section(SectionType("mineaction.hazards", parse_hazards, write_hazard))

and a scenario lists `- {type: mineaction.hazards, file: hazards.geojson}` in its manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from django.db.models import Model

Outcome = Literal["created", "updated", "unchanged"]


class ScenarioError(Exception):
    """Bad scenario data: the message names the file, the item and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        item: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.item = item
        self.field = field

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.item) if p]
        if self.field:
            parts.append(f"field {self.field!r}")
        parts.append(self.message)
        return ": ".join(parts)


@dataclass
class Item:
    """One record to load: its natural key, the service fields and where it came from."""

    file: str
    label: str
    key: str
    fields: dict[str, Any]
    visibility: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def error(self, message: str, field: str | None = None) -> ScenarioError:
        return ScenarioError(message, file=self.file, item=self.label, field=field)


@dataclass
class Section:
    """One entry of the manifest: a section type, its data file, and any options."""

    type: str
    file: str
    path: Path
    number: int
    total: int
    options: dict[str, Any] = field(default_factory=dict)

    def error(
        self, message: str, *, item: str | None = None, field: str | None = None
    ) -> ScenarioError:
        return ScenarioError(message, file=self.file, item=item, field=field)


@dataclass
class SectionResult:
    type: str
    file: str
    keys: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class LoadContext:
    """State shared by the sections of one load.

    `declare` records the natural keys each section defines, so a later section can
    check its references before anything is written; `known` also accepts keys that
    already exist in the database (a scenario may build on an earlier one).
    """

    def __init__(self, *, scenario_dir: Path, name: str, demo_passwords: bool) -> None:
        self.scenario_dir = scenario_dir
        self.name = name
        self.demo_passwords = demo_passwords
        self.declared: dict[str, dict[str, Item]] = {}
        self.notes: dict[str, Any] = {}
        self.warnings: list[str] = []

    def declare(self, namespace: str, item: Item) -> None:
        keys = self.declared.setdefault(namespace, {})
        if item.key in keys:
            first = keys[item.key]
            raise item.error(
                f"duplicate {namespace} {item.key!r} (first defined in {first.file}, {first.label})"
            )
        keys[item.key] = item

    def declared_item(self, namespace: str, key: str) -> Item | None:
        return self.declared.get(namespace, {}).get(key)

    def known(self, namespace: str, key: str, model: type[Model], lookup: str) -> bool:
        if key in self.declared.get(namespace, {}):
            return True
        return bool(model._default_manager.filter(**{lookup: key}).exists())

    def warn(self, message: str) -> None:
        self.warnings.append(message)


ParseFn = Callable[[LoadContext, Section], list[Item]]
WriteFn = Callable[[LoadContext, Item], Outcome]


@dataclass(frozen=True)
class SectionType:
    name: str
    parse: ParseFn
    write: WriteFn
    description: str = ""


_REGISTRY: dict[str, SectionType] = {}


def register_section(section_type: SectionType) -> SectionType:
    """Make a section type available to scenario manifests (once per name)."""
    existing = _REGISTRY.get(section_type.name)
    if existing is not None and existing != section_type:
        raise ValueError(f"section type {section_type.name!r} is already registered")
    _REGISTRY[section_type.name] = section_type
    return section_type


def section_types() -> dict[str, SectionType]:
    return dict(_REGISTRY)
