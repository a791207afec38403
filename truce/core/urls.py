from django.urls import path

from truce.core import views

urlpatterns = [
    path("", views.home, name="home"),
]
