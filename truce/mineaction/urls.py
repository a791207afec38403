"""Routes of the mineaction screens, under /mineaction/ (namespace "mineaction")."""

from django.urls import path

from truce.mineaction import views

app_name = "mineaction"

urlpatterns = [
    path("", views.hazard_map, name="map"),
    path("hazards/", views.hazard_list, name="hazard-list"),
    path("hazards/new/", views.hazard_new, name="hazard-new"),
    path("hazards/<uuid:public_id>/", views.hazard, name="hazard"),
    path("hazards/<uuid:public_id>/status/", views.hazard_status, name="hazard-status"),
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/<uuid:public_id>/", views.activity, name="activity"),
    path("totals/", views.totals, name="totals"),
]
