"""Routes of the deployment screens, under /deployment/ (namespace "deployment")."""

app_name = "deployment"

urlpatterns: list = []
