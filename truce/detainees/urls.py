"""Routes of the detainee and remains exchanges, under /detainees/ (namespace "detainees")."""

from django.urls import path

from truce.detainees import views

app_name = "detainees"

urlpatterns = [
    path("", views.index, name="index"),
    path("lists/new/", views.list_create, name="list-create"),
    path("lists/<uuid:public_id>/", views.list_detail, name="list-detail"),
    path("lists/<uuid:public_id>/cases/new/", views.case_create, name="case-create"),
    path("cases.csv", views.cases_csv, name="cases-csv"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case-detail"),
    path("cases/<uuid:public_id>/edit/", views.case_edit, name="case-edit"),
    path("cases/<uuid:public_id>/verify/", views.case_verify, name="case-verify"),
    path("cases/<uuid:public_id>/withdraw/", views.case_withdraw, name="case-withdraw"),
    path("exchanges/", views.exchange_list, name="exchange-list"),
    path("exchanges/new/", views.exchange_create, name="exchange-create"),
    path("exchanges/<uuid:public_id>/", views.exchange_detail, name="exchange-detail"),
    path("exchanges/<uuid:public_id>/cancel/", views.exchange_cancel, name="exchange-cancel"),
    path(
        "transfers/<uuid:public_id>/hand-over/",
        views.transfer_hand_over,
        name="transfer-hand-over",
    ),
    path("transfers/<uuid:public_id>/confirm/", views.transfer_confirm, name="transfer-confirm"),
]
