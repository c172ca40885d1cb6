from django.urls import path

from ladder.insights import help_views, views

app_name = "insights"
urlpatterns = [
    path("goals/", views.goals_view, name="goals"),
    path("goals/<int:goal_id>/", views.goal_view, name="goal"),
    path("goals/<int:goal_id>/archive/", views.goal_archive_view, name="goal_archive"),
    path("groups/", views.groups_health_view, name="groups"),
    path("today/", views.my_day_view, name="today"),
    path("help/", help_views.help_view, name="help"),
    path("help/new/", help_views.article_edit_view, name="article_new"),
    path("help/questions/", help_views.questions_view, name="questions"),
    path(
        "help/questions/<int:question_id>/answer/",
        help_views.question_answer_view,
        name="question_answer",
    ),
    path("help/<slug:slug>/", help_views.article_view, name="article"),
    path("help/<slug:slug>/edit/", help_views.article_edit_view, name="article_edit"),
]
