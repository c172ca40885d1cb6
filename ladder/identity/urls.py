from django.urls import path

from ladder.identity import social_views, views

app_name = "identity"
urlpatterns = [
    path("", views.review_view, name="review"),
    path("pairs/<int:candidate_id>/", views.review_view, name="pair"),
    path("pairs/<int:candidate_id>/decide/", views.decide_view, name="decide"),
    path("find/", views.find_view, name="find"),
    path("find/<int:run_id>/", views.find_progress_view, name="find_progress"),
    path("merges/", views.merges_view, name="merges"),
    path("social/", social_views.social_view, name="social"),
    path("social/upload/", social_views.social_upload_view, name="social_upload"),
    path("social/link/", social_views.social_link_view, name="social_link"),
    path("merges/<int:merge_id>/undo/", views.undo_view, name="undo"),
]
