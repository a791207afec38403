"""Routes of the mineaction screens, under /mineaction/ (namespace "mineaction")."""

app_name = "mineaction"

urlpatterns: list = []
