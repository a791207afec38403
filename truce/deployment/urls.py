"""Routes of the deployment screens, under /deployment/ (namespace "deployment")."""

from django.urls import path

from truce.deployment import views

app_name = "deployment"

urlpatterns = [
    path("", views.flight_list, name="flight-list"),
    path("flights/new/", views.flight_new, name="flight-new"),
    path("flights/<uuid:public_id>/", views.flight_detail, name="flight"),
    path("units/", views.unit_list, name="unit-list"),
]
