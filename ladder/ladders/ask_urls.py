"""URLs of asks: the staff screens under /asks/ and the public accept/decline link /a/<token>/."""

from django.urls import path

from ladder.ladders import ask_views as views

app_name = "asks"
urlpatterns = [
    path("asks/", views.ask_list, name="list"),
    path("asks/new/", views.ask_new, name="new"),
    path("asks/<int:ask_id>/", views.ask_detail, name="detail"),
    path("asks/<int:ask_id>/open/", views.ask_open_view, name="open"),
    path("asks/<int:ask_id>/wave/", views.ask_wave_view, name="wave"),
    path("asks/<int:ask_id>/close/", views.ask_close_view, name="close"),
    path(
        "asks/<int:ask_id>/offers/<int:offer_id>/<slug:answer>/",
        views.offer_answer_view,
        name="answer",
    ),
    path("a/<str:token>/", views.offer_link_view, name="link"),
]
