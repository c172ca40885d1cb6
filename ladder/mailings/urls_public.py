"""The public mail endpoints: open pixel, click redirect, one-click unsubscribe, preferences,
and email-service webhooks. No login; every link carries a signed token."""

from anymail import urls as anymail_urls
from django.urls import URLPattern, URLResolver, include, path
from django.urls.resolvers import URLPattern as Pattern

from ladder.mailings.views import public

app_name = "mail"

# django-anymail's tracking webhooks (/m/anymail/postmark/tracking/, …), each behind the
# guard (the inbound layer, logged as HookCalls named "mail:<service>"): off while
# LADDER_ANYMAIL_WEBHOOK_SECRET is unset, 400 for bad credentials or an unreadable post.
_anymail = [
    Pattern(
        p.pattern,
        public.webhook_guard(p.callback, f"mail:{(p.name or 'anymail').removesuffix('_webhook')}"),
        p.default_args,
        p.name,
    )
    for p in anymail_urls.urlpatterns
    if isinstance(p, Pattern)
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("o/<str:token>", public.open_view, name="open"),
    path("c/<str:token>", public.click_view, name="click"),
    path("u/<str:token>", public.unsubscribe_view, name="unsubscribe"),
    path("p/<str:token>", public.preferences_view, name="preferences"),
    path("anymail/", include((_anymail, "anymail"))),
]
