"""`truce token create|list|revoke`: API tokens for machines (only a hash is stored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from truce.core import services
from truce.core.management.commands._common import clear_errors
from truce.core.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        create = actions.add_parser("create", help="create a token and print it (once)")
        create.add_argument("--user", help="username the token acts as")
        create.add_argument("--name", default="cli", help="label to tell tokens apart")
        listing = actions.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--user", help="only this user's tokens")
        revoke = actions.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("id", type=int, help="token id, as `truce token list` shows it")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "create":
            self._create(options["user"], options["name"])
        elif action == "list":
            self._list(options["user"])
        elif action == "revoke":
            self._revoke(options["id"])
        else:
            raise CommandError("action: use `truce token create|list|revoke`")

    def _create(self, username: str | None, name: str) -> None:
        if not username:
            raise CommandError("user: give the username with --user")
        with clear_errors():
            token, secret = services.token_create(actor=None, user=username, name=name)
        # The secret alone on stdout, so a script can capture it; the rest on stderr.
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.pk} ({token.name!r}, prefix {token.prefix}) for {username}. "
            "It is shown only this once: store it now.",
            style_func=lambda text: text,  # a note, not an error: no red
        )

    def _list(self, username: str | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("pk")
        if username:
            tokens = tokens.filter(user__username=username)
        for token in tokens:
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}Z" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}Z" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk:>5}  {token.user.username:<20} {token.name:<20} {token.prefix}…  "
                f"created {token.created_at:%Y-%m-%d %H:%M}Z  last used {used}  {state}"
            )

    def _revoke(self, token_id: int) -> None:
        token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"id: no token {token_id}")
        if token.revoked_at is not None:
            raise CommandError(f"id: token {token_id} is already revoked")
        with clear_errors():
            services.token_revoke(actor=None, token=token)
        self.stdout.write(f"Token {token_id} ({token.prefix}…) revoked.")
