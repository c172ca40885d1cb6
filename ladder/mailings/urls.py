"""Staff screens for mailings, under /mailings/."""

from django.urls import URLPattern

app_name = "mailings"
urlpatterns: list[URLPattern] = []
