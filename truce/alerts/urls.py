"""Web routes of the duty-officer queue (mounted at /alerts/)."""

from django.urls import path

from truce.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("queue/", views.queue_fragment, name="queue-fragment"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<uuid:public_id>/resolve/", views.resolve, name="resolve"),
]
