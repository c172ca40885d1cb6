from django.urls import path

from ladder.insights import help_views, listening_views, views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("tiles/", views.dashboard_tiles_view, name="tiles"),
    path("goals/", views.goals_view, name="goals"),
    path("goals/<int:goal_id>/", views.goal_view, name="goal"),
    path("goals/<int:goal_id>/archive/", views.goal_archive_view, name="goal_archive"),
    path("groups/", views.groups_health_view, name="groups"),
    path("works/", views.works_view, name="works"),
    path("today/", views.my_day_view, name="today"),
    path("listening/", listening_views.listening_view, name="listening"),
    path("listening/run/", listening_views.listening_start_view, name="listening_start"),
    path(
        "listening/runs/<int:run_id>/",
        listening_views.listening_progress_view,
        name="listening_progress",
    ),
    path("listening/themes/<int:theme_id>/", listening_views.theme_view, name="theme"),
    path(
        "listening/themes/<int:theme_id>/segment/",
        listening_views.theme_segment_view,
        name="theme_segment",
    ),
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
