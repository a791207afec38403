"""Routes of the displacement and returns screens, under /population/ (namespace "population")."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "population"

urlpatterns: list[URLPattern] = []
