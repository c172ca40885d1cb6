"""Public pages under /act/<slug>/ (no login); staff screens under /actions/."""

from django.urls import path

from ladder.actions.views import hooks, host, me, public, staff

app_name = "actions"
urlpatterns = [
    path("act/<slug:slug>/", public.page_view, name="page"),
    path("act/<slug:slug>/thanks/", public.thanks_generic_view, name="thanks_generic"),
    path("act/<slug:slug>/thanks/<str:ticket>/", public.thanks_view, name="thanks"),
    path("act/<slug:slug>/rsvp/<str:token>/", public.rsvp_view, name="rsvp"),
    path("act/<slug:slug>/host/<str:token>/", host.host_view, name="host"),
    path("act/<slug:slug>/start/", public.fundraiser_start_view, name="fundraiser_start"),
    path("give/<slug:slug>/", public.fundraiser_view, name="fundraiser"),
    path("host-an-event/", public.propose_view, name="propose"),
    path("hooks/actblue/", hooks.actblue_hook, name="actblue_hook"),
    path("hooks/actblue/<slug:kind>/", hooks.actblue_hook, name="actblue_hook_kind"),
    path("me/", me.me_view, name="me"),
    path("actions/leaderboards/", staff.leaderboards_view, name="leaderboards"),
    path("actions/", staff.page_list, name="staff_list"),
    path("actions/new/", staff.page_new, name="staff_new"),
    path("actions/new-event/", staff.event_new, name="staff_event_new"),
    path("actions/<int:page_id>/", staff.page_detail, name="staff_detail"),
    path("actions/<int:page_id>/edit/", staff.page_edit, name="staff_edit"),
    path("actions/<int:page_id>/export.csv", staff.page_export, name="staff_export"),
    path("actions/<int:page_id>/review/", staff.event_review_view, name="staff_review"),
    path("actions/<int:page_id>/<slug:action>/", staff.page_status, name="staff_status"),
]
