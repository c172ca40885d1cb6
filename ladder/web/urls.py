from django.urls import path

from ladder.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.people_list, name="people"),
    path("people/<int:person_id>/", views.profile, name="profile"),
    path("people/<int:person_id>/timeline/", views.timeline, name="timeline"),
    path("people/<int:person_id>/notes/", views.note_add_view, name="note_add"),
    path("people/<int:person_id>/contacts/", views.contact_log_view, name="contact_log"),
    path("people/<int:person_id>/tags/", views.tag_add_view, name="tag_add"),
    path("people/<int:person_id>/tags/remove/", views.tag_remove_view, name="tag_remove"),
    path("people/<int:person_id>/edit/", views.person_edit_view, name="person_edit"),
    path("people/<int:person_id>/fields/", views.custom_fields_view, name="custom_fields"),
    path("people/<int:person_id>/emails/", views.email_add_view, name="email_add"),
    path("people/<int:person_id>/phones/", views.phone_add_view, name="phone_add"),
    path("healthz", views.healthz, name="healthz"),
]
