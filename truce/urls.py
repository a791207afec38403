from django.contrib import admin
from django.urls import include, path

from truce.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("monitoring/", include("truce.monitoring.urls")),
    path("alerts/", include("truce.alerts.urls")),
    path("population/", include("truce.population.urls")),
    path("detainees/", include("truce.detainees.urls")),
    path("damage/", include("truce.damage.urls")),
    path("shelter/", include("truce.shelter.urls")),
    path("winter/", include("truce.winter.urls")),
    path("mineaction/", include("truce.mineaction.urls")),
    path("routing/", include("truce.routing.urls")),
    path("logistics/", include("truce.logistics.urls")),
    path("convoys/", include("truce.convoys.urls")),
    path("funding/", include("truce.funding.urls")),
    path("deployment/", include("truce.deployment.urls")),
    path("", include("truce.core.urls")),
]
