"""Routes of the funding screens, under /funding/ (namespace "funding")."""

from django.urls import path

from truce.funding import views

app_name = "funding"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("flows/", views.flow_list, name="flow-list"),
    path("flows/new/", views.flow_new, name="flow-new"),
    path("flows/<uuid:public_id>/", views.flow_detail, name="flow"),
]
