"""The `truce` command: forwarding to Django, the demo, tokens, users, scenarios."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from truce import cli
from truce.core.models import ApiToken, Party, User

DEMO_USERS = [
    "admin",
    "duty",
    "operator",
    "analyst",
    "liaison-a",
    "liaison-b",
    "icrc",
    "unhcr",
    "viewer",
]


def truce_command() -> list[str]:
    script = Path(sys.executable).with_name("truce")
    return [str(script)] if script.exists() else [sys.executable, "-m", "truce.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: none of the test run's database or mode."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TRUCE_MODE", "TRUCE_DATABASE_URL", "TRUCE_DATA_DIR", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [*truce_command(), *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# --- the command itself --------------------------------------------------------------------


def test_truce_forwards_to_django_management_commands(tmp_path: Path) -> None:
    result = run(["check"], tmp_path, TRUCE_MODE="test", TRUCE_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_demo_environment_is_set_before_settings_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # monkeypatch records the originals, so what cli sets is undone after the test.
    monkeypatch.delenv("TRUCE_MODE", raising=False)
    monkeypatch.setenv("TRUCE_DATA_DIR", "/elsewhere")
    monkeypatch.setenv("TRUCE_DATABASE_URL", "postgres://somewhere/real")
    cli._prepare_demo(["--port", "9000", "--data-dir", str(tmp_path / "d"), "--no-serve"])
    assert os.environ["TRUCE_MODE"] == "demo"
    assert os.environ["TRUCE_DATA_DIR"] == str((tmp_path / "d").resolve())
    assert "TRUCE_DATABASE_URL" not in os.environ


def test_demo_defaults_to_var_demo_and_keeps_an_explicit_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRUCE_MODE", "test")
    monkeypatch.setenv("TRUCE_DATA_DIR", "/elsewhere")
    cli._prepare_demo([])
    assert os.environ["TRUCE_MODE"] == "test"
    assert os.environ["TRUCE_DATA_DIR"] == str((tmp_path / "var" / "demo").resolve())


def test_demo_sets_up_prints_url_and_logins_and_is_idempotent(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    first = run(["demo", "--no-serve", "--data-dir", str(data_dir), "--port", "8123"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert (data_dir / "truce.sqlite3").is_file()
    assert "Open http://127.0.0.1:8123/" in first.stdout
    assert "password for every account: ceasefire-2020-demo" in first.stdout
    for username in DEMO_USERS:
        assert f"  {username} " in first.stdout
    assert "  liaison-a  side-a    liaison_officer  az-liaison" in first.stdout
    # The foundation's 237 records plus whatever the issue-4 sections add: the second
    # run must find every one of them unchanged and write nothing.
    totals = re.search(
        r"(\d+) created, 0 updated, 0 unchanged; (\d+) ledger entries written", first.stdout
    )
    assert totals is not None and int(totals[1]) >= 237 and int(totals[2]) >= 249

    second = run(["demo", "--no-serve", "--data-dir", str(data_dir)], tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"0 created, 0 updated, {totals[1]} unchanged; 0 ledger entries written" in second.stdout
    assert "Open http://127.0.0.1:8000/" in second.stdout
    assert "ceasefire-2020-demo" in second.stdout


def test_demo_refuses_production_mode(tmp_path: Path) -> None:
    result = run(
        ["demo", "--no-serve", "--data-dir", str(tmp_path)],
        tmp_path,
        TRUCE_MODE="production",
        TRUCE_SECRET_KEY="k" * 40,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: TRUCE_MODE: the demo does not run in production mode (its users share "
        "a published password); unset TRUCE_MODE or set it to demo"
    ]


def test_user_create_without_party_fails_in_one_line_naming_party(tmp_path: Path) -> None:
    env = {"TRUCE_MODE": "test", "TRUCE_DATA_DIR": str(tmp_path)}
    assert run(["migrate", "--verbosity", "0"], tmp_path, **env).returncode == 0
    result = run(["user", "create", "--username", "nobody", "--role", "viewer"], tmp_path, **env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "party" in lines[0], result.stderr
    assert result.stdout == ""


# --- commands in-process -----------------------------------------------------------------------


@pytest.mark.django_db
def test_user_create_without_party_names_party_and_writes_nothing() -> None:
    with pytest.raises(CommandError, match=r"^party: every user belongs to exactly one party$"):
        call_command("user", "create", "--username", "nobody", "--role", "viewer")
    assert not User.objects.exists()


def test_user_create_with_roles_organisation_and_password_from_stdin(
    parties: dict[str, Party], monkeypatch: pytest.MonkeyPatch
) -> None:
    from truce.core import services

    services.organisation_create(
        actor=None, fields={"code": "icrc", "name": "ICRC", "party": "agencies"}
    )
    monkeypatch.setattr("sys.stdin", StringIO("a-long-enough-passphrase\n"))
    out = StringIO()
    call_command(
        "user",
        "create",
        "--username",
        "delegate",
        "--party",
        "agencies",
        "--role",
        "agency_staff,viewer",
        "--organisation",
        "icrc",
        "--password-stdin",
        stdout=out,
    )
    user = User.objects.get(username="delegate")
    assert user.role_codes() == {"agency_staff", "viewer"}
    assert user.organisation is not None and user.organisation.code == "icrc"
    assert user.check_password("a-long-enough-passphrase")
    assert "User delegate created: party agencies" in out.getvalue()
    listing = StringIO()
    call_command("user", "list", stdout=listing)
    assert "delegate" in listing.getvalue()


def test_user_create_with_an_unknown_role_names_roles(parties: dict[str, Party]) -> None:
    with pytest.raises(CommandError, match=r"^roles: unknown role\(s\) general"):
        call_command("user", "create", "--username", "x", "--party", "mission", "--role", "general")


def test_token_create_prints_a_token_whose_sha256_is_stored(admin_user: User) -> None:
    out, err = StringIO(), StringIO()
    call_command("token", "create", "--user", "admin", "--name", "sync", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("truce_") and "\n" not in secret
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.user, token.name) == (admin_user, "sync")
    assert secret not in err.getvalue() and "shown only this once" in err.getvalue()


def test_token_list_and_revoke(admin_user: User) -> None:
    call_command("token", "create", "--user", "admin", stdout=StringIO(), stderr=StringIO())
    token = ApiToken.objects.get()
    listing = StringIO()
    call_command("token", "list", stdout=listing)
    assert token.prefix in listing.getvalue() and "active" in listing.getvalue()
    call_command("token", "revoke", str(token.pk), stdout=StringIO())
    token.refresh_from_db()
    assert token.revoked_at is not None
    with pytest.raises(CommandError, match="already revoked"):
        call_command("token", "revoke", str(token.pk))


@pytest.mark.django_db
def test_token_create_for_an_unknown_user_names_user() -> None:
    with pytest.raises(CommandError, match=r"^user: no user 'ghost'$"):
        call_command("token", "create", "--user", "ghost")


@pytest.mark.django_db
def test_scenario_list_and_types() -> None:
    out = StringIO()
    call_command("scenario", "list", stdout=out)
    assert "briefings-2020" in out.getvalue() and "as of 2020-11-20" in out.getvalue()
    types = StringIO()
    call_command("scenario", "types", stdout=types)
    assert {"parties", "settlements", "facilities", "users"} <= {
        line.split()[0] for line in types.getvalue().splitlines()
    }


@pytest.mark.django_db
def test_scenario_load_of_bad_data_is_one_line_naming_file_item_and_field(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "bad"
    shutil.copytree(Path(settings.TRUCE_SCENARIO_DIR) / "briefings-2020", copy)
    zones = copy / "zones.geojson"
    zones.write_text(
        zones.read_text(encoding="utf-8").replace('"kind": "corridor"', '"kind": "highway"')
    )
    with pytest.raises(CommandError) as caught:
        call_command("scenario", "load", str(copy), stdout=StringIO())
    assert str(caught.value).startswith(
        "zones.geojson: feature 3 (code lachin-corridor): field 'kind': 'highway' is not one of"
    )
    assert not Party.objects.exists()


def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    environment.update({"TRUCE_MODE": "production", "TRUCE_DATA_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "truce.cli", "check"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "truce: configuration error: TRUCE_SECRET_KEY is required in production mode "
        "(set TRUCE_MODE=demo to run the demo without one)"
    ]
