"""Loading a scenario: read the manifest, check every section, then write in one go.

    scenarios/<name>/scenario.yaml   name, title, as_of, description, sections: [{type, file}]

Every section is parsed and checked before the first write, and all writes run in one
transaction: a scenario loads completely or not at all. Records are matched by natural
key, so a second load of the same data writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from truce.core.scenario.base import (
    Item,
    LoadContext,
    ScenarioError,
    Section,
    SectionResult,
    section_types,
)
from truce.ledger.models import LedgerHead

MANIFEST = "scenario.yaml"
# Sections this large report progress every so many items, not only at the end.
PROGRESS_EVERY = 500

Printer = Callable[[str], None]


@dataclass
class ScenarioInfo:
    name: str
    path: Path
    title: str = ""
    as_of: dt.date | None = None
    description: str = ""
    sections: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LoadReport:
    name: str
    title: str
    as_of: dt.date | None
    sections: list[SectionResult]
    ledger_entries: int
    dry_run: bool
    notes: dict[str, Any]
    warnings: list[str]

    @property
    def created(self) -> int:
        return sum(s.created for s in self.sections)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.sections)

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.sections)


class _DryRun(Exception):
    """Raised inside the transaction to roll a checked-and-written load back."""


def scenarios_dir() -> Path:
    return Path(settings.TRUCE_SCENARIO_DIR)


def resolve(name_or_path: str | Path) -> Path:
    """A scenario by name (a folder under TRUCE_SCENARIO_DIR) or by path to its folder."""
    candidate = Path(name_or_path)
    if (candidate / MANIFEST).is_file():
        return candidate.resolve()
    named = scenarios_dir() / str(name_or_path)
    if (named / MANIFEST).is_file():
        return named.resolve()
    available = ", ".join(info.name for info in list_scenarios()) or "none"
    raise ScenarioError(f"no scenario {str(name_or_path)!r} (available: {available})", field="name")


def read_manifest(folder: Path) -> ScenarioInfo:
    path = folder / MANIFEST
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"cannot read the manifest: {exc}", file=MANIFEST) from None
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping", file=MANIFEST)
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise ScenarioError("expected a list of sections", file=MANIFEST, field="sections")
    as_of = data.get("as_of")
    if as_of is not None and not isinstance(as_of, dt.date):
        raise ScenarioError("expected a date (YYYY-MM-DD)", file=MANIFEST, field="as_of")
    return ScenarioInfo(
        name=str(data.get("name") or folder.name),
        path=folder,
        title=str(data.get("title") or ""),
        as_of=as_of,
        description=str(data.get("description") or ""),
        sections=sections,
    )


def list_scenarios() -> list[ScenarioInfo]:
    root = scenarios_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if (p / MANIFEST).is_file()):
        try:
            found.append(read_manifest(folder))
        except ScenarioError:
            found.append(ScenarioInfo(name=folder.name, path=folder, title="(unreadable manifest)"))
    return found


def _sections(info: ScenarioInfo) -> list[Section]:
    known = section_types()
    result = []
    total = len(info.sections)
    for number, entry in enumerate(info.sections, 1):
        where = f"sections[{number}]"
        if not isinstance(entry, dict):
            raise ScenarioError("expected a mapping with type and file", file=MANIFEST, item=where)
        kind = entry.get("type")
        if kind not in known:
            raise ScenarioError(
                f"unknown section type {kind!r}; registered: {', '.join(sorted(known))}",
                file=MANIFEST,
                item=where,
                field="type",
            )
        file = entry.get("file")
        if not isinstance(file, str) or not file:
            raise ScenarioError("is required", file=MANIFEST, item=where, field="file")
        path = (info.path / file).resolve()
        if info.path.resolve() not in path.parents:
            raise ScenarioError(
                "must stay inside the scenario folder", file=MANIFEST, item=where, field="file"
            )
        options = {k: v for k, v in entry.items() if k not in {"type", "file"}}
        result.append(
            Section(type=kind, file=file, path=path, number=number, total=total, options=options)
        )
    return result


def _ledger_seq() -> int:
    head = LedgerHead.objects.filter(id=1).first()
    return head.seq if head is not None else 0


def demo_passwords_allowed() -> bool:
    # A scenario's shared demo password must never open a production deployment.
    return settings.TRUCE_MODE in {"demo", "test"}


def load_scenario(
    name_or_path: str | Path,
    *,
    out: Printer | None = None,
    dry_run: bool = False,
    demo_passwords: bool | None = None,
    only: Collection[str] | None = None,
) -> LoadReport:
    """Check and load a scenario through the services; all or nothing.

    Raises ScenarioError naming the file, the item and the field at fault; the
    database is then exactly as it was. With `only` (section types), every
    section is still checked but only those are written: for a test or a
    partial set-up that needs, say, the registries and one domain. The caller
    names the sections the chosen ones build on.
    """
    say: Printer = out or (lambda _line: None)
    # Domain apps register their section types in their own `scenario` module.
    autodiscover_modules("scenario")
    folder = resolve(name_or_path)
    info = read_manifest(folder)
    sections = _sections(info)
    if only is not None:
        unknown = sorted(set(only) - {s.type for s in sections})
        if unknown:
            raise ScenarioError(
                f"the scenario has no section of type {', '.join(unknown)}", field="only"
            )
    types = section_types()
    ctx = LoadContext(
        scenario_dir=folder,
        name=info.name,
        demo_passwords=demo_passwords_allowed() if demo_passwords is None else demo_passwords,
    )
    say(f"Scenario {info.name}: {info.title}" + (f" (as of {info.as_of})" if info.as_of else ""))
    results: list[SectionResult] = []
    written = 0
    try:
        with transaction.atomic():
            start_seq = _ledger_seq()
            parsed: list[tuple[Section, list[Item]]] = []
            for section in sections:
                items = types[section.type].parse(ctx, section)
                say(
                    f"  checked [{section.number}/{section.total}] {section.type} "
                    f"({section.file}): {len(items)} items"
                )
                parsed.append((section, items))
            for section, items in parsed:
                if only is None or section.type in only:
                    results.append(_write_section(ctx, section, items, say))
            written = _ledger_seq() - start_seq
            if dry_run:
                raise _DryRun
    except _DryRun:
        say("  dry run: everything checked and rolled back; nothing written")
    for warning in ctx.warnings:
        say(f"  warning: {warning}")
    report = LoadReport(
        name=info.name,
        title=info.title,
        as_of=info.as_of,
        sections=results,
        ledger_entries=0 if dry_run else written,
        dry_run=dry_run,
        notes=ctx.notes,
        warnings=ctx.warnings,
    )
    say(
        f"  done: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged; {report.ledger_entries} ledger entries written"
    )
    return report


def _write_section(
    ctx: LoadContext, section: Section, items: list[Item], say: Printer
) -> SectionResult:
    write = section_types()[section.type].write
    result = SectionResult(type=section.type, file=section.file)
    total = len(items)
    for number, item in enumerate(items, 1):
        result.count(write(ctx, item))
        result.keys.append(item.key)
        if total > PROGRESS_EVERY and number % PROGRESS_EVERY == 0 and number < total:
            say(f"    {section.type}: {number} of {total}")
    say(
        f"  [{section.number}/{section.total}] {section.type} ({section.file}): {total} items: "
        f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
    )
    return result
