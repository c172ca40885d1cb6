from django.urls import path

from ladder.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.people_list, name="people"),
    path("people/<int:person_id>/", views.profile, name="profile"),
    path("healthz", views.healthz, name="healthz"),
]
