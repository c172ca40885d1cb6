from django.urls import path

from ladder.insights import views

app_name = "insights"
urlpatterns = [
    path("goals/", views.goals_view, name="goals"),
    path("goals/<int:goal_id>/", views.goal_view, name="goal"),
    path("goals/<int:goal_id>/archive/", views.goal_archive_view, name="goal_archive"),
    path("groups/", views.groups_health_view, name="groups"),
    path("today/", views.my_day_view, name="today"),
]
