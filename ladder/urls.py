from django.contrib import admin
from django.urls import include, path

from ladder.api.main import api

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/tokens/", include("ladder.api.urls_tokens")),
    path("api/webhooks/", include("ladder.api.urls_webhooks")),
    path("api/v2/", api.urls),
    path("imports/", include("ladder.imports.urls")),
    path("export/", include("ladder.people.urls")),
    path("", include("ladder.segments.urls")),
    path("ladders/", include("ladder.ladders.urls")),
    path("", include("ladder.ladders.ask_urls")),
    path("", include("ladder.actions.urls")),
    path("mailings/", include("ladder.mailings.urls")),
    path("organize/", include("ladder.organizing.urls")),
    path("duplicates/", include("ladder.identity.urls")),
    path("insights/", include("ladder.insights.urls")),
    path("m/", include("ladder.mailings.urls_public")),
    path("", include("ladder.web.urls")),
]
