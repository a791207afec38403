"""Routes of the displacement and returns screens, under /population/ (namespace "population")."""

from django.urls import path

from truce.population import views

app_name = "population"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("points/", views.point_list, name="point-list"),
    path("points/<str:code>/", views.point_detail, name="point-detail"),
    path("returns/", views.return_list, name="return-list"),
    path("returns/new/", views.return_new, name="return-new"),
    path("households/", views.household_list, name="household-list"),
    path("households/new/", views.household_form, name="household-new"),
    path("households/<uuid:public_id>/", views.household_detail, name="household-detail"),
    path("households/<uuid:public_id>/edit/", views.household_form, name="household-edit"),
]
