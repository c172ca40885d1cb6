from django.urls import path

from ladder.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:job_id>/", views.import_detail, name="detail"),
    path("<int:job_id>/mapping/", views.import_mapping, name="mapping"),
    path("<int:job_id>/progress/", views.import_progress_fragment, name="progress"),
    path("<int:job_id>/apply/", views.import_apply_view, name="apply"),
    path("<int:job_id>/undo/", views.import_undo_view, name="undo"),
    path("<int:job_id>/errors.csv", views.import_errors_csv, name="errors"),
]
