"""Routes of the convoys screens, under /convoys/ (namespace "convoys")."""

app_name = "convoys"

urlpatterns: list = []
