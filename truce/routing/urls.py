"""Routes of the routing screens, under /routing/ (namespace "routing")."""

app_name = "routing"

urlpatterns: list = []
