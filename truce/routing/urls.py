"""Routes of the routing screens, under /routing/ (namespace "routing")."""

from django.urls import path

from truce.routing import views

app_name = "routing"

urlpatterns = [
    path("", views.planner, name="planner"),
    path("sheet/", views.route_sheet, name="sheet"),
    path("roads/", views.roads, name="roads"),
    # Segment keys hold slashes (osm:way/<id>/<n>), hence path.
    path(
        "networks/<slug:slug>/segments/<path:key>/status/",
        views.segment_status,
        name="segment-status",
    ),
    path("networks/<slug:slug>/segments/<path:key>/", views.segment, name="segment"),
    path("import/", views.network_import, name="import"),
    path("import/progress/<str:token>/", views.import_progress, name="import-progress"),
]
