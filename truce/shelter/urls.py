"""Routes of the shelter screens, under /shelter/ (namespace "shelter")."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "shelter"

urlpatterns: list[URLPattern] = []
