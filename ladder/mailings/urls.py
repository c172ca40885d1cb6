"""Staff screens for mailings, under /mailings/."""

from django.urls import path

from ladder.mailings.views import compose, outbox, staff

app_name = "mailings"
urlpatterns = [
    path("", staff.mailing_list, name="list"),
    path("new", staff.mailing_compose, name="new"),
    path("compose/summary", compose.compose_summary, name="compose_summary"),
    path("compose/preview", compose.compose_preview, name="compose_preview"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("outbox/<str:name>/", outbox.outbox_message, name="outbox_message"),
    path("<int:mailing_id>/", staff.mailing_report, name="report"),
    path("<int:mailing_id>/edit", staff.mailing_compose, name="edit"),
    path("<int:mailing_id>/<slug:action>/", staff.mailing_status, name="status"),
]
