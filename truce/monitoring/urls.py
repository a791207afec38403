"""Routes of the monitoring screens, under /monitoring/ (namespace "monitoring")."""

from django.urls import path

from truce.monitoring import observation_views, views

app_name = "monitoring"

urlpatterns = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/map/", views.incident_map, name="incident-map"),
    path("incidents/<uuid:public_id>/", views.incident_detail, name="incident-detail"),
    path("incidents/<uuid:public_id>/status/", views.incident_status, name="incident-status"),
    path("incidents/<uuid:public_id>/notes/", views.incident_note, name="incident-note"),
    path("incidents/<uuid:public_id>/merge/", views.incident_merge, name="incident-merge"),
    path("incidents/<uuid:public_id>/split/", views.incident_split, name="incident-split"),
    path(
        "observations/<uuid:public_id>/",
        observation_views.observation_detail,
        name="observation-detail",
    ),
    path(
        "observations/<uuid:public_id>/correct/",
        observation_views.observation_correct,
        name="observation-correct",
    ),
    path(
        "observations/<uuid:public_id>/withdraw/",
        observation_views.observation_withdraw,
        name="observation-withdraw",
    ),
    path(
        "observations/<uuid:public_id>/history/",
        observation_views.observation_history,
        name="observation-history",
    ),
    path("posts/", views.post_list, name="post-list"),
    path("posts/<str:code>/", views.post_detail, name="post-detail"),
    path("posts/<str:code>/check-in/", views.post_check_in, name="post-check-in"),
    path("observe/", views.observe, name="observe"),
    path("counts/", views.counts, name="counts"),
]
