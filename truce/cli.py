"""The `truce` command: Django's management commands with Truce's settings.

Every usual command works (`truce migrate`, `truce check`, `truce createsuperuser`), as do
the mission's own: demo, serve, scenario, token, user, ledger. `truce demo` needs its
environment before the settings load, so its options are read here first.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from truce.lib.env import ImproperEnvironment

DEMO_DATA_DIR = Path("var") / "demo"


def _prepare_demo(args: list[str]) -> None:
    """TRUCE_MODE and TRUCE_DATA_DIR for `truce demo`, set before Django reads them."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data-dir")
    known, _ = parser.parse_known_args(args)
    os.environ.setdefault("TRUCE_MODE", "demo")
    # The demo keeps its own database: an explicit folder, else ./var/demo, never the
    # deployment's TRUCE_DATA_DIR or TRUCE_DATABASE_URL, so it cannot touch real data.
    data_dir = Path(known.data_dir) if known.data_dir else Path.cwd() / DEMO_DATA_DIR
    os.environ["TRUCE_DATA_DIR"] = str(data_dir.resolve())
    if os.environ.pop("TRUCE_DATABASE_URL", None):
        sys.stderr.write(
            f"truce demo: TRUCE_DATABASE_URL ignored; the demo uses SQLite in {data_dir}\n"
        )


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "demo":
        _prepare_demo(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truce.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["truce", *args])
    except ImproperEnvironment as exc:
        # A bad setting is the operator's to fix: one line, no traceback.
        sys.stderr.write(f"truce: configuration error: {exc}\n")
        sys.exit(2)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error. Point stdout at
        # /dev/null so the interpreter's final flush does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
