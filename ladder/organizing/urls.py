from django.urls import path

from ladder.organizing import group_views, survey_views, views

app_name = "organizing"

urlpatterns = [
    path("", views.lists_view, name="lists"),
    path("new/", views.list_new, name="new"),
    path("contacts/", views.contacts_view, name="contacts"),
    path("scripts/", survey_views.scripts_view, name="scripts"),
    path("scripts/new/", survey_views.script_new, name="script_new"),
    path("surveys/new/", survey_views.survey_new, name="survey_new"),
    path("surveys/<int:survey_id>/", survey_views.survey_view, name="survey"),
    path("policy/", survey_views.policy_view, name="policy"),
    path("groups/", group_views.groups_view, name="groups"),
    path("groups/<int:group_id>/", group_views.group_view, name="group"),
    path("groups/<int:group_id>/teams/", group_views.team_new_view, name="team_new"),
    path(
        "groups/<int:group_id>/responsibilities/<int:responsibility_id>/",
        group_views.responsibility_view,
        name="responsibility",
    ),
    path("<int:list_id>/", views.list_view, name="list"),
    path("<int:list_id>/work/", views.work_view, name="work"),
    path("<int:list_id>/record/", views.record_view, name="record"),
    path("<int:list_id>/stop/", views.release_view, name="stop"),
]
