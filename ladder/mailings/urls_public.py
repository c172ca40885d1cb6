"""The public mail endpoints: open pixel, click redirect, one-click unsubscribe, preferences,
and email-service webhooks. No login; every link carries a signed token."""

from django.urls import URLPattern

app_name = "mail"
urlpatterns: list[URLPattern] = []
