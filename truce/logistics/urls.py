"""Routes of the logistics screens, under /logistics/ (namespace "logistics")."""

app_name = "logistics"

urlpatterns: list = []
