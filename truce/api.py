"""The HTTP API under /api/v1/: each app's router mounted on one NinjaAPI."""

from ninja import NinjaAPI

api = NinjaAPI(title="Truce API", version="1", urls_namespace="api")
