from django.urls import path

from ladder.ladders import views

app_name = "ladders"
urlpatterns = [
    path("", views.ladder_list, name="list"),
    path("<int:ladder_id>/", views.ladder_detail, name="detail"),
    path("<int:ladder_id>/rungs/<int:rung_id>/", views.rung_people_view, name="rung_people"),
]
