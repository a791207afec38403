"""Routes of the funding screens, under /funding/ (namespace "funding")."""

app_name = "funding"

urlpatterns: list = []
