from django.urls import path

from ladder.organizing import views

app_name = "organizing"

urlpatterns = [
    path("", views.lists_view, name="lists"),
    path("new/", views.list_new, name="new"),
    path("contacts/", views.contacts_view, name="contacts"),
    path("<int:list_id>/", views.list_view, name="list"),
    path("<int:list_id>/work/", views.work_view, name="work"),
    path("<int:list_id>/record/", views.record_view, name="record"),
    path("<int:list_id>/stop/", views.release_view, name="stop"),
]
