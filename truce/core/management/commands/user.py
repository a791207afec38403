"""`truce user create|list`: accounts, each with exactly one party and its roles."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.core import services
from truce.core.management.commands._common import clear_errors
from truce.core.models import RoleCode, User


class Command(BaseCommand):
    help = "Create or list user accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        create = actions.add_parser("create", help="create an account")
        # Nothing is required by the parser: the service names whatever is missing,
        # so the error reads the same as from the API or a form.
        create.add_argument("--username")
        create.add_argument("--party", help="party code: every user has exactly one")
        create.add_argument(
            "--role",
            action="append",
            default=[],
            metavar="ROLE",
            help=f"repeat or separate by commas; one of {', '.join(RoleCode.values)}",
        )
        create.add_argument("--organisation", help="organisation code (of the same party)")
        create.add_argument("--email", default="")
        create.add_argument("--full-name", default="")
        create.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )
        actions.add_parser("list", help="list accounts with party, roles and organisation")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list()
        else:
            raise CommandError("action: use `truce user create` or `truce user list`")

    def _create(self, options: dict[str, Any]) -> None:
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("password: standard input held no password")
        roles = [r.strip() for value in options["role"] for r in value.split(",") if r.strip()]
        with clear_errors():
            user = services.user_create(
                actor=None,
                username=options["username"] or "",
                party=options["party"],
                roles=roles,
                password=password,
                email=options["email"],
                organisation=options["organisation"],
                full_name=options["full_name"],
            )
        self.stdout.write(
            f"User {user.username} created: party {user.party.code}, roles "
            f"{', '.join(sorted(user.role_codes())) or '-'}"
            + ("" if password else "; no password (set one, or use an API token)")
        )

    def _list(self) -> None:
        users = User.objects.select_related("party", "organisation").prefetch_related("roles")
        for user in users.order_by("username"):
            roles = ", ".join(sorted(r.code for r in user.roles.all())) or "-"
            org = user.organisation.code if user.organisation else "-"
            active = "" if user.is_active else "  (inactive)"
            self.stdout.write(
                f"{user.username:<20} {user.party.code:<10} {org:<12} {roles}{active}"
            )
