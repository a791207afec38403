"""Translations: complete Russian, the core of Armenian and Azerbaijani, and switching."""

from __future__ import annotations

import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Places
from truce.core.models import User

LOCALE = Path(__file__).resolve().parents[2] / "truce" / "locale"
TRUCE = LOCALE.parent


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(lines: list[str]) -> str:
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', "\n".join(lines)))
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader: enough to check completeness without any gettext tools."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line]
        if not lines:
            continue
        flags = {
            flag.strip() for line in lines if line.startswith("#,") for flag in line[2:].split(",")
        }
        keyed: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt) (.*)$", line)
            if match:
                current = match.group(1)
                keyed[current] = [match.group(2)]
            elif current:
                keyed[current].append(line)
        if "msgid" not in keyed:
            continue
        msgstrs = [_unquote(v) for k, v in sorted(keyed.items()) if k.startswith("msgstr")]
        plural = _unquote(keyed["msgid_plural"]) if "msgid_plural" in keyed else None
        entries.append(Entry(_unquote(keyed["msgid"]), plural, msgstrs, flags))
    return entries


# Apps added after the first catalogue keep their own (truce/<app>/locale), so
# that work on one app never edits another's catalogue; Django reads them all.
APP_CATALOGUE_DIRS = sorted(p.parent for p in TRUCE.glob("*/locale/ru"))


def _po_files(language: str) -> list[Path]:
    return [
        LOCALE / language / "LC_MESSAGES" / "django.po",
        *(d / language / "LC_MESSAGES" / "django.po" for d in APP_CATALOGUE_DIRS),
    ]


def _catalogue(language: str) -> dict[str, Entry]:
    merged: dict[str, Entry] = {}
    for path in _po_files(language):
        for entry in parse_po(path):
            merged.setdefault(entry.msgid, entry)
    return merged


def _check_complete(entries: list[Entry], plural_forms: int) -> None:
    for entry in entries:
        assert "fuzzy" not in entry.flags, entry.msgid
        if entry.msgid == "":
            continue  # the header
        assert entry.msgstrs, entry.msgid
        assert all(s.strip() for s in entry.msgstrs), entry.msgid
        if entry.msgid_plural:
            assert len(entry.msgstrs) == plural_forms, entry.msgid


@pytest.mark.parametrize(("language", "plural_forms"), [("ru", 4), ("hy", 2), ("az", 2)])
def test_app_catalogues_are_complete_in_every_language(language: str, plural_forms: int) -> None:
    # The apps' own catalogues are complete in all three languages from the start.
    for directory in APP_CATALOGUE_DIRS:
        path = directory / language / "LC_MESSAGES" / "django.po"
        assert path.exists(), path
        _check_complete(parse_po(path), plural_forms)


def test_russian_catalogue_is_complete_and_not_fuzzy() -> None:
    entries = parse_po(LOCALE / "ru" / "LC_MESSAGES" / "django.po")
    assert len(entries) > 100
    for entry in entries:
        assert "fuzzy" not in entry.flags, entry.msgid
        if entry.msgid == "":
            continue  # the header
        assert entry.msgstrs, entry.msgid
        assert all(s.strip() for s in entry.msgstrs), entry.msgid
        if entry.msgid_plural:
            assert len(entry.msgstrs) == 4, entry.msgid  # Russian plural forms


@pytest.mark.parametrize("language", ["ru", "hy", "az"])
def test_compiled_catalogues_match_their_sources(language: str) -> None:
    # The .mo files are kept in the tree for machines without gettext: they
    # must say what the .po files say.
    for po in _po_files(language):
        mo = po.with_suffix(".mo")
        assert mo.exists(), mo
        with mo.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        for entry in parse_po(po):
            if not entry.msgid or entry.msgid_plural or not entry.msgstrs[0]:
                continue
            assert compiled.gettext(entry.msgid) == entry.msgstrs[0], (mo, entry.msgid)


NAVIGATION_LOGIN_AND_MAP = [
    "Home",
    "Map",
    "Registries",
    "Admin",
    "API docs",
    "Log out",
    "Language",
    "Change",
    "Sign in",
    "Skip to content",
    "Parties",
    "Organisations",
    "Administrative areas",
    "Settlements",
    "Zones",
    "Facilities",
    "Layers",
    "OPs on the contact line",
    "Corridor traffic posts",
    "Other facilities",
    "Approximate position",
    "Open record",
    "Other names",
    "Loading…",
    "Could not load",
]


@pytest.mark.parametrize("language", ["hy", "az"])
def test_armenian_and_azerbaijani_cover_navigation_login_and_map(language: str) -> None:
    catalogue = _catalogue(language)
    for msgid in NAVIGATION_LOGIN_AND_MAP:
        entry = catalogue.get(msgid)
        assert entry is not None and entry.msgstrs and entry.msgstrs[0], (language, msgid)
        assert "fuzzy" not in entry.flags, (language, msgid)


# The apps whose templates and modules (migrations aside) carry UI strings,
# with the fewest marked strings each is expected to have (a floor that
# catches a glob that stopped finding the app's files).
UI_APPS = {"monitoring": 50, "alerts": 50} | {d.parent.name: 10 for d in APP_CATALOGUE_DIRS}


def _ui_sources() -> list[Path]:
    sources = [
        *(TRUCE / "templates").rglob("*.html"),
        *(TRUCE / "core" / "templates").rglob("*.html"),
        TRUCE / "core" / "views.py",
        TRUCE / "core" / "forms.py",
        TRUCE / "core" / "registry_tables.py",
        TRUCE / "core" / "admin.py",
    ]
    for app in UI_APPS:
        sources += (TRUCE / app / "templates").rglob("*.html")
        sources += (p for p in (TRUCE / app).rglob("*.py") if "migrations" not in p.parts)
    return sources


def test_every_marked_string_of_the_ui_is_in_the_catalogue() -> None:
    """Catches a string marked for translation after the catalogue was last made,
    and one the Russian catalogue has but leaves untranslated or fuzzy."""
    catalogue = _catalogue("ru")
    pattern = re.compile(
        r"""{% translate "([^"]+)"|{% translate '([^']+)'|\b_\("([^"]+)"\)"""
        r"""|gettext(?:_lazy)?\("([^"]+)"\)"""
    )
    found: Counter[str] = Counter()
    for path in _ui_sources():
        name = path.relative_to(TRUCE).as_posix()
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            msgid = next(group for group in match.groups() if group)
            found[path.relative_to(TRUCE).parts[0]] += 1
            entry = catalogue.get(msgid)
            assert entry is not None, f"{name}: {msgid!r} is not in the catalogue"
            assert entry.msgstrs and all(s.strip() for s in entry.msgstrs), (name, msgid)
            assert "fuzzy" not in entry.flags, (name, msgid)
    assert sum(found.values()) > 300
    for app, floor in UI_APPS.items():
        assert found[app] > floor, (app, found)


@pytest.mark.django_db
def test_switching_to_russian_renders_russian(client: Client, mission_user: User) -> None:
    client.force_login(mission_user)
    english = client.get(reverse("home")).content.decode()
    assert "What your party can see" in english

    response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("home")})
    assert response.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="ru">' in html
    assert "Что видит ваша сторона" in html
    assert "Населённые пункты" in html
    assert "Выйти" in html
    assert "What your party can see" not in html

    # The map script's words come translated in its configuration.
    config = client.get(reverse("map")).context["map_config"]
    assert config["labels"]["op-contact_line"] == "НП на линии соприкосновения"
    assert config["kindLabels"]["warehouse"] == "Склад"

    listing = client.get(reverse("registry-list", kwargs={"kind": "settlements"}))
    assert "0 записей" in listing.content.decode()  # Russian plural forms


@pytest.mark.django_db
def test_alert_queue_and_counts_render_in_russian(
    client: Client, mission_user: User, places: Places
) -> None:
    client.force_login(mission_user)
    client.cookies["django_language"] = "ru"

    queue = client.get(reverse("alerts:queue")).content.decode()
    assert '<html lang="ru">' in queue
    assert "Сначала открытые оповещения" in queue
    assert "ожидает подтверждения получения" in queue or "ожидают подтверждения" in queue
    assert "Open alerts first" not in queue

    counts = client.get(reverse("monitoring:counts")).content.decode()
    assert '<html lang="ru">' in counts
    assert "Статистика за сутки миссии" in counts
    assert "Наблюдательный пост" in counts  # the grouping, from a lazy label
    assert "Counts for the mission day" not in counts


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "word"), [("hy", "Քարտեզ"), ("az", "Xəritə")])
def test_switching_to_armenian_or_azerbaijani(
    client: Client, mission_user: User, language: str, word: str
) -> None:
    client.force_login(mission_user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert f'<html lang="{language}">' in html
    assert word in html


@pytest.mark.django_db
def test_login_page_switches_language_before_signing_in(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "ru", "next": reverse("login")})
    html = client.get(reverse("login")).content.decode()
    assert "Войти" in html
    assert "Язык" in html
