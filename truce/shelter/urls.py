"""Routes of the shelter screens, under /shelter/ (namespace "shelter")."""

from django.urls import path

from truce.shelter import views

app_name = "shelter"

urlpatterns = [
    path("", views.shelter_list, name="shelter-list"),
    path("gap/", views.gap_view, name="gap"),
    path("map/", views.shelter_map, name="shelter-map"),
    path("allocation/", views.allocation_view, name="allocation"),
    path("allocation/<uuid:public_id>/", views.run_detail, name="run-detail"),
    path("<uuid:public_id>/", views.shelter_detail, name="shelter-detail"),
    path("<uuid:public_id>/occupancy/", views.shelter_occupancy, name="shelter-occupancy"),
    path("<uuid:public_id>/status/", views.shelter_status, name="shelter-status"),
]
