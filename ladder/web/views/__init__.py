"""The staff screens: the people search, the profile with its timeline, and quick actions."""

from ladder.web.views.actions import (
    contact_log_view,
    custom_fields_view,
    email_add_view,
    note_add_view,
    person_edit_view,
    phone_add_view,
    tag_add_view,
    tag_remove_view,
)
from ladder.web.views.people import healthz, home, people_list
from ladder.web.views.profile import profile, timeline

__all__ = [
    "contact_log_view",
    "custom_fields_view",
    "email_add_view",
    "healthz",
    "home",
    "note_add_view",
    "people_list",
    "person_edit_view",
    "phone_add_view",
    "profile",
    "tag_add_view",
    "tag_remove_view",
    "timeline",
]
