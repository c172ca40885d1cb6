from django.urls import path

from ladder.identity import views

app_name = "identity"
urlpatterns = [
    path("", views.review_view, name="review"),
    path("pairs/<int:candidate_id>/", views.review_view, name="pair"),
    path("pairs/<int:candidate_id>/decide/", views.decide_view, name="decide"),
    path("merges/", views.merges_view, name="merges"),
    path("merges/<int:merge_id>/undo/", views.undo_view, name="undo"),
]
