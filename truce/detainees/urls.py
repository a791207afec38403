"""Routes of the detainee and remains exchanges, under /detainees/ (namespace "detainees")."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "detainees"

urlpatterns: list[URLPattern] = []
