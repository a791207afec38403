"""Routes of the logistics screens, under /logistics/ (namespace "logistics")."""

from django.urls import path

from truce.logistics import views

app_name = "logistics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("warehouses/<slug:code>/", views.warehouse, name="warehouse"),
    path("warehouses/<slug:code>/items/<slug:item>/", views.stock_card, name="stock-card"),
    path("items/", views.item_list, name="item-list"),
    path("items/<slug:code>/", views.item, name="item"),
    path("requests/", views.request_list, name="request-list"),
    path("pledges.csv", views.pledge_list, name="pledge-csv"),
    path("consignments/", views.consignment_list, name="consignment-list"),
    path("consignments/<slug:reference>/", views.consignment, name="consignment"),
]
