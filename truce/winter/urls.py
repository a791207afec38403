"""Routes of the winter readiness screens, under /winter/ (namespace "winter")."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "winter"

urlpatterns: list[URLPattern] = []
