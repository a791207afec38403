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
    path("activities/new/", views.activity_new, name="activity-new"),
    path("activities/<uuid:public_id>/", views.activity, name="activity"),
    path("activities/<uuid:public_id>/change/", views.activity_change, name="activity-change"),
    path("road-checks/new/", views.road_check_new, name="road-check-new"),
    path("building-checks/new/", views.building_check_new, name="building-check-new"),
    path("accidents/", views.accident_list, name="accident-list"),
    path("accidents/new/", views.accident_new, name="accident-new"),
    path("accidents/<uuid:public_id>/", views.accident, name="accident"),
    path("totals/", views.totals, name="totals"),
]
