from django.urls import path

from ladder.segments import views

app_name = "segments"
urlpatterns = [
    path("segments/", views.segment_list, name="index"),
    path("segments/new/", views.segment_new, name="new"),
    path("segments/preview/", views.builder_preview, name="preview"),
    path("segments/<int:segment_id>/", views.segment_detail, name="detail"),
    path("segments/<int:segment_id>/edit/", views.segment_edit, name="edit"),
    path("segments/<int:segment_id>/export.csv", views.segment_export, name="export"),
    path("segments/<int:segment_id>/freeze/", views.segment_freeze, name="freeze"),
    path("segments/<int:segment_id>/archive/", views.segment_archive_view, name="archive"),
    path("lists/", views.list_index, name="lists"),
    path("lists/upload/", views.list_upload_view, name="list_upload"),
    path("lists/<int:list_id>/", views.list_detail, name="list_detail"),
    path("lists/<int:list_id>/export.csv", views.list_export, name="list_export"),
    path("lists/<int:list_id>/remove/", views.list_remove_view, name="list_remove"),
]
