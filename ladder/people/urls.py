from django.urls import path

from ladder.people import views

app_name = "people"
urlpatterns = [
    path("people.csv", views.people_csv, name="export_csv"),
]
