"""Routes of the damage assessment screens, under /damage/ (namespace "damage")."""

from django.urls import URLPattern, path

from truce.damage import edit_views, views

app_name = "damage"

urlpatterns: list[URLPattern] = [
    path("", views.rollup_areas, name="rollup-areas"),
    path("settlements/", views.rollup_settlements, name="rollup-settlements"),
    path("settlements/<str:pcode>/", views.rollup_settlement, name="rollup-settlement"),
    path("structures/", views.structure_list, name="structure-list"),
    path("structures/new/", edit_views.structure_create, name="structure-create"),
    path("structures/import/", edit_views.structure_import, name="structure-import"),
    path(
        "structures/import/progress/<str:token>/",
        edit_views.import_progress,
        name="import-progress",
    ),
    path("structures/<uuid:public_id>/", views.structure_detail, name="structure-detail"),
    path(
        "structures/<uuid:public_id>/history/",
        views.structure_history,
        name="structure-history",
    ),
    path(
        "structures/<uuid:public_id>/reassess/",
        edit_views.structure_reassess,
        name="structure-reassess",
    ),
    path(
        "structures/<uuid:public_id>/delete/",
        edit_views.structure_delete,
        name="structure-delete",
    ),
    path("structures/<uuid:public_id>/photos/", edit_views.photo_upload, name="photo-upload"),
    path("photos/<uuid:public_id>/", views.photo_download, name="photo-download"),
    path("map/", views.damage_map, name="map"),
]
