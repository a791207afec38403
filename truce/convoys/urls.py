"""Routes of the convoys screens, under /convoys/ (namespace "convoys")."""

from django.urls import path

from truce.convoys import views

app_name = "convoys"

urlpatterns = [
    path("", views.convoy_list, name="list"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("map/", views.transit_map, name="map"),
    path("<slug:reference>/", views.convoy_detail, name="detail"),
    path("<slug:reference>/status/", views.convoy_status, name="status"),
    path("<slug:reference>/arrival/", views.convoy_arrival, name="arrival"),
    path("<slug:reference>/positions/", views.convoy_position, name="position"),
    path("<slug:reference>/route/", views.convoy_replan, name="replan"),
]
