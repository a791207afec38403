"""Routes of the winter readiness screens, under /winter/ (namespace "winter")."""

from django.urls import path

from truce.winter import views

app_name = "winter"

urlpatterns = [
    path("", views.readiness, name="readiness"),
    path("settlements/<str:pcode>/", views.settlement, name="settlement"),
    path("needs/", views.need_list, name="need-list"),
    path("needs/<uuid:public_id>/status/", views.need_status, name="need-status"),
]
