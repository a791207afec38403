"""Web UI routes. The registry names and kinds are a contract: the API builds
each feature's `url` property with reverse("registry-detail", ...)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from truce.core import figure_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_view, name="map"),
    path("figures/<slug:key>/", figure_views.figure_detail, name="figure-detail"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("registry/<slug:kind>/", views.registry_list, name="registry-list"),
    path(
        "registry/<slug:kind>/<uuid:public_id>/",
        views.registry_detail,
        name="registry-detail",
    ),
    path(
        "registry/<slug:kind>/<uuid:public_id>/history/",
        views.registry_history,
        name="registry-history",
    ),
]
