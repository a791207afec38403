"""Routes of the damage assessment screens, under /damage/ (namespace "damage")."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "damage"

urlpatterns: list[URLPattern] = []
